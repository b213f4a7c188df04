from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """How a person proves who they are: Google sign-in, MFA, and the sessions they hold.

    Separate from `tenants` (which organizations a person belongs to and what they may do there):
    these rules apply to the person before any organization is in scope.
    """

    name = "accounts"
    verbose_name = "Sign-in security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts import signals  # noqa: F401  (records sign-ins and sign-outs)

from django.apps import AppConfig


class AuditlogConfig(AppConfig):
    name = "auditlog"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Security audit log"

    def ready(self):
        # Django's own sign-in signals are the only way to see logins; the receivers are thin
        # calls into auditlog.chain.
        from auditlog import signals  # noqa: F401

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants import checks  # noqa: F401  (registers the system check)
        from tenants.db_constraints import ensure_same_org_constraints

        post_migrate.connect(ensure_same_org_constraints, sender=self, dispatch_uid="tenants_same_org_constraints")

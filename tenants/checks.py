"""System check: a model with a foreign key to Organization must be behind the scoped manager."""
from django.apps import apps
from django.core import checks

# "app_label.ModelName" -> why it may hold an organization without the scoped manager.
SCOPE_EXEMPT: dict[str, str] = {}


def _exemption_reason(model) -> str:
    """An exemption counts only with a written reason (a non-empty string)."""
    reason = SCOPE_EXEMPT.get(model._meta.label) or getattr(model, "tenant_scope_exempt", "")
    return reason.strip() if isinstance(reason, str) else ""


def unscoped_tenant_models(models) -> list:
    from tenants.managers import TenantManager
    from tenants.models import Organization, TenantModel

    offenders = []
    for model in models:
        if model is Organization:
            continue
        has_org_fk = any(
            field.is_relation and field.many_to_one and field.related_model is Organization
            for field in model._meta.get_fields()
            if field.concrete
        )
        if not has_org_fk or _exemption_reason(model):
            continue
        if not (issubclass(model, TenantModel) and isinstance(model._default_manager, TenantManager)):
            offenders.append(model)
    return offenders


@checks.register()
def check_tenant_models_are_scoped(app_configs=None, **kwargs):
    return [
        checks.Error(
            f"{model._meta.label} has a foreign key to Organization but is not behind the scoped manager.",
            hint="Inherit tenants.models.TenantModel (objects = TenantManager()), or add it to "
            "tenants.checks.SCOPE_EXEMPT with a reason.",
            obj=model,
            id="tenants.E001",
        )
        for model in unscoped_tenant_models(apps.get_models())
    ]

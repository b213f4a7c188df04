"""The one audit mechanism. Data holds new values, never raw PII (names, emails, phones, DOB)."""
from tenants.models import ActivityEvent


def audit_record(*, actor, action: str, target, data: dict | None = None) -> ActivityEvent:
    target_id = getattr(target, "public_id", None) or target.pk
    return ActivityEvent.objects.create(
        organization_id=target.organization_id if hasattr(target, "organization_id") else target.pk,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target_id),
        data=data or {},
    )

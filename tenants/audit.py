"""The one audit mechanism. Data holds new values, never raw PII (names, emails, phones, DOB).

Security-relevant actions (auditlog.chain.is_security_event) are also appended, from here and
only here, to the organization's tamper-evident chain.
"""
from tenants.models import ActivityEvent


def audit_record(*, actor, action: str, target, data: dict | None = None) -> ActivityEvent:
    from auditlog.chain import append, is_security_event

    target_id = getattr(target, "public_id", None) or target.pk
    event = ActivityEvent.objects.create(
        organization_id=target.organization_id if hasattr(target, "organization_id") else target.pk,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target_id),
        data=data or {},
    )
    if is_security_event(action, event.data):
        append(
            organization_id=event.organization_id,
            action=action,
            actor_id=event.actor_id,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
        )
    return event

"""Conversions API feedback: tell Meta how far its leads get.

A Meta-sourced surrogate moving between status buckets produces one event per (lead, bucket).
The ConversionEvent row is created once (unique lead + bucket) and carries a stable event_id,
so a retried send is deduplicated by Meta and a sent row is never sent again. Task payloads
carry ids only; email and phone are read and hashed inside the task.
"""
import hashlib
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.meta import client
from integrations.meta.models import ConversionEvent, MetaLead, MetaSettings
from surrogates.models import Stage, StageType, Surrogate
from tenants.pii import normalize_email, normalize_phone

logger = logging.getLogger(__name__)

INTAKE, QUALIFIED, CONVERTED, DISQUALIFIED, LOST = "intake", "qualified", "converted", "disqualified", "lost"
EVENT_NAMES = {
    INTAKE: "Lead",
    QUALIFIED: "QualifiedLead",
    CONVERTED: "ConvertedLead",
    DISQUALIFIED: "DisqualifiedLead",
    LOST: "LostLead",
}
QUALIFIED_FROM_STAGE = "qualified"  # intake stages at or after this one count as qualified
MAX_ATTEMPTS = 6

SENT = "sent"
RETRY = "retry"
STOPPED = "stopped"


def bucket_for(stage: Stage) -> str:
    """Pipeline stage -> CAPI bucket: early intake, qualified (rest of intake), converted
    (post-approval), and the two terminal outcomes."""
    if stage.stage_type == StageType.TERMINAL:
        return DISQUALIFIED if "disqualif" in stage.key else LOST
    if stage.stage_type == StageType.POST_APPROVAL:
        return CONVERTED
    threshold = Stage.objects.filter(organization_id=stage.organization_id, key=QUALIFIED_FROM_STAGE).first()
    if threshold is not None and stage.order >= threshold.order:
        return QUALIFIED
    return INTAKE


def event_id_for(*, leadgen_id: str, bucket: str) -> str:
    return f"cradle-lead-{leadgen_id}-{bucket}"


def on_stage_changed(sender, *, organization_id, surrogate_id, from_stage_id, to_stage_id, **kwargs):
    """Listener for surrogates.signals.stage_changed (after commit, inside the caller's org scope):
    enqueue, ids only, and only for surrogates a Meta lead created (the task re-checks the rest)."""
    from integrations.meta import tasks

    is_meta_lead = MetaLead.objects.filter(
        organization_id=organization_id, surrogate_id=surrogate_id, status=MetaLead.Status.CREATED
    ).exists()
    if not is_meta_lead:
        return
    tasks.stage_changed.delay(
        organization_id=organization_id, surrogate_id=surrogate_id, from_stage_id=from_stage_id, to_stage_id=to_stage_id
    )


def capi_settings() -> MetaSettings | None:
    settings_row = MetaSettings.objects.first()
    if settings_row is None or not settings_row.capi_enabled or not settings_row.pixel_id:
        return None
    return settings_row


def record_bucket_change(*, surrogate_id: int, from_stage_id: int, to_stage_id: int) -> ConversionEvent | None:
    """The event to send for this move, or None (not a Meta lead, same bucket, switched off, or
    already recorded for this bucket)."""
    if capi_settings() is None:
        return None
    lead = (
        MetaLead.objects.filter(surrogate_id=surrogate_id, status=MetaLead.Status.CREATED).order_by("received_at").first()
    )
    if lead is None:
        return None
    stages = {stage.pk: stage for stage in Stage.objects.filter(pk__in=[from_stage_id, to_stage_id])}
    if to_stage_id not in stages:
        return None
    bucket = bucket_for(stages[to_stage_id])
    if from_stage_id in stages and bucket_for(stages[from_stage_id]) == bucket:
        return None
    try:
        with transaction.atomic():
            return ConversionEvent.objects.create(
                organization_id=lead.organization_id,
                lead=lead,
                bucket=bucket,
                event_id=event_id_for(leadgen_id=lead.leadgen_id, bucket=bucket),
                event_name=EVENT_NAMES[bucket],
                event_time=timezone.now(),
            )
    except IntegrityError:
        return None  # this lead already reached this bucket once; its event exists


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def event_body(event: ConversionEvent, surrogate: Surrogate | None) -> dict:
    """One entry of CAPI's `data` list, in the shape Meta documents for CRM lead events."""
    user_data = {"lead_id": event.lead.leadgen_id}
    email = normalize_email(surrogate.email if surrogate else "")
    phone = normalize_phone(surrogate.phone if surrogate else "").lstrip("+")
    if email:
        user_data["em"] = [_sha256(email)]
    if phone:
        user_data["ph"] = [_sha256(phone)]
    return {
        "event_name": event.event_name,
        "event_time": int(event.event_time.timestamp()),
        "event_id": event.event_id,
        "action_source": "system_generated",
        "user_data": user_data,
        "custom_data": {"lead_event_source": "Cradle", "event_source": "crm"},
    }


def event_send(*, event_id: int) -> tuple[str, int]:
    """Send one pending event. Returns (outcome, retry countdown)."""
    event = ConversionEvent.objects.select_related("lead").filter(pk=event_id).first()
    if event is None or event.status != ConversionEvent.Status.PENDING:
        return STOPPED, 0
    settings_row = capi_settings()
    if settings_row is None or not settings_row.capi_access_token:
        ConversionEvent.objects.filter(pk=event.pk, status=ConversionEvent.Status.PENDING).update(
            status=ConversionEvent.Status.SKIPPED, last_error="Conversions API is off or has no access token."
        )
        return STOPPED, 0
    attempt = event.attempts + 1
    ConversionEvent.objects.filter(pk=event.pk).update(attempts=attempt)
    surrogate = Surrogate.objects.filter(pk=event.lead.surrogate_id).first()
    try:
        client.send_events(
            pixel_id=settings_row.pixel_id,
            access_token=settings_row.capi_access_token,
            events=[event_body(event, surrogate)],
        )
    except client.GraphPermanent as exc:
        ConversionEvent.objects.filter(pk=event.pk).update(status=ConversionEvent.Status.FAILED, last_error=str(exc))
        logger.warning("meta capi event %s refused: %s", event.pk, exc)
        return STOPPED, 0
    except client.GraphTransient as exc:
        if attempt >= MAX_ATTEMPTS:
            ConversionEvent.objects.filter(pk=event.pk).update(
                status=ConversionEvent.Status.FAILED, last_error=f"Gave up after {attempt} attempts: {exc}"[:300]
            )
            return STOPPED, 0
        ConversionEvent.objects.filter(pk=event.pk).update(last_error=str(exc))
        return RETRY, min(3600, 30 * 2 ** (attempt - 1))
    ConversionEvent.objects.filter(pk=event.pk, status=ConversionEvent.Status.PENDING).update(
        status=ConversionEvent.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return SENT, 0

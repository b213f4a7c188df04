"""Meta tasks: ids only, thin calls into leads/capi, inside the org scope (OrgScopedTask).

Retries are bounded (leads.MAX_ATTEMPTS, capi.MAX_ATTEMPTS, counted on the rows) with
exponential backoff. Eager runs (dev/test, no worker) retry inline without the wait.
"""
import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from integrations.meta import capi, leads
from integrations.meta.models import MetaLead
from tenants.scope import unscoped
from tenants.tasks import OrgScopedTask

MAX_TASK_RETRIES = max(leads.MAX_ATTEMPTS, capi.MAX_ATTEMPTS) + 2
STUCK_AFTER = datetime.timedelta(minutes=15)


@shared_task(base=OrgScopedTask, bind=True, name="meta.process_lead", max_retries=MAX_TASK_RETRIES)
def process_lead(self, *, organization_id: int, lead_id: int) -> str:
    for _ in range(MAX_TASK_RETRIES + 1):
        outcome, countdown = leads.lead_process(lead_id=lead_id)
        if outcome != leads.RETRY:
            return outcome
        if not self.request.is_eager:
            raise self.retry(countdown=countdown)
    return outcome


@shared_task(base=OrgScopedTask, name="meta.stage_changed")
def stage_changed(*, organization_id: int, surrogate_id: int, from_stage_id: int, to_stage_id: int) -> str:
    event = capi.record_bucket_change(surrogate_id=surrogate_id, from_stage_id=from_stage_id, to_stage_id=to_stage_id)
    if event is None:
        return "nothing to send"
    ids = {"organization_id": organization_id, "event_id": event.pk}
    transaction.on_commit(lambda: send_conversion_event.delay(**ids))
    return "queued"


@shared_task(base=OrgScopedTask, bind=True, name="meta.send_conversion_event", max_retries=MAX_TASK_RETRIES)
def send_conversion_event(self, *, organization_id: int, event_id: int) -> str:
    for _ in range(MAX_TASK_RETRIES + 1):
        outcome, countdown = capi.event_send(event_id=event_id)
        if outcome != capi.RETRY:
            return outcome
        if not self.request.is_eager:
            raise self.retry(countdown=countdown)
    return outcome


@shared_task(name="meta.requeue_stuck_leads")
def requeue_stuck_leads() -> int:
    """Leads still `received` long after arrival (a lost enqueue, a worker gone for good) are
    queued again; processing is idempotent, so a lead that was merely slow is not harmed."""
    with unscoped():
        stuck = list(
            MetaLead.objects.filter(
                status=MetaLead.Status.RECEIVED, received_at__lt=timezone.now() - STUCK_AFTER
            ).values_list("organization_id", "pk")[:500]
        )
    for organization_id, lead_id in stuck:
        process_lead.delay(organization_id=organization_id, lead_id=lead_id)
    return len(stuck)

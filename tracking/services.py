"""Recording what the public endpoints saw. Each runs inside the message's organization scope
(entered by tenants.public.public_entry from the token) and touches only that message's rows:
one event insert and one counter UPDATE, so the endpoints stay cheap."""
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from messaging.models import EmailLog, Suppression
from messaging.services import suppression_add
from tracking import clients
from tracking.models import TrackedLink, TrackingEvent


def _event(log: EmailLog, kind: str, request, *, machine: bool, link=None) -> None:
    TrackingEvent.objects.create(
        organization_id=log.organization_id,
        email_log=log,
        link=link,
        kind=kind,
        is_machine=machine,
        ip_masked=clients.masked_ip(request),
        user_agent=clients.user_agent(request),
    )


def record_open(*, log: EmailLog, request) -> None:
    machine = clients.is_machine(request)
    now = timezone.now()
    with transaction.atomic():
        _event(log, TrackingEvent.Kind.OPEN, request, machine=machine)
        logs = EmailLog.objects.filter(pk=log.pk, organization_id=log.organization_id)
        if machine:
            logs.update(machine_open_count=F("machine_open_count") + 1)
        else:
            logs.update(open_count=F("open_count") + 1, opened_at=Coalesce(F("opened_at"), now))


def record_click(*, link: TrackedLink, request) -> None:
    machine = clients.is_machine(request)
    log = link.email_log
    now = timezone.now()
    with transaction.atomic():
        _event(log, TrackingEvent.Kind.CLICK, request, machine=machine, link=link)
        if machine:
            return
        TrackedLink.objects.filter(pk=link.pk, organization_id=log.organization_id).update(click_count=F("click_count") + 1)
        # A click proves the message was opened, even when images were blocked.
        EmailLog.objects.filter(pk=log.pk, organization_id=log.organization_id).update(
            click_count=F("click_count") + 1, clicked_at=Coalesce(F("clicked_at"), now), opened_at=Coalesce(F("opened_at"), now)
        )


def unsubscribe(*, log: EmailLog, request) -> Suppression:
    with transaction.atomic():
        suppression = suppression_add(
            organization_id=log.organization_id, hashed=log.to_hash, reason=Suppression.Reason.UNSUBSCRIBED
        )
        _event(log, TrackingEvent.Kind.UNSUBSCRIBE, request, machine=False)
    return suppression

"""Periodic booking work, driven by Celery beat (CELERY_BEAT_SCHEDULE in settings).

`booking_sweep` runs every minute: it finds the organizations with lapsed pending requests or
due reminders (the one cross-organization read, under unscoped()) and runs the per-organization
task inside that organization's scope. Reminders are read from the database on every sweep, so
nothing depends on hours-long countdown tasks surviving restarts; each is claimed with a
conditional UPDATE before it is sent, so it goes out once even if sweeps overlap.
"""
from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from booking import services
from booking.models import Appointment, AppointmentStatus
from tenants.scope import unscoped
from tenants.tasks import OrgScopedTask


@shared_task(name="booking.sweep")
def booking_sweep() -> int:
    now = timezone.now()
    with unscoped():
        organization_ids = set(
            Appointment.objects.filter(
                Q(status=AppointmentStatus.PENDING, expires_at__lte=now)
                | Q(status=AppointmentStatus.CONFIRMED, remind_at__lte=now, reminder_sent_at__isnull=True, start_at__gt=now)
            ).values_list("organization_id", flat=True)
        )
    for organization_id in sorted(organization_ids):
        booking_sweep_org.delay(organization_id=organization_id)
    return len(organization_ids)


@shared_task(base=OrgScopedTask, name="booking.sweep_org")
def booking_sweep_org(*, organization_id: int) -> dict:
    return {"expired": services.pending_expire(), "reminders": services.reminders_send_due()}

"""Zoom objects for the URL sweep (tests/test_url_sweep.py): a meeting for an appointment and
one for a surrogate, in the given organization (rows only: the sweep needs ids, not Zoom)."""
from booking.models import Appointment
from integrations.zoom import services
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.zoom.conftest import connect_zoom
from tests.zoom.helpers import future_start


def populate(world, org):
    with org_scope(org):
        member = world.member(org, Role.ADMIN)
        connect_zoom(member)
        appointment = Appointment.objects.filter(status__in=["pending", "confirmed"]).first()
        surrogate = Surrogate.objects.filter(archived_at__isnull=True).first()
        # The task is enqueued on commit, which never comes inside the sweep's test transaction.
        for key, subject in (("sweep-appointment", {"appointment": appointment}), ("sweep-surrogate", {"surrogate": surrogate})):
            services.zoom_meeting_request(
                membership=member, topic="Sweep", start_at=future_start(), duration_minutes=30,
                timezone_name=org.timezone, idempotency_key=key, **subject,
            )

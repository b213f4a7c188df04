"""Zoom test helpers: a future start, and a meeting requested through the service."""
import datetime
import uuid

from django.utils import timezone

from integrations.zoom import services
from surrogates import services as surrogate_services
from tenants.models import Role
from tenants.scope import org_scope


def make_surrogate(world, org, name="Maya Patel"):
    with org_scope(org):
        return surrogate_services.surrogate_create(membership=world.member(org, Role.ADMIN), full_name=name)


def future_start(days=3) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def request_meeting(world, member, *, surrogate=None, appointment=None, key=None, topic="Intake call", start=None):
    """A meeting request through the service, in the member's org scope (the caller decides
    whether on_commit callbacks, i.e. the task, run)."""
    org = member.organization
    if surrogate is None and appointment is None:
        surrogate = make_surrogate(world, org)
    with org_scope(org):
        return services.zoom_meeting_request(
            membership=member,
            topic=topic,
            start_at=start or future_start(),
            duration_minutes=45,
            timezone_name="America/Chicago",
            idempotency_key=key or uuid.uuid4().hex,
            appointment=appointment,
            surrogate=surrogate,
        )


def case_manager(world, org):
    return world.member(org, Role.CASE_MANAGER)

"""Booking test helpers: a staff member with a link, one appointment type and weekday hours."""
import datetime
import re
import uuid
from dataclasses import dataclass

from booking import services
from booking.models import AppointmentType, BookingLink
from tenants.models import Membership, Role
from tenants.scope import org_scope

UTC = datetime.timezone.utc


@dataclass
class Staff:
    membership: Membership
    link: BookingLink
    type: AppointmentType


def make_staff(
    world,
    org,
    *,
    role=Role.CASE_MANAGER,
    tz="America/New_York",
    hours=((0, "09:00", "17:00"), (1, "09:00", "17:00"), (2, "09:00", "17:00"), (3, "09:00", "17:00"), (4, "09:00", "17:00")),
    duration=30,
    before=0,
    after=5,
) -> Staff:
    membership = world.member(org, role)
    with org_scope(org):
        services.booking_link_ensure(membership=membership)
        link = services.booking_link_update(membership=membership, timezone_name=tz, is_active=True)
        appointment_type = services.appointment_type_create(
            membership=membership,
            name="Intro call",
            duration_minutes=duration,
            buffer_before_minutes=before,
            buffer_after_minutes=after,
        )
        for weekday, start, end in hours:
            services.availability_rule_add(
                membership=membership,
                weekday=weekday,
                start_time=datetime.time.fromisoformat(start),
                end_time=datetime.time.fromisoformat(end),
            )
        link = BookingLink.objects.select_related("membership__user", "organization").get(pk=link.pk)
    return Staff(membership=membership, link=link, type=appointment_type)


def book(staff, start, *, now=None, key=None, email="visitor@example.com", tz="Europe/Paris"):
    """Request a slot through the service (inside the caller's scope)."""
    return services.booking_request(
        link=staff.link,
        appointment_type=staff.type,
        start=start,
        name="Vera Visitor",
        email=email,
        phone="+12025550143",
        notes="",
        visitor_timezone=tz,
        idempotency_key=key or uuid.uuid4(),
        base_url="http://testserver",
        now=now,
    )


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def next_weekday_slot(tz="America/New_York", *, weekday=None, hour=10, days_ahead=7) -> datetime.datetime:
    """A future weekday at `hour`:00 local, as UTC (for tests against the real clock)."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(tz)
    day = datetime.datetime.now(tz).date() + datetime.timedelta(days=days_ahead)
    while day.weekday() > 4 or (weekday is not None and day.weekday() != weekday):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour)).replace(tzinfo=tz).astimezone(UTC)


def populate_for_sweep(world, org):
    """One of every booking object in `org`, for tests/test_url_sweep.py."""
    staff = make_staff(world, org, tz=org.timezone)
    with org_scope(org):
        services.date_override_add(membership=staff.membership, date=datetime.date(2031, 1, 6))
        book(staff, next_weekday_slot(tz=org.timezone, days_ahead=8))
        confirmed = book(staff, next_weekday_slot(tz=org.timezone, days_ahead=8, hour=14)).appointment
        services.appointment_approve(membership=staff.membership, appointment=confirmed, base_url="http://testserver")


def booking_form(staff, start, **extra) -> dict:
    """What the public booking page posts for `start`; keyword arguments add or replace fields."""
    return {
        "appointment_type": str(staff.type.public_id),
        "slot_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "visitor_timezone": "Europe/Paris",
        "name": "Vera Visitor",
        "email": "vera@example.com",
        "phone": "+1 202 555 0143",
        "notes": "Evenings are best",
        "idempotency_key": str(uuid.uuid4()),
        **extra,
    }


def hidden_value(body: str, name: str) -> str:
    """The value of a hidden input of a rendered page (CSRF token, idempotency key)."""
    return re.search(rf'name="{name}" value="([^"]+)"', body).group(1)

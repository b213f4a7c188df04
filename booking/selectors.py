"""Reads for booking: availability, busy ranges, slots, and the one access helper per object."""
import datetime
import hashlib
from functools import lru_cache

from django.db import connections
from django.db.models import BigIntegerField, DateField, Func, IntegerField, Q, Value
from django.http import Http404
from django.utils import timezone

from booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    AvailabilityRule,
    BookingLink,
    DateOverride,
)
from booking.slots import Availability, Busy, Slot, SlotSpec, Window, epoch_us, generate_slots
from tenants import permissions as perms
from tenants import public_rows
from tenants.models import Membership, Organization, User
from tenants.public_rows import Part, column, select_list, table

MAX_BUFFER = datetime.timedelta(hours=8)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Public resolvers (called by tenants.public.public_entry, unscoped) ------------------------


def resolve_link(request, slug: str, **_) -> BookingLink | None:
    if not slug or len(slug) > 64:
        return None
    if request.method in ("GET", "HEAD"):
        return _shown_link(slug)
    return (
        BookingLink.objects.select_related("organization", "membership__user")
        .filter(slug=slug, is_active=True, membership__is_active=True, membership__user__is_active=True)
        .first()
    )


_LINK = Part(BookingLink, "l", ("id", "organization_id", "membership_id", "slug", "timezone", "data_version"))
_MEMBER = Part(Membership, "m", ("id", "organization_id", "user_id"))
_USER = Part(User, "u", ("id", "email", "full_name"))
_ORG = Part(Organization, "o", ("id", "name", "slug", "timezone"))
_SHOWN_LINK_PARTS = (_LINK, _MEMBER, _USER, _ORG)


@lru_cache(maxsize=1)
def _shown_link_sql() -> str:
    return (
        f"SELECT {select_list(_SHOWN_LINK_PARTS)} FROM {table(_LINK)}"
        f" JOIN {table(_MEMBER)} ON {column(_MEMBER, 'id')} = {column(_LINK, 'membership_id')}"
        f" JOIN {table(_USER)} ON {column(_USER, 'id')} = {column(_MEMBER, 'user_id')}"
        f" JOIN {table(_ORG)} ON {column(_ORG, 'id')} = {column(_LINK, 'organization_id')}"
        f" WHERE {column(_LINK, 'slug')} = %s AND {column(_LINK, 'is_active')} = %s"
        f" AND {column(_MEMBER, 'is_active')} = %s AND {column(_USER, 'is_active')} = %s"
    )


def _shown_link(slug: str) -> BookingLink | None:
    """What the public GETs (page, slots) need of an active link, in one plain statement
    (tenants.public_rows): the same conditions as the ORM lookup POSTs use."""
    found = public_rows.fetch(_shown_link_sql(), [slug, True, True, True], _SHOWN_LINK_PARTS)
    if found is None:
        return None
    link, membership, user, organization = found
    membership.user = user
    link.membership = membership
    link.organization = organization
    return link


def resolve_manage_token(request, token: str, **_) -> Appointment | None:
    if not token or len(token) > 128:
        return None
    return (
        Appointment.objects.select_related("organization", "appointment_type", "membership__user")
        .filter(manage_token_hash=token_hash(token), manage_token_expires_at__gt=timezone.now())
        .first()
    )


# --- Availability and slots --------------------------------------------------------------------


def active_filter(now) -> Q:
    """Appointments that hold their time: confirmed, or pending and not yet lapsed."""
    return Q(status=AppointmentStatus.CONFIRMED) | Q(status=AppointmentStatus.PENDING, expires_at__gt=now)


def availability_for(*, membership: Membership, tz, first_day=None, last_day=None) -> Availability:
    """Weekly rules and the date overrides in [first_day, last_day], read in one statement."""
    rules = AvailabilityRule.objects.filter(membership=membership).order_by().values_list(
        "weekday", Value(None, output_field=DateField()), "start_time", "end_time"
    )
    overrides_qs = DateOverride.objects.filter(membership=membership).order_by()
    if first_day is not None:
        overrides_qs = overrides_qs.filter(date__gte=first_day)
    if last_day is not None:
        overrides_qs = overrides_qs.filter(date__lte=last_day)
    overrides_qs = overrides_qs.values_list(Value(None, output_field=IntegerField()), "date", "start_time", "end_time")
    weekly: dict[int, list[Window]] = {}
    overrides: dict = {}
    for weekday, date, start_time, end_time in rules.union(overrides_qs, all=True):
        if date is None:
            weekly.setdefault(weekday, []).append(Window(start_time, end_time))
        elif start_time is None:  # an unavailable override closes the whole day
            overrides[date] = None
        elif overrides.get(date, []) is not None:
            overrides.setdefault(date, []).append(Window(start_time, end_time))
    return Availability(tz=tz, weekly=weekly, overrides=overrides)


class EpochMicroseconds(Func):
    """A timestamptz as integer microseconds since the epoch (PostgreSQL): ints load far faster
    than datetimes, and the slot loop compares ints."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def busy_for(*, membership: Membership, range_start, range_end, now, exclude_pk=None) -> Busy:
    queryset = Appointment.objects.filter(
        active_filter(now),
        membership=membership,
        blocked_start__lt=range_end + MAX_BUFFER,
        blocked_end__gt=range_start - MAX_BUFFER,
    ).order_by()
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        # Integers straight from the cursor: no datetime parsing, no per-row converters.
        sql, params = queryset.values_list(
            EpochMicroseconds("blocked_start"), EpochMicroseconds("blocked_end"), EpochMicroseconds("expires_at")
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        busy = Busy.from_epoch_us([(start, end) for start, end, _ in rows])
        lapses = [expires for _, _, expires in rows if expires is not None]
    else:
        rows = list(queryset.values_list("blocked_start", "blocked_end", "expires_at"))
        busy = Busy([(start, end) for start, end, _ in rows])
        lapses = [epoch_us(expires) for _, _, expires in rows if expires is not None]
    # A pending hold frees its time at expires_at with no write: results are exact until then.
    busy.lapses_at_us = min(lapses, default=None)
    return busy


def spec_for(appointment_type: AppointmentType) -> SlotSpec:
    return SlotSpec(
        duration=appointment_type.duration,
        buffer_before=appointment_type.buffer_before,
        buffer_after=appointment_type.buffer_after,
    )


def available_slots(
    *, link: BookingLink, appointment_type: AppointmentType, range_start, range_end, now=None, exclude_pk=None
) -> list[Slot]:
    slots, _ = available_slots_exact_until(
        link=link, appointment_type=appointment_type, range_start=range_start, range_end=range_end, now=now,
        exclude_pk=exclude_pk,
    )
    return slots


def available_slots_exact_until(
    *, link: BookingLink, appointment_type: AppointmentType, range_start, range_end, now=None, exclude_pk=None
) -> tuple[list[Slot], int | None]:
    """The slots, and the instant (epoch microseconds) until which they stay exact if nothing is
    written: the first slot's start (then it is past) or the first lapse of a pending hold in the
    range (then its time is free again), whichever comes first; None if neither exists."""
    now = now or timezone.now()
    tz = link.tzinfo
    availability = availability_for(
        membership=link.membership,
        tz=tz,
        first_day=range_start.astimezone(tz).date() - datetime.timedelta(days=1),
        last_day=range_end.astimezone(tz).date() + datetime.timedelta(days=1),
    )
    busy = busy_for(membership=link.membership, range_start=range_start, range_end=range_end, now=now, exclude_pk=exclude_pk)
    slots = generate_slots(
        availability=availability,
        spec=spec_for(appointment_type),
        range_start=range_start,
        range_end=range_end,
        now=now,
        busy=busy,
    )
    ends = [value for value in (epoch_us(slots[0].start) if slots else None, busy.lapses_at_us) if value is not None]
    return slots, min(ends, default=None)


def is_bookable(*, link, appointment_type, start, now=None, exclude_pk=None) -> bool:
    slots = available_slots(
        link=link,
        appointment_type=appointment_type,
        range_start=start,
        range_end=start + datetime.timedelta(microseconds=1),
        now=now,
        exclude_pk=exclude_pk,
    )
    return any(slot.start == start for slot in slots)


def active_types(membership: Membership):
    return AppointmentType.objects.filter(membership=membership, is_active=True).order_by("name", "id")


# --- Staff access helpers ----------------------------------------------------------------------


def sees_all_appointments(membership: Membership) -> bool:
    return perms.has_perm(membership, perms.MANAGE_ORGANIZATION)


def appointments_visible_to(membership: Membership):
    queryset = Appointment.objects.filter(organization_id=membership.organization_id).select_related(
        "appointment_type", "membership__user", "surrogate"
    )
    if not sees_all_appointments(membership):
        queryset = queryset.filter(membership=membership)
    return queryset


def appointment_list(*, membership: Membership, show: str, now=None):
    now = now or timezone.now()
    queryset = appointments_visible_to(membership)
    if show == "pending":
        return queryset.filter(status=AppointmentStatus.PENDING, expires_at__gt=now, end_at__gt=now).order_by("start_at")
    if show == "past":
        return queryset.filter(Q(end_at__lte=now) | ~Q(status__in=ACTIVE_STATUSES) | Q(
            status=AppointmentStatus.PENDING, expires_at__lte=now
        )).order_by("-start_at")
    return queryset.filter(status=AppointmentStatus.CONFIRMED, end_at__gt=now).order_by("start_at")


def get_appointment_for_member(membership: Membership, public_id) -> Appointment:
    appointment = appointments_visible_to(membership).filter(public_id=public_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def get_own_type(membership: Membership, public_id) -> AppointmentType:
    found = AppointmentType.objects.filter(membership=membership, public_id=public_id).first()
    if found is None:
        raise Http404("No such appointment type.")
    return found


def get_own_rule(membership: Membership, public_id) -> AvailabilityRule:
    found = AvailabilityRule.objects.filter(membership=membership, public_id=public_id).first()
    if found is None:
        raise Http404("No such availability rule.")
    return found


def get_own_override(membership: Membership, public_id) -> DateOverride:
    found = DateOverride.objects.filter(membership=membership, public_id=public_id).first()
    if found is None:
        raise Http404("No such date override.")
    return found


def link_for(membership: Membership) -> BookingLink | None:
    return BookingLink.objects.filter(membership=membership).first()

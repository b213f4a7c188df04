"""Slot generation: DST-exact wall-clock hours, a European visitor, buffers, overrides, past
slots and pending expiry. `now` is injected so the dates are fixed (US DST 2027: March 14 and
November 7; EU: March 28 and October 31)."""
import datetime
import zoneinfo

import pytest

from booking import selectors, services
from booking.models import Appointment, AppointmentStatus
from booking.slots import Availability, Busy, SlotSpec, Window, generate_slots
from tenants.scope import org_scope
from tests.booking.helpers import book, make_staff, utc

NY = zoneinfo.ZoneInfo("America/New_York")
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
LONG_AGO = utc(2027, 1, 1)
SPEC = SlotSpec(duration=datetime.timedelta(minutes=30), buffer_before=datetime.timedelta(0), buffer_after=datetime.timedelta(0))


def _slots(weekly=None, overrides=None, *, spec=SPEC, start, end, now=LONG_AGO, busy=(), tz=NY):
    availability = Availability(tz=tz, weekly=weekly or {}, overrides=overrides or {})
    return generate_slots(availability=availability, spec=spec, range_start=start, range_end=end, now=now, busy=Busy(busy))


def _t(value):
    return datetime.time.fromisoformat(value)


def test_nine_oclock_is_nine_local_on_both_sides_of_spring_forward():
    weekly = {day: [Window(_t("09:00"), _t("10:00"))] for day in range(7)}
    slots = _slots(weekly, start=utc(2027, 3, 12), end=utc(2027, 3, 17))
    firsts = {}
    for slot in slots:
        firsts.setdefault(slot.start.astimezone(NY).date(), slot.start)
    assert firsts[datetime.date(2027, 3, 12)] == utc(2027, 3, 12, 14)  # EST, UTC-5
    assert firsts[datetime.date(2027, 3, 15)] == utc(2027, 3, 15, 13)  # EDT, UTC-4
    assert all(slot.start.astimezone(NY).time() in (_t("09:00"), _t("09:30")) for slot in slots)


def test_spring_forward_gap_is_never_offered():
    sunday = {6: [Window(_t("01:00"), _t("04:00"))]}
    slots = _slots(sunday, start=utc(2027, 3, 14), end=utc(2027, 3, 15))
    assert [s.start for s in slots] == [utc(2027, 3, 14, 6), utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 7), utc(2027, 3, 14, 7, 30)]
    assert [f"{s.start.astimezone(NY):%H:%M}" for s in slots] == ["01:00", "01:30", "03:00", "03:30"]


def test_fall_back_repeated_hour_is_offered_once():
    sunday = {6: [Window(_t("00:00"), _t("03:00"))]}
    slots = _slots(sunday, start=utc(2027, 11, 7), end=utc(2027, 11, 8))
    labels = [f"{s.start.astimezone(NY):%H:%M}" for s in slots]
    assert labels == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]
    # 01:00 is its first occurrence (EDT, 05:00Z); the second (EST, 06:00Z) is not a slot.
    assert utc(2027, 11, 7, 5) in {s.start for s in slots}
    assert utc(2027, 11, 7, 6) not in {s.start for s in slots}


@pytest.mark.django_db
def test_fall_back_repeated_hour_is_bookable_once(world):
    staff = make_staff(world, world.org_a, hours=((6, "00:00", "03:00"),), after=0)
    with org_scope(world.org_a):
        book(staff, utc(2027, 11, 7, 5), now=LONG_AGO)
        with pytest.raises(services.SlotUnavailable):
            book(staff, utc(2027, 11, 7, 6), now=LONG_AGO)  # the second 01:00 was never offered
        with pytest.raises(services.SlotUnavailable):
            book(staff, utc(2027, 11, 7, 5), now=LONG_AGO)


@pytest.mark.django_db
def test_european_visitor_sees_the_us_hours_shift_between_the_two_dst_dates(world):
    staff = make_staff(world, world.org_a)
    with org_scope(world.org_a):

        def first_paris_time(day):
            start = datetime.datetime.combine(day, datetime.time()).replace(tzinfo=PARIS)
            slots = selectors.available_slots(
                link=staff.link, appointment_type=staff.type, range_start=start, range_end=start + datetime.timedelta(days=1), now=LONG_AGO
            )
            return f"{slots[0].start.astimezone(PARIS):%H:%M}"

        assert first_paris_time(datetime.date(2027, 3, 12)) == "15:00"  # EST vs CET: 6 h apart
        assert first_paris_time(datetime.date(2027, 3, 16)) == "14:00"  # EDT vs CET: 5 h (US moved first)
        assert first_paris_time(datetime.date(2027, 3, 30)) == "15:00"  # EDT vs CEST: 6 h again


@pytest.mark.django_db
def test_buffers_must_fit_in_the_window_and_widen_conflicts(world):
    staff = make_staff(world, world.org_a, hours=((0, "09:00", "11:00"),), before=10, after=15)
    monday = datetime.date(2027, 6, 7)
    with org_scope(world.org_a):
        start = datetime.datetime.combine(monday, datetime.time()).replace(tzinfo=NY)

        def local_times():
            slots = selectors.available_slots(
                link=staff.link, appointment_type=staff.type, range_start=start, range_end=start + datetime.timedelta(days=1), now=LONG_AGO
            )
            return [f"{s.start.astimezone(NY):%H:%M}" for s in slots]

        # 09:00 needs 10 min before (08:50, outside); 10:30 ends 11:00 + 15 after (outside).
        assert local_times() == ["09:30", "10:00"]
        book(staff, datetime.datetime(2027, 6, 7, 9, 30, tzinfo=NY), now=LONG_AGO)
        # 09:30 holds 09:20-10:15; 10:00 would hold 09:50-10:45: overlaps, so gone.
        assert local_times() == []


def test_busy_range_overlap_is_exclusive_at_the_edges():
    busy = Busy([(utc(2027, 1, 4, 14), utc(2027, 1, 4, 15))])
    assert not busy.overlaps(utc(2027, 1, 4, 15), utc(2027, 1, 4, 16))
    assert not busy.overlaps(utc(2027, 1, 4, 13), utc(2027, 1, 4, 14))
    assert busy.overlaps(utc(2027, 1, 4, 14, 59), utc(2027, 1, 4, 16))


@pytest.mark.django_db
def test_overrides_close_a_day_or_replace_its_hours(world):
    staff = make_staff(world, world.org_a)
    monday, tuesday = datetime.date(2027, 6, 7), datetime.date(2027, 6, 8)
    with org_scope(world.org_a):
        services.date_override_add(membership=staff.membership, date=monday)
        services.date_override_add(membership=staff.membership, date=tuesday, start_time=_t("13:00"), end_time=_t("14:00"))
        services.date_override_add(membership=staff.membership, date=datetime.date(2027, 6, 12), start_time=_t("10:00"), end_time=_t("11:00"))
        start = datetime.datetime.combine(monday, datetime.time()).replace(tzinfo=NY)
        slots = selectors.available_slots(
            link=staff.link, appointment_type=staff.type, range_start=start, range_end=start + datetime.timedelta(days=7), now=LONG_AGO
        )
    by_day = {}
    for slot in slots:
        by_day.setdefault(slot.start.astimezone(NY).date(), []).append(f"{slot.start.astimezone(NY):%H:%M}")
    assert monday not in by_day
    assert by_day[tuesday] == ["13:00"]  # 13:30 + 30 min + 5 min buffer does not fit before 14:00
    assert by_day[datetime.date(2027, 6, 12)] == ["10:00"]  # a Saturday opened by an override
    assert by_day[datetime.date(2027, 6, 9)][0] == "09:00"


@pytest.mark.django_db
def test_no_slot_in_the_past(world):
    staff = make_staff(world, world.org_a)
    now = datetime.datetime(2027, 6, 7, 12, 10, tzinfo=NY)
    with org_scope(world.org_a):
        start = datetime.datetime(2027, 6, 7, tzinfo=NY)
        slots = selectors.available_slots(
            link=staff.link, appointment_type=staff.type, range_start=start, range_end=start + datetime.timedelta(days=1), now=now
        )
        assert f"{slots[0].start.astimezone(NY):%H:%M}" == "12:30"
        with pytest.raises(services.SlotUnavailable):
            book(staff, datetime.datetime(2027, 6, 7, 11, 0, tzinfo=NY), now=now)


@pytest.mark.django_db
def test_pending_request_holds_the_slot_for_60_minutes_then_lapses(world):
    staff = make_staff(world, world.org_a)
    slot = datetime.datetime(2027, 6, 7, 10, 0, tzinfo=NY)
    booked_at = utc(2027, 6, 1, 12)
    with org_scope(world.org_a):
        first = book(staff, slot, now=booked_at).appointment
        assert first.status == AppointmentStatus.PENDING
        with pytest.raises(services.SlotUnavailable):
            book(staff, slot, now=booked_at + datetime.timedelta(minutes=59))
        # The sweep marks it expired; a new visitor can then take the time.
        assert services.pending_expire(now=booked_at + datetime.timedelta(minutes=61)) == 1
        assert Appointment.objects.get(pk=first.pk).status == AppointmentStatus.EXPIRED
        second = book(staff, slot, now=booked_at + datetime.timedelta(minutes=61)).appointment
        assert second.status == AppointmentStatus.PENDING


@pytest.mark.django_db
def test_lapsed_pending_does_not_block_even_before_the_sweep(world):
    staff = make_staff(world, world.org_a)
    slot = datetime.datetime(2027, 6, 7, 10, 0, tzinfo=NY)
    booked_at = utc(2027, 6, 1, 12)
    with org_scope(world.org_a):
        first = book(staff, slot, now=booked_at).appointment
        later = booked_at + datetime.timedelta(minutes=90)
        second = book(staff, slot, now=later).appointment
        assert Appointment.objects.get(pk=first.pk).status == AppointmentStatus.EXPIRED
        with pytest.raises(services.BookingError, match="expired"):
            services.appointment_approve(membership=staff.membership, appointment=first, base_url="", now=later)
        services.appointment_approve(membership=staff.membership, appointment=second, base_url="", now=later)
        assert Appointment.objects.get(pk=second.pk).status == AppointmentStatus.CONFIRMED

"""generate_slots (integer fast path per window) against a plain reference that converts every
candidate on its own, as the rules in booking/slots.py's docstring read. Zones with DST changes
at odd times (midnight, 30-minute shifts, the southern hemisphere) over their change dates, with
buffers, busy ranges, overlapping windows and `now` inside the range."""
import datetime
import random
import zoneinfo

import pytest

from booking.slots import STEP, Availability, Busy, Slot, SlotSpec, Window, generate_slots

UTC = datetime.timezone.utc


def reference_slots(*, availability, spec, range_start, range_end, now, busy_ranges):
    tz = availability.tz
    day = range_start.astimezone(tz).date() - datetime.timedelta(days=1)
    last_day = range_end.astimezone(tz).date() + datetime.timedelta(days=1)
    offered: dict[datetime.datetime, Slot] = {}
    while day <= last_day:
        for window in availability.windows_on(day):
            window_start = datetime.datetime.combine(day, window.start).replace(tzinfo=tz).astimezone(UTC)
            window_end = datetime.datetime.combine(day, window.end).replace(tzinfo=tz).astimezone(UTC)
            wall = datetime.datetime.combine(day, window.start)
            while wall < datetime.datetime.combine(day, window.end):
                start = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
                exists = start.astimezone(tz).replace(tzinfo=None) == wall
                wall += STEP
                if not exists or start in offered:
                    continue  # a gap time, or a time another window already offered
                end = start + spec.duration
                blocked = (start - spec.buffer_before, end + spec.buffer_after)
                if blocked[0] < window_start or blocked[1] > window_end:
                    continue
                if start <= now or not (range_start <= start < range_end):
                    continue
                if any(b_start < blocked[1] and blocked[0] < b_end for b_start, b_end in busy_ranges):
                    continue
                offered[start] = Slot(start=start, end=end)
        day += datetime.timedelta(days=1)
    return [offered[start] for start in sorted(offered)]


# (zone, a date its offset changes on)
CHANGES = [
    ("America/New_York", datetime.date(2027, 3, 14)),
    ("America/New_York", datetime.date(2027, 11, 7)),
    ("Europe/Paris", datetime.date(2027, 3, 28)),
    ("Europe/Paris", datetime.date(2027, 10, 31)),
    ("America/Santiago", datetime.date(2027, 4, 4)),  # changes at midnight
    ("America/Santiago", datetime.date(2027, 9, 5)),
    ("America/Havana", datetime.date(2027, 3, 14)),  # 00:00 -> 01:00
    ("Australia/Lord_Howe", datetime.date(2027, 4, 4)),  # a 30-minute change
    ("Australia/Lord_Howe", datetime.date(2027, 10, 3)),
    ("Australia/Sydney", datetime.date(2027, 4, 4)),
    ("Asia/Tokyo", datetime.date(2027, 6, 1)),  # none at all
]


def _t(minutes: int) -> datetime.time:
    return datetime.time(minutes // 60, minutes % 60)


@pytest.mark.parametrize("zone,change", CHANGES)
def test_fast_path_matches_the_per_candidate_reference(zone, change):
    tz = zoneinfo.ZoneInfo(zone)
    rng = random.Random(f"{zone}{change}")
    for _ in range(40):
        weekly = {}
        for weekday in range(7):
            for _ in range(rng.choice((0, 1, 1, 2))):  # two windows may overlap
                start = rng.randrange(0, 23 * 60, 15)
                weekly.setdefault(weekday, []).append(Window(_t(start), _t(rng.randrange(start + 15, 24 * 60, 15))))
        overrides = {}
        if rng.random() < 0.3:
            overrides[change] = None if rng.random() < 0.5 else [Window(_t(60), _t(300))]
        spec = SlotSpec(
            duration=datetime.timedelta(minutes=rng.choice((15, 30, 45, 60, 90))),
            buffer_before=datetime.timedelta(minutes=rng.choice((0, 0, 5, 10, 30))),
            buffer_after=datetime.timedelta(minutes=rng.choice((0, 5, 15))),
        )
        range_start = datetime.datetime.combine(change - datetime.timedelta(days=rng.randrange(0, 3)), _t(rng.randrange(0, 24 * 60, 30)))
        range_start = range_start.replace(tzinfo=tz).astimezone(UTC)
        range_end = range_start + datetime.timedelta(hours=rng.randrange(1, 5 * 24))
        now = range_start + datetime.timedelta(minutes=rng.randrange(-600, 48 * 60))
        busy_ranges = []
        for _ in range(rng.randrange(0, 12)):
            b_start = range_start + datetime.timedelta(minutes=rng.randrange(-120, 4 * 24 * 60, 5))
            busy_ranges.append((b_start, b_start + datetime.timedelta(minutes=rng.randrange(5, 180, 5))))
        availability = Availability(tz=tz, weekly=weekly, overrides=overrides)
        expected = reference_slots(
            availability=availability, spec=spec, range_start=range_start, range_end=range_end, now=now, busy_ranges=busy_ranges
        )
        got = generate_slots(
            availability=availability, spec=spec, range_start=range_start, range_end=range_end, now=now, busy=Busy(busy_ranges)
        )
        assert got == expected


def test_slots_are_utc_instants_with_the_duration():
    tz = zoneinfo.ZoneInfo("Europe/Paris")
    availability = Availability(tz=tz, weekly={0: [Window(_t(9 * 60), _t(10 * 60))]}, overrides={})
    start = datetime.datetime(2027, 6, 7, tzinfo=UTC)
    spec = SlotSpec(duration=datetime.timedelta(minutes=30), buffer_before=datetime.timedelta(0), buffer_after=datetime.timedelta(0))
    slots = generate_slots(
        availability=availability, spec=spec, range_start=start, range_end=start + datetime.timedelta(days=1),
        now=start - datetime.timedelta(days=1), busy=Busy([]),
    )
    assert slots == [
        Slot(start=datetime.datetime(2027, 6, 7, 7, tzinfo=UTC), end=datetime.datetime(2027, 6, 7, 7, 30, tzinfo=UTC)),
        Slot(start=datetime.datetime(2027, 6, 7, 7, 30, tzinfo=UTC), end=datetime.datetime(2027, 6, 7, 8, tzinfo=UTC)),
    ]
    assert all(slot.start.tzinfo is UTC for slot in slots)


def test_busy_merges_touching_and_nested_ranges():
    def at(hour, minute=0):
        return datetime.datetime(2027, 1, 4, hour, minute, tzinfo=UTC)

    busy = Busy([(at(9), at(10)), (at(10), at(11)), (at(9, 30), at(9, 45)), (at(13), at(14))])
    assert len(busy.starts) == 2
    assert busy.overlaps(at(10, 30), at(10, 45))
    assert not busy.overlaps(at(11), at(13))
    assert Busy.from_epoch_us([(s, e) for s, e in zip(busy.starts, busy.ends)]).starts == busy.starts

"""Slot generation: wall-clock availability in the staff member's zone -> UTC instants.

Rules, exactly:
- Candidates step 30 minutes of *wall-clock* time from each window's start, so a 9:00 start is
  9:00 local on both sides of a DST change.
- A wall-clock time that does not exist (spring-forward gap) is never offered; one that occurs
  twice (fall-back) is offered once, at its first occurrence.
- The slot plus its buffers must fit inside the window (compared as instants).
- No slot at or before `now`.
- A slot conflicts with an active appointment when the slot's blocked range (start - buffer
  before, end + buffer after) overlaps the appointment's blocked range.
"""
import bisect
import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = datetime.timezone.utc
STEP = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class Window:
    start: datetime.time
    end: datetime.time


@dataclass(frozen=True)
class Slot:
    start: datetime.datetime  # UTC
    end: datetime.datetime  # UTC


@dataclass(frozen=True)
class SlotSpec:
    duration: datetime.timedelta
    buffer_before: datetime.timedelta
    buffer_after: datetime.timedelta


def wall_to_utc(day: datetime.date, wall: datetime.time, tz: ZoneInfo) -> datetime.datetime | None:
    """The first instant this wall-clock time occurs on `day` in `tz`, or None if it never does."""
    naive = datetime.datetime.combine(day, wall)
    instant = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        return None  # in the spring-forward gap
    return instant


def boundary_to_utc(day: datetime.date, wall: datetime.time, tz: ZoneInfo) -> datetime.datetime:
    """A window edge as an instant; an edge inside a gap maps to the end of the gap."""
    return datetime.datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


class Availability:
    """Weekly windows plus per-date overrides for one staff member."""

    def __init__(self, *, tz: ZoneInfo, weekly: dict[int, list[Window]], overrides: dict[datetime.date, list[Window] | None]):
        self.tz = tz
        self.weekly = {day: sorted(windows, key=lambda w: w.start) for day, windows in weekly.items()}
        # date -> None (unavailable all day) or the day's windows
        self.overrides = {
            day: (None if windows is None else sorted(windows, key=lambda w: w.start)) for day, windows in overrides.items()
        }

    def windows_on(self, day: datetime.date) -> list[Window]:
        if day in self.overrides:
            return self.overrides[day] or []
        return self.weekly.get(day.weekday(), [])


class Busy:
    """Blocked ranges of active appointments, merged, for O(log n) overlap checks."""

    def __init__(self, ranges):
        merged: list[list[datetime.datetime]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1][1] = end
            else:
                merged.append([start, end])
        self.starts = [r[0] for r in merged]
        self.ends = [r[1] for r in merged]

    def overlaps(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        index = bisect.bisect_left(self.starts, end) - 1  # last range starting before `end`
        return index >= 0 and self.ends[index] > start


def generate_slots(
    *,
    availability: Availability,
    spec: SlotSpec,
    range_start: datetime.datetime,
    range_end: datetime.datetime,
    now: datetime.datetime,
    busy: Busy,
) -> list[Slot]:
    """Bookable slots whose start lies in [range_start, range_end), in time order."""
    tz = availability.tz
    first_day = range_start.astimezone(tz).date() - datetime.timedelta(days=1)
    last_day = range_end.astimezone(tz).date() + datetime.timedelta(days=1)
    slots: list[Slot] = []
    seen: set[datetime.datetime] = set()
    day = first_day
    while day <= last_day:
        for window in availability.windows_on(day):
            window_start = boundary_to_utc(day, window.start, tz)
            window_end = boundary_to_utc(day, window.end, tz)
            wall = datetime.datetime.combine(day, window.start)
            limit = datetime.datetime.combine(day, window.end)
            while wall < limit:
                start = wall_to_utc(day, wall.time(), tz)
                wall += STEP
                if start is None or start in seen:
                    continue
                end = start + spec.duration
                blocked_start, blocked_end = start - spec.buffer_before, end + spec.buffer_after
                if blocked_start < window_start or blocked_end > window_end:
                    continue
                if start <= now or not (range_start <= start < range_end):
                    continue
                if busy.overlaps(blocked_start, blocked_end):
                    continue
                seen.add(start)
                slots.append(Slot(start=start, end=end))
        day += datetime.timedelta(days=1)
    slots.sort(key=lambda slot: slot.start)
    return slots

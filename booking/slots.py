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
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = datetime.timedelta(microseconds=1)
STEP_US = STEP // ONE_US


def epoch_us(instant: datetime.datetime) -> int:
    """An aware instant as integer microseconds since the epoch (exact, unlike timestamp())."""
    return (instant - EPOCH) // ONE_US


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
    """Blocked ranges of active appointments, merged, for O(log n) overlap checks.

    Kept as integer microseconds since the epoch (UTC): comparing ints is what the slot loop does
    hundreds of times per request. `Busy(ranges)` takes (start, end) instants; `from_epoch_us`
    takes the same as integers (what busy_for reads from PostgreSQL).
    """

    def __init__(self, ranges=()):
        self._merge((epoch_us(start), epoch_us(end)) for start, end in ranges)

    @classmethod
    def from_epoch_us(cls, ranges) -> "Busy":
        busy = cls.__new__(cls)
        busy._merge(ranges)
        return busy

    lapses_at_us: int | None = None  # when a pending hold among the ranges lapses (busy_for sets it)

    def _merge(self, ranges) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(ranges):
            if ends and start <= ends[-1]:
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        self.starts, self.ends = starts, ends

    def overlaps(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        return self.overlaps_us(epoch_us(start), epoch_us(end))

    def overlaps_us(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self.starts, end) - 1  # last range starting before `end`
        return index >= 0 and self.ends[index] > start


def _window_starts(day: datetime.date, window: Window, tz: ZoneInfo, window_start: datetime.datetime, window_end: datetime.datetime):
    """Each candidate's first instant (epoch us) for the window's wall-clock steps; gap times skipped.

    When the window's start exists as written and the UTC offset is the same at both edges, no
    transition lies inside the window (zones change offset at most once within a day), so every
    step is its wall time minus that one offset: integer arithmetic, no zoneinfo call per step.
    Otherwise (a DST change inside, or the start in a gap) each step is converted on its own.
    """
    wall = datetime.datetime.combine(day, window.start)
    limit = datetime.datetime.combine(day, window.end)
    local_start = window_start.astimezone(tz)
    offset = local_start.utcoffset()
    if local_start.replace(tzinfo=None) == wall and window_end.astimezone(tz).utcoffset() == offset:
        first = epoch_us(wall.replace(tzinfo=UTC) - offset)
        return range(first, first + (limit - wall) // ONE_US, STEP_US)
    starts = []
    while wall < limit:
        start = wall_to_utc(day, wall.time(), tz)
        wall += STEP
        if start is not None:
            starts.append(epoch_us(start))
    return starts


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
    duration, before, after = spec.duration // ONE_US, spec.buffer_before // ONE_US, spec.buffer_after // ONE_US
    # A start must be in [range_start, range_end) and after now: [lowest, highest].
    lowest = max(epoch_us(range_start), epoch_us(now) + 1)
    highest = epoch_us(range_end) - 1
    overlaps = busy.overlaps_us
    found: list[int] = []
    seen: set[int] = set()
    day = first_day
    while day <= last_day:
        for window in availability.windows_on(day):
            window_start = boundary_to_utc(day, window.start, tz)
            window_end = boundary_to_utc(day, window.end, tz)
            open_us, close_us = epoch_us(window_start), epoch_us(window_end)
            # The slot plus its buffers must fit: start - before >= open and start + duration + after <= close.
            if max(open_us + before, lowest) > min(close_us - duration - after, highest):
                continue
            for start in _window_starts(day, window, tz, window_start, window_end):
                if start in seen:
                    continue
                blocked_start, blocked_end = start - before, start + duration + after
                if blocked_start < open_us or blocked_end > close_us:
                    continue
                if not (lowest <= start <= highest):
                    continue
                if overlaps(blocked_start, blocked_end):
                    continue
                seen.add(start)
                found.append(start)
        day += datetime.timedelta(days=1)
    found.sort()
    step = datetime.timedelta(microseconds=duration)
    slots = []
    for start in found:
        instant = EPOCH + datetime.timedelta(microseconds=start)
        slots.append(Slot(start=instant, end=instant + step))
    return slots

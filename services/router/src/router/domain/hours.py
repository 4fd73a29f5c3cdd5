"""Business hours in a location's own timezone: open now, minutes until open, business minutes.

Rules: no hours at all = always open; weekly hours given = open only in the listed ranges (a weekday
not listed is closed); closed dates close the whole local day. Local wall-clock times are turned into
instants with zoneinfo day by day, so DST days are 23 or 25 hours long and a range that spans the
spring-forward gap is an hour shorter (02:30 that never happens resolves to 03:30).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from router.domain.capacity import zone

MINUTES_PER_DAY = 24 * 60
HORIZON_DAYS = 14


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening ranges per weekday (0 = Monday) in minutes of the local day, and closed dates."""

    ranges: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    closed_dates: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not self.ranges and not self.closed_dates

    def day_ranges(self, day: date) -> tuple[tuple[int, int], ...]:
        if day in self.closed_dates:
            return ()
        if not self.ranges:
            return ((0, MINUTES_PER_DAY),)
        return self.ranges.get(day.weekday(), ())


ALWAYS_OPEN = WeeklyHours()


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def weekly_hours(weekly: dict[int, list[tuple[str, str]]], closed_dates: list[date]) -> WeeklyHours:
    ranges = {int(d): tuple((_minutes(o), _minutes(c)) for o, c in r) for d, r in weekly.items()}
    return WeeklyHours(ranges, frozenset(closed_dates))


def encode(hours: WeeklyHours) -> str:
    """Compact form stored in the Redis profile hash ('' = always open)."""
    if hours.always_open:
        return ""
    body = {
        "w": {str(d): [list(r) for r in rs] for d, rs in hours.ranges.items()},
        "c": sorted(d.isoformat() for d in hours.closed_dates),
    }
    return json.dumps(body, separators=(",", ":"))


@lru_cache(maxsize=4096)
def decode(text: str) -> WeeklyHours:
    if not text:
        return ALWAYS_OPEN
    body = json.loads(text)
    ranges = {int(d): tuple((int(o), int(c)) for o, c in rs) for d, rs in body.get("w", {}).items()}
    return WeeklyHours(ranges, frozenset(date.fromisoformat(d) for d in body.get("c", [])))


def _instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    extra, minute = divmod(minute, MINUTES_PER_DAY)
    local = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)


def open_intervals(
    hours: WeeklyHours, timezone: str, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """UTC (opens, closes) intervals overlapping [start, end), clipped to it, in order."""
    tz = zone(timezone)
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for opens, closes in hours.day_ranges(day):
            a, b = max(_instant(day, opens, tz), start), min(_instant(day, closes, tz), end)
            if a < b:
                yield a, b
        day += timedelta(days=1)


def is_open(hours: WeeklyHours, timezone: str, now: datetime) -> bool:
    return any(True for _ in open_intervals(hours, timezone, now, now + timedelta(seconds=1)))


def minutes_until_open(hours: WeeklyHours, timezone: str, now: datetime) -> float | None:
    """0 when open now, else minutes to the next opening; None if closed for the whole horizon."""
    for opens, _ in open_intervals(hours, timezone, now, now + timedelta(days=HORIZON_DAYS)):
        return max(0.0, (opens - now).total_seconds() / 60)
    return None


def next_opening(hours: WeeklyHours, timezone: str, now: datetime) -> datetime | None:
    wait = minutes_until_open(hours, timezone, now)
    return None if wait is None else now + timedelta(minutes=wait)


def business_minutes_between(hours: WeeklyHours, timezone: str, start: datetime, end: datetime) -> float:
    if end <= start:
        return 0.0
    return sum((b - a).total_seconds() / 60 for a, b in open_intervals(hours, timezone, start, end))


def add_business_minutes(hours: WeeklyHours, timezone: str, start: datetime, minutes: float) -> datetime:
    """The instant when ``minutes`` of opening time have passed since ``start``.

    A location never open within the horizon gets the plain wall-clock deadline (it cannot be
    waited for forever)."""
    left = timedelta(minutes=minutes)
    window_start = start
    for _ in range(8):
        window_end = window_start + timedelta(days=HORIZON_DAYS)
        for a, b in open_intervals(hours, timezone, window_start, window_end):
            if b - a >= left:
                return a + left
            left -= b - a
        window_start = window_end
    return start + timedelta(minutes=minutes)

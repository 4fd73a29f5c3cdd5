"""Parsing the optional ``Hours`` and ``Closed Dates`` columns into BusinessHours.

Hours: ``Mon-Fri 06:00-21:00; Sat 08:00-18:00; Sun closed`` (ranges of days, several time ranges
separated by commas). Closed Dates: ISO dates separated by ``;`` or ``,``.
"""

from __future__ import annotations

import re
from datetime import date

from leadflow_common.events.locations import BusinessHours, DayHours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    """The text is not a valid opening-hours or closed-dates specification."""


def _day_index(token: str) -> int:
    key = token.strip().casefold()[:3]
    if key not in DAYS:
        raise HoursError(f"unknown weekday {token.strip()!r}")
    return DAYS.index(key)


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            first, last = (_day_index(p) for p in part.split("-", 1))
            span = (last - first) % 7
            days.extend((first + i) % 7 for i in range(span + 1))
        else:
            days.append(_day_index(part))
    return days


def _time_range(text: str) -> DayHours:
    match = _TIME_RANGE.match(text.strip())
    if not match:
        raise HoursError(f"expected HH:MM-HH:MM, got {text.strip()!r}")
    oh, om, ch, cm = (int(g) for g in match.groups())
    if oh > 23 or ch > 24 or om > 59 or cm > 59 or (ch == 24 and cm):
        raise HoursError(f"not a time of day in {text.strip()!r}")
    if (ch, cm) <= (oh, om):
        raise HoursError(f"closing time must be after opening time in {text.strip()!r}")
    return DayHours(opens=f"{oh:02d}:{om:02d}", closes=f"{ch:02d}:{cm:02d}")


def parse_weekly_hours(text: str) -> dict[int, list[DayHours]]:
    weekly: dict[int, list[DayHours]] = {}
    for clause in filter(None, (c.strip() for c in text.split(";"))):
        day_spec, _, times = clause.partition(" ")
        if not times.strip():
            raise HoursError(f"missing hours in {clause!r}")
        days = _days(day_spec)
        ranges = [] if times.strip().casefold() == "closed" else [_time_range(t) for t in times.split(",")]
        for day in days:
            weekly[day] = list(ranges)
    return weekly


def parse_closed_dates(text: str) -> list[date]:
    dates: list[date] = []
    for token in filter(None, (t.strip() for t in re.split(r"[;,]", text))):
        try:
            dates.append(date.fromisoformat(token))
        except ValueError:
            raise HoursError(f"not an ISO date (YYYY-MM-DD): {token!r}") from None
    return sorted(set(dates))


def business_hours(hours: str, closed_dates: str) -> BusinessHours | None:
    if not hours.strip() and not closed_dates.strip():
        return None
    return BusinessHours(weekly=parse_weekly_hours(hours), closed_dates=parse_closed_dates(closed_dates))


def describe_hours(hours: BusinessHours | None) -> str:
    """Human text for a custom value, e.g. 'Mon 06:00-21:00; ...; Sun closed'."""
    if hours is None or not hours.weekly:
        return ""
    parts = []
    for day, name in enumerate(DAYS):
        ranges = hours.weekly.get(day, [])
        text = ", ".join(f"{r.opens}-{r.closes}" for r in ranges) if ranges else "closed"
        parts.append(f"{name.title()} {text}")
    return "; ".join(parts)

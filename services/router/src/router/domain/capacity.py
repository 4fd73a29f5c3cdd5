"""Capacity days: a location's daily limit counts leads per *its own* local calendar date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/New_York"


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def capacity_date(now: datetime, timezone: str | None) -> date:
    """The location's local date at the aware instant ``now``."""
    if now.tzinfo is None:
        raise ValueError("capacity_date needs an aware datetime")
    return now.astimezone(zone(timezone)).date()


def local_dates(now: datetime, timezones: set[str]) -> dict[str, str]:
    """ISO local date per timezone name, what the decision script uses to pick counters."""
    return {tz: capacity_date(now, tz).isoformat() for tz in timezones}

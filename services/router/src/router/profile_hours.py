"""LocationProfile.business_hours (the locations.v1 contract) → the router's WeeklyHours."""

from __future__ import annotations

from typing import Any

from leadflow_common.events.locations import BusinessHours, LocationProfile
from router.domain.hours import ALWAYS_OPEN, WeeklyHours, weekly_hours


def from_business_hours(hours: BusinessHours | None) -> WeeklyHours:
    """Absent hours (the documented default) = always open."""
    if hours is None:
        return ALWAYS_OPEN
    weekly = {day: [(r.opens, r.closes) for r in ranges] for day, ranges in hours.weekly.items()}
    return weekly_hours(weekly, list(hours.closed_dates))


def profile_hours(profile: LocationProfile | dict[str, Any] | None) -> tuple[WeeklyHours, str]:
    """(hours, timezone) of a profile or of its stored JSON; no profile = always open, default zone."""
    if profile is None:
        return ALWAYS_OPEN, "America/New_York"
    if isinstance(profile, dict):
        profile = LocationProfile.model_validate(profile)
    return from_business_hours(profile.business_hours), profile.timezone

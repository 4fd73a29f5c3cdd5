"""locations.v1: the compacted location directory (latest LocationProfile per location)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from leadflow_common.events.envelope import EventPayload, register_payload


class LocationStatus(StrEnum):
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"
    QUARANTINED = "quarantined"
    OFFBOARDED = "offboarded"


class DayHours(BaseModel):
    """Opening hours of one weekday in the location's local time, e.g. 06:00-21:00."""

    opens: str = Field(pattern=r"^\d{2}:\d{2}$")
    closes: str = Field(pattern=r"^\d{2}:\d{2}$")


class BusinessHours(BaseModel):
    """Weekly opening hours keyed by weekday (0 = Monday) and holiday closures."""

    weekly: dict[int, list[DayHours]] = Field(default_factory=dict)
    closed_dates: list[date] = Field(default_factory=list)


@register_payload
class LocationProfile(EventPayload):
    EVENT_TYPE = "LocationProfile"

    location_id: str = Field(description="Stable platform id: the franchise code, upper-case")
    ghl_location_id: str | None = None
    name: str
    franchise_code: str
    status: LocationStatus
    lat: float | None = None
    lon: float | None = None
    geocode_method: str | None = None
    timezone: str = "America/New_York"
    daily_capacity: int = Field(ge=0)
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    phone: str | None = None
    email: str | None = None
    region: str | None = None
    specialties: list[str] = Field(default_factory=list)
    business_hours: BusinessHours | None = None
    updated_at: datetime | None = None
    # Zip codes (5 digits) this location owns exclusively: a lead there goes to it first.
    territory_zips: list[str] = Field(default_factory=list)
    # Share among equally near locations under the router's `weighted` tie policy (default 1).
    routing_weight: float = Field(default=1.0, gt=0)
    # The location's own reach: it only takes leads within this many miles (None: the router's
    # radius steps alone decide). It narrows the steps, never widens them.
    radius_override_miles: float | None = Field(default=None, gt=0)

"""onboarding.commands.v1 and onboarding.events.v1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from leadflow_common.events.envelope import EventPayload, register_payload
from leadflow_common.events.locations import BusinessHours, LocationStatus


class LocationDraft(BaseModel):
    """One validated CSV row: what a new location needs to be onboarded."""

    name: str
    address: str
    city: str
    state: str
    postal_code: str
    phone: str
    email: str
    website: str | None = None
    manager_name: str
    manager_email: str
    timezone: str | None = None
    daily_capacity: int = Field(gt=0)
    region: str | None = None
    franchise_code: str
    opening_date: date | None = None
    specialties: list[str] = Field(default_factory=list)
    business_hours: BusinessHours | None = None
    territory_zips: list[str] = Field(default_factory=list)  # zip codes owned exclusively
    routing_weight: float = Field(default=1.0, gt=0)  # the router's `weighted` tie policy
    radius_override_miles: float | None = Field(default=None, gt=0)  # its own reach (None: global)


# Commands (key: franchise code)


@register_payload
class OnboardLocation(EventPayload):
    EVENT_TYPE = "OnboardLocation"
    location: LocationDraft


@register_payload
class AdoptLocation(EventPayload):
    """Register an already-live GHL sub-account without creating anything in GHL."""

    EVENT_TYPE = "AdoptLocation"
    location: LocationDraft
    ghl_location_id: str


@register_payload
class UpdateLocation(EventPayload):
    EVENT_TYPE = "UpdateLocation"
    location_id: str
    daily_capacity: int | None = Field(default=None, ge=0)
    status: LocationStatus | None = None
    business_hours: BusinessHours | None = None


@register_payload
class RetryOnboarding(EventPayload):
    EVENT_TYPE = "RetryOnboarding"
    location_id: str


@register_payload
class OffboardLocation(EventPayload):
    EVENT_TYPE = "OffboardLocation"
    location_id: str
    reason: str | None = None


# Events (key: location id)


@register_payload
class StepCompleted(EventPayload):
    EVENT_TYPE = "StepCompleted"
    location_id: str
    step: str
    ghl_ids: dict[str, Any] = Field(default_factory=dict)
    completed_at: datetime


@register_payload
class StepFailed(EventPayload):
    EVENT_TYPE = "StepFailed"
    location_id: str
    step: str
    error: str
    attempt: int
    will_retry: bool


@register_payload
class LocationActivated(EventPayload):
    EVENT_TYPE = "LocationActivated"
    location_id: str
    ghl_location_id: str
    name: str
    region: str | None = None
    state: str | None = None
    daily_capacity: int
    adopted: bool = False
    activated_at: datetime


@register_payload
class OnboardingFailed(EventPayload):
    EVENT_TYPE = "OnboardingFailed"
    location_id: str
    step: str
    reason: str
    compensated: list[str] = Field(default_factory=list)


@register_payload
class Quarantined(EventPayload):
    EVENT_TYPE = "Quarantined"
    location_id: str
    reasons: list[str]

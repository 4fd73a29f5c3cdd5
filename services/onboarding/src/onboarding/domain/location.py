"""A location being onboarded (or live): its draft, status, GHL ids and the record of each saga step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.events.onboarding import LocationDraft
from onboarding.domain.saga import SagaStatus, Step, StepStatus


@dataclass
class StepRecord:
    status: StepStatus
    ghl_ids: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    error: str | None = None
    published: bool = False


@dataclass
class Location:
    location_id: str
    draft: LocationDraft
    status: SagaStatus = SagaStatus.PENDING
    adopted: bool = False
    ghl_location_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    geocode_method: str | None = None
    timezone: str | None = None
    failed_step: str | None = None
    last_error: str | None = None
    steps: dict[Step, StepRecord] = field(default_factory=dict)
    updated_at: datetime | None = None
    saga_marker: str | None = None  # set when the saga is created; see domain/marker.py

    def done_steps(self) -> set[Step]:
        return {s for s, r in self.steps.items() if r.status is StepStatus.DONE}

    def step(self, step: Step) -> StepRecord | None:
        return self.steps.get(step)


def location_key(franchise_code: str) -> str:
    """The platform's location id: the franchise code, upper-case."""
    return franchise_code.strip().upper()


_PROFILE_STATUS = {
    SagaStatus.PENDING: LocationStatus.ONBOARDING,
    SagaStatus.RUNNING: LocationStatus.ONBOARDING,
    SagaStatus.ACTIVE: LocationStatus.ACTIVE,
    SagaStatus.PAUSED: LocationStatus.PAUSED,
    SagaStatus.QUARANTINED: LocationStatus.QUARANTINED,
    SagaStatus.FAILED: LocationStatus.ONBOARDING,
    SagaStatus.OFFBOARDED: LocationStatus.OFFBOARDED,
}


def to_profile(location: Location, now: datetime, default_timezone: str) -> LocationProfile:
    draft = location.draft
    return LocationProfile(
        location_id=location.location_id,
        ghl_location_id=location.ghl_location_id,
        name=draft.name,
        franchise_code=draft.franchise_code,
        status=_PROFILE_STATUS[location.status],
        lat=location.lat,
        lon=location.lon,
        geocode_method=location.geocode_method,
        timezone=location.timezone or draft.timezone or default_timezone,
        daily_capacity=draft.daily_capacity,
        address=draft.address,
        city=draft.city,
        state=draft.state,
        postal_code=draft.postal_code,
        phone=draft.phone,
        email=draft.email,
        region=draft.region,
        specialties=draft.specialties,
        business_hours=draft.business_hours,
        updated_at=now,
        territory_zips=draft.territory_zips,
        routing_weight=draft.routing_weight,
        radius_override_miles=draft.radius_override_miles,
    )

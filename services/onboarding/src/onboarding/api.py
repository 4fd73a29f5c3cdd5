"""Status API (bearer token): one location's onboarding state, or all locations in a status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from leadflow_common.http import bearer_guard
from onboarding.domain.location import Location, location_key
from onboarding.domain.saga import STEPS, SagaStatus
from onboarding.ports import SagaStore


class StepView(BaseModel):
    step: str
    status: str
    attempts: int
    error: str | None
    ghl_ids: dict[str, Any]


class LocationView(BaseModel):
    location_id: str
    name: str
    status: str
    adopted: bool
    ghl_location_id: str | None
    timezone: str | None
    lat: float | None
    lon: float | None
    failed_step: str | None
    last_error: str | None
    updated_at: datetime | None
    steps: list[StepView]


class LocationList(BaseModel):
    items: list[LocationView]


def to_view(loc: Location) -> LocationView:
    steps = [
        StepView(step=s.value, status=r.status.value, attempts=r.attempts, error=r.error, ghl_ids=r.ghl_ids)
        for s in STEPS
        if (r := loc.step(s)) is not None
    ]
    return LocationView(
        location_id=loc.location_id,
        name=loc.draft.name,
        status=loc.status.value,
        adopted=loc.adopted,
        ghl_location_id=loc.ghl_location_id,
        timezone=loc.timezone,
        lat=loc.lat,
        lon=loc.lon,
        failed_step=loc.failed_step,
        last_error=loc.last_error,
        updated_at=loc.updated_at,
        steps=steps,
    )


def build_router(store: SagaStore, token: str) -> APIRouter:
    router = APIRouter(dependencies=[Depends(bearer_guard(token))], tags=["onboarding"])

    @router.get("/onboarding/{key}")
    async def get_location(key: str) -> LocationView:
        """One location by franchise code (case-insensitive)."""
        loc = await store.get(location_key(key))
        if loc is None:
            raise HTTPException(404, f"no location {key}")
        return to_view(loc)

    @router.get("/onboarding")
    async def list_locations(
        status: SagaStatus | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 500
    ) -> LocationList:
        """Locations, optionally only those in one status (pending, running, active, failed...)."""
        return LocationList(items=[to_view(loc) for loc in await store.list_locations(status, limit)])

    return router

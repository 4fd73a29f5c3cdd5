"""Internal HTTP API (bearer token): a lead's decision, what-if previews, location capacity."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from leadflow_common.http import BearerCredentials, require_bearer
from router.adapters import postgres as pg
from router.adapters import sla_store
from router.domain.capacity import capacity_date
from router.domain.geocoding import Geocode, GeocodeMethod, geocode
from router.domain.lead import Lead
from router.domain.rules import RouteOutcome
from router.domain.scoring import score_lead
from router.services import RouterServices


class PreviewRequest(BaseModel):
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    source: str | None = None
    tags: list[str] = Field(default_factory=list)


def services(request: Request) -> RouterServices:
    found: RouterServices = request.app.state.services
    return found


def authorized(request: Request, credentials: BearerCredentials) -> None:
    require_bearer(credentials, services(request).settings.api_token or None)


api = APIRouter(dependencies=[Depends(authorized)])
Services = Annotated[RouterServices, Depends(services)]


@api.get("/routes/{lead_id}")
async def get_route(lead_id: str, svc: Services) -> dict[str, Any]:
    """The decision for a lead and why: rule, candidates seen, geocode method, sync and SLA state."""
    async with svc.sessions() as session:
        row = await pg.assignment(session, lead_id)
        if row is None:
            raise HTTPException(status_code=404, detail="no decision for this lead")
        logs = await pg.decision_logs(session, lead_id)
        synced = await pg.sync_record(session, lead_id)
        sla = await sla_store.timer(session, lead_id)
    return {"assignment": row, "decisions": logs, "ghl_sync": synced, "sla": sla}


@api.post("/routes/preview")
async def preview(body: PreviewRequest, svc: Services) -> dict[str, Any]:
    """What-if: where would a lead from here go now? Books nothing."""
    lead = Lead("preview", postal_code=body.postal_code, city=body.city, state=body.state,
                source=body.source, tags=tuple(body.tags))  # fmt: skip
    geo = geocode(lead, svc.gazetteer)
    if body.lat is not None and body.lon is not None:
        geo = Geocode(GeocodeMethod.COORDINATES, body.lat, body.lon, geo.state)
    score = score_lead(lead, svc.weights)
    now = datetime.now(UTC)
    outcome = await svc.decider.decide("", geo, score, now, book=False)
    return {
        "geocode": asdict(geo),
        "score": score,
        "outcome": asdict(outcome),
        "hours": chosen_hours(outcome, now),
    }


def chosen_hours(outcome: RouteOutcome, now: datetime) -> dict[str, Any] | None:
    """Whether the chosen location is open now, and when it opens (None: hours rule ``ignore``)."""
    chosen = next((c for c in outcome.candidates if c.location_id == outcome.location_id), None)
    if chosen is None or chosen.open_now is None:
        return None
    wait = chosen.opens_in_minutes
    opens_at = None if wait is None else (now + timedelta(minutes=wait)).isoformat()
    return {
        "open_now": chosen.open_now,
        "opens_in_minutes": wait,
        "opens_at": opens_at,
        "note": outcome.hours_note,
    }


@api.get("/locations/{location_id}/capacity")
async def location_capacity(location_id: str, svc: Services) -> dict[str, Any]:
    async with svc.sessions() as session:
        row = await pg.location_row(session, location_id)
    if row is None:
        raise HTTPException(status_code=404, detail="unknown location")
    day = capacity_date(datetime.now(UTC), row["timezone"])
    reserved = await svc.redis_directory.reserved(location_id, day)
    cap = int(row["daily_capacity"])
    threshold = svc.settings.capacity_threshold
    return {
        "location_id": location_id,
        "status": row["status"],
        "local_date": day.isoformat(),
        "timezone": row["timezone"],
        "daily_capacity": cap,
        "threshold": threshold,
        "reserved": reserved,
        "remaining_below_threshold": max(0.0, threshold * cap - reserved),
        "utilization": reserved / cap if cap else None,
    }


@api.get("/sync/status")
async def sync_status(svc: Services) -> dict[str, Any]:
    """The GHL sync of this replica: sub-accounts whose credentials GHL refuses (their syncs wait,
    paused; /readyz stays up, it is not this pod's fault) and how long they have been blocked."""
    if svc.sync is None:
        return {"enabled": False, "auth_blocked": []}
    return {"enabled": True, "auth_blocked": [b.as_dict() for b in svc.sync.auth.blocked()]}

"""Admin API (no auth, no rate limit): state, request log, fault injection, limits, reset."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.faults import FaultConfig
from ghl_simulator.ratelimit import Limits
from ghl_simulator.sim import Sim, get_sim
from ghl_simulator.state import Json
from ghl_simulator.webhooks import WebhookSender

router = APIRouter(prefix="/admin", tags=["admin"])
SimDep = Annotated[Sim, Depends(get_sim)]


class LimitsBody(BaseModel):
    max: int = Field(gt=0)
    interval_ms: int = Field(gt=0)
    daily: int = Field(default=200_000, gt=0)


class WebhookBody(BaseModel):
    url: str
    payload: dict[str, Any]
    scheme: Literal["ed25519", "rsa", "both", "none"] = "ed25519"
    retry_interval_s: float | None = Field(
        default=None, description="default GHLSIM_WEBHOOK_RETRY_INTERVAL_S"
    )
    max_retries: int | None = None


@router.get("/health")
async def health() -> Json:
    return {"status": "ok"}


@router.get("/state")
async def state(sim: SimDep) -> Json:
    world = sim.world
    return {
        "summary": world.summary(),
        "company_id": sim.settings.company_id,
        "app_id": sim.settings.app_id,
        "locations": list(world.locations.values()),
        "custom_values": {k: list(v.values()) for k, v in world.custom_values.items()},
        "workflows": world.workflows,
        "pipelines": world.pipelines,
        "users": list(world.users.values()),
        "opportunities": list(world.opportunities.values()),
        "pushes": [
            {"snapshot_id": p.snapshot_id, "location_id": p.location_id, "status": p.status(p.started_at)}
            for p in world.pushes.values()
        ],
        "limits": vars(sim.limiter.limits),
        "faults": sim.faults.config.model_dump(),
    }


@router.get("/contacts")
async def contacts(sim: SimDep, locationId: str | None = None) -> Json:
    rows = [c for c in sim.world.contacts.values() if locationId is None or c["locationId"] == locationId]
    return {"contacts": rows, "count": len(rows)}


@router.get("/requests")
async def requests(sim: SimDep, since: int = 0) -> Json:
    return {"requests": sim.log.since(since)}


@router.post("/faults")
async def set_faults(config: FaultConfig, sim: SimDep) -> Json:
    sim.faults.configure(config)
    return config.model_dump()


@router.delete("/faults")
async def clear_faults(sim: SimDep) -> Json:
    sim.faults.configure(FaultConfig())
    return {"cleared": True}


@router.post("/limits")
async def set_limits(body: LimitsBody, sim: SimDep) -> Json:
    sim.limiter.reset(Limits(body.max, body.interval_ms, body.daily))
    return body.model_dump()


@router.post("/reset")
async def reset(sim: SimDep) -> Json:
    sim.reset()
    return {"reset": True}


@router.post("/locations/{location_id}/{action}")
async def install(location_id: str, action: Literal["install", "uninstall"], sim: SimDep) -> Json:
    if location_id not in sim.world.locations:
        raise GhlHttpError(404, "Location not found")
    if action == "install":
        sim.world.installed.add(location_id)
    else:  # like GHL: uninstalling revokes the app's tokens of the location (calls answer 401)
        sim.world.installed.discard(location_id)
        revoked = [t for t, issued in sim.world.tokens.items() if issued.location_id == location_id]
        for token in revoked:
            del sim.world.tokens[token]
    return {"locationId": location_id, "isInstalled": location_id in sim.world.installed}


@router.post("/tokens/expire")
async def expire_tokens(sim: SimDep) -> Json:
    count = len(sim.world.tokens)
    sim.world.tokens.clear()
    return {"expired": count}


@router.post("/webhooks/send")
async def send_webhook(body: WebhookBody, sim: SimDep) -> Json:
    """Deliver one signed webhook (retrying only on 429) and report every attempt's status."""
    settings = sim.settings
    interval = settings.webhook_retry_interval_s if body.retry_interval_s is None else body.retry_interval_s
    retries = settings.webhook_max_retries if body.max_retries is None else body.max_retries
    sender = WebhookSender.with_test_keys(interval, retries, settings.webhook_clock_speedup)
    result = await sender.deliver(body.url, body.payload, scheme=body.scheme)
    return result.as_dict()


class SeedBody(BaseModel):
    """Entities that exist in GHL before the platform sees them: the franchise's intake
    (corporate marketing) sub-account, already-live locations, contacts created by forms and ads."""

    locations: list[dict[str, Any]] = Field(default_factory=list)
    contacts: list[dict[str, Any]] = Field(default_factory=list)


@router.post("/seed")
async def seed(body: SeedBody, sim: SimDep) -> Json:
    """Insert entities with the given ids, outside the rate limits (GHL created them, not us)."""
    world = sim.world
    for location in body.locations:
        if not location.get("id"):
            raise GhlHttpError(422, "a seeded location needs an id")
        world.locations[location["id"]] = {"companyId": sim.settings.company_id, **location}
        world.custom_values.setdefault(location["id"], {})
        world.installed.add(location["id"])
        world._apply_snapshot(location["id"], world.snapshots[sim.settings.snapshot_id])
    for contact in body.contacts:
        if not contact.get("id") or contact.get("locationId") not in world.locations:
            raise GhlHttpError(422, "a seeded contact needs an id and a known locationId")
        world.add_contact({"tags": [], **contact})
    return {"locations": len(body.locations), "contacts": len(body.contacts)}

"""Sub-accounts: create, search, get, update (snapshot load), delete; custom values; snapshot status."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.ids import ghl_id, trace_id
from ghl_simulator.routes.access import existing_location, require_agency, require_location
from ghl_simulator.sim import Principal, Sim, get_principal, get_sim
from ghl_simulator.state import Json, SnapshotPush, iso_now

router = APIRouter()
SimDep = Annotated[Sim, Depends(get_sim)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


class CreateLocation(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1)
    companyId: str = Field(min_length=1)
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    postalCode: str | None = None
    website: str | None = None
    timezone: str | None = None
    email: str | None = None
    prospectInfo: dict[str, Any] | None = None
    snapshotId: str | None = None


class SnapshotRef(BaseModel):
    id: str = Field(min_length=1)
    override: bool = False


class UpdateLocation(BaseModel):
    model_config = ConfigDict(extra="allow")
    companyId: str = Field(min_length=1)
    snapshot: SnapshotRef | None = None


@router.post("/locations/", status_code=201)
async def create_location(body: CreateLocation, sim: SimDep, principal: PrincipalDep) -> Json:
    require_agency(principal, body.companyId)
    location: Json = {
        "id": ghl_id(),
        **body.model_dump(exclude={"prospectInfo", "snapshotId"}, exclude_none=True),
        "dateAdded": iso_now(),
        "settings": {"allowDuplicateContact": False, "allowDuplicateOpportunity": False},
        "social": {},
    }
    sim.world.locations[location["id"]] = location
    sim.world.custom_values[location["id"]] = {}
    if sim.settings.auto_install_app:
        sim.world.installed.add(location["id"])
    if body.snapshotId:
        _start_push(sim, location["id"], body.snapshotId)
    return location


@router.get("/locations/search")
async def search_locations(
    sim: SimDep,
    principal: PrincipalDep,
    companyId: str | None = None,
    email: str | None = None,
    name: str | None = None,
    skip: int = 0,
    limit: int = Query(default=10, le=1000),
) -> Json:
    require_agency(principal, companyId)
    found = [
        loc
        for loc in sim.world.locations.values()
        if (email is None or (loc.get("email") or "").lower() == email.lower())
        and (name is None or name.lower() in loc["name"].lower())
    ]
    return {"locations": found[skip : skip + limit], "traceId": trace_id()}


@router.get("/locations/{location_id}")
async def get_location(location_id: str, sim: SimDep, principal: PrincipalDep) -> Json:
    if not principal.is_agency:
        require_location(principal, location_id)
    return {"location": existing_location(sim, location_id), "traceId": trace_id()}


@router.put("/locations/{location_id}")
async def update_location(
    location_id: str, body: UpdateLocation, sim: SimDep, principal: PrincipalDep
) -> Json:
    require_agency(principal, body.companyId)
    location = existing_location(sim, location_id)
    location.update(body.model_dump(exclude={"snapshot", "companyId"}, exclude_none=True))
    if body.snapshot is not None:
        _start_push(sim, location_id, body.snapshot.id)
    return {**location, "traceId": trace_id()}


@router.delete("/locations/{location_id}")
async def delete_location(location_id: str, sim: SimDep, principal: PrincipalDep) -> Json:
    require_agency(principal)
    existing_location(sim, location_id)
    world = sim.world
    del world.locations[location_id]
    for table in (world.custom_values, world.workflows, world.pipelines):
        table.pop(location_id, None)
    world.installed.discard(location_id)
    return {"success": True, "message": "Sub-account deleted", "traceId": trace_id()}


@router.get("/snapshots/")
async def list_snapshots(sim: SimDep, principal: PrincipalDep, companyId: str) -> Json:
    require_agency(principal, companyId)
    snaps = [{"id": s.id, "name": s.name, "type": "own"} for s in sim.world.snapshots.values()]
    return {"snapshots": snaps}


@router.get("/snapshots/snapshot-status/{snapshot_id}/location/{location_id}")
async def snapshot_status(snapshot_id: str, location_id: str, sim: SimDep, principal: PrincipalDep) -> Json:
    require_agency(principal)
    push = sim.world.pushes.get((snapshot_id, location_id))
    if push is None:
        raise GhlHttpError(404, "No snapshot push found for this location")
    return {
        "data": {
            "id": push.id,
            "locationId": location_id,
            "snapshotId": snapshot_id,
            "status": push.status(time.time()),
            "dateAdded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(push.started_at)),
        }
    }


def _start_push(sim: Sim, location_id: str, snapshot_id: str) -> None:
    if snapshot_id not in sim.world.snapshots:
        raise GhlHttpError(400, "Snapshot not found")
    sim.world.pushes[(snapshot_id, location_id)] = SnapshotPush(
        id=ghl_id(),
        snapshot_id=snapshot_id,
        location_id=location_id,
        started_at=time.time(),
        delay_s=sim.settings.snapshot_push_delay_s,
        fail=sim.faults.config.fail_snapshot_pushes,
    )

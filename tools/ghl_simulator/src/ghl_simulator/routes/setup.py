"""Per-location setup the onboarding saga reads and writes: custom values, workflows, pipelines, users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.ids import ghl_id, trace_id
from ghl_simulator.routes.access import existing_location, require_agency, require_location
from ghl_simulator.sim import Principal, Sim, get_principal, get_sim
from ghl_simulator.state import Json, custom_value

router = APIRouter()
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SimDep = Annotated[Sim, Depends(get_sim)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


class CustomValueBody(BaseModel):
    name: str = Field(min_length=1)
    value: str


class CreateUser(BaseModel):
    model_config = ConfigDict(extra="allow")
    companyId: str = Field(min_length=1)
    firstName: str = Field(min_length=1)
    lastName: str = Field(min_length=1)
    email: str = Field(pattern=EMAIL)
    password: str | None = None
    phone: str | None = None
    type: str = Field(default="account", pattern="^(account|agency)$")
    role: str = Field(default="admin", pattern="^(admin|user)$")
    locationIds: list[str] = Field(min_length=1)


def _allow(principal: Principal, location_id: str) -> None:
    if not principal.is_agency:
        require_location(principal, location_id)


@router.get("/locations/{location_id}/customValues")
async def list_custom_values(location_id: str, sim: SimDep, principal: PrincipalDep) -> Json:
    _allow(principal, location_id)
    existing_location(sim, location_id)
    return {"customValues": list(sim.world.custom_values.get(location_id, {}).values())}


@router.post("/locations/{location_id}/customValues")
async def create_custom_value(
    location_id: str, body: CustomValueBody, sim: SimDep, principal: PrincipalDep
) -> Json:
    _allow(principal, location_id)
    existing_location(sim, location_id)
    values = sim.world.custom_values.setdefault(location_id, {})
    if any(cv["name"] == body.name for cv in values.values()):
        raise GhlHttpError(400, f"Custom value with name {body.name} already exists")
    cv = custom_value(location_id, body.name, body.value)
    values[cv["id"]] = cv
    return {"customValue": cv}


@router.put("/locations/{location_id}/customValues/{cv_id}")
async def update_custom_value(
    location_id: str, cv_id: str, body: CustomValueBody, sim: SimDep, principal: PrincipalDep
) -> Json:
    _allow(principal, location_id)
    existing_location(sim, location_id)
    cv = sim.world.custom_values.get(location_id, {}).get(cv_id)
    if cv is None:
        raise GhlHttpError(404, "Custom value not found")
    cv.update(name=body.name, value=body.value)
    return {"customValue": cv}


@router.delete("/locations/{location_id}/customValues/{cv_id}")
async def delete_custom_value(location_id: str, cv_id: str, sim: SimDep, principal: PrincipalDep) -> Json:
    _allow(principal, location_id)
    if sim.world.custom_values.get(location_id, {}).pop(cv_id, None) is None:
        raise GhlHttpError(404, "Custom value not found")
    return {"succeeded": True}


@router.get("/workflows/")
async def list_workflows(locationId: str, sim: SimDep, principal: PrincipalDep) -> Json:
    _allow(principal, locationId)
    existing_location(sim, locationId)
    return {"workflows": sim.world.workflows.get(locationId, []), "traceId": trace_id()}


@router.get("/opportunities/pipelines")
async def list_pipelines(locationId: str, sim: SimDep, principal: PrincipalDep) -> Json:
    _allow(principal, locationId)
    existing_location(sim, locationId)
    return {"pipelines": sim.world.pipelines.get(locationId, []), "traceId": trace_id()}


@router.get("/users/search")
async def search_users(
    sim: SimDep, principal: PrincipalDep, companyId: str, locationId: str | None = None
) -> Json:
    require_agency(principal, companyId)
    users = [
        u for u in sim.world.users.values() if locationId is None or locationId in u["roles"]["locationIds"]
    ]
    return {"users": users, "count": len(users), "traceId": trace_id()}


@router.post("/users/", status_code=201)
async def create_user(body: CreateUser, sim: SimDep, principal: PrincipalDep) -> Json:
    require_agency(principal, body.companyId)
    for location_id in body.locationIds:
        existing_location(sim, location_id)
    if any(u["email"].lower() == body.email.lower() for u in sim.world.users.values()):
        raise GhlHttpError(400, "User with the same email already exists")
    user: Json = {
        "id": ghl_id(),
        "name": f"{body.firstName} {body.lastName}",
        "firstName": body.firstName,
        "lastName": body.lastName,
        "email": body.email,
        "phone": body.phone or "",
        "roles": {"type": body.type, "role": body.role, "locationIds": body.locationIds},
        "deleted": False,
    }
    sim.world.users[user["id"]] = user
    return user

"""Contacts (create, upsert, get, update, tags) and opportunities, with a location token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.ids import ghl_id, trace_id
from ghl_simulator.routes.access import existing_location, require_location
from ghl_simulator.sim import Principal, Sim, get_principal, get_sim
from ghl_simulator.state import Json, iso_now

router = APIRouter()
SimDep = Annotated[Sim, Depends(get_sim)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


class ContactBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    locationId: str = Field(min_length=1)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    tags: list[str] | None = None


class TagsBody(BaseModel):
    tags: list[str] = Field(min_length=1)


class OpportunityBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    locationId: str = Field(min_length=1)
    pipelineId: str = Field(min_length=1)
    name: str = Field(min_length=1)
    contactId: str = Field(min_length=1)
    status: str = Field(default="open", pattern="^(open|won|lost|abandoned)$")
    pipelineStageId: str | None = None
    monetaryValue: float | None = None


class StatusBody(BaseModel):
    status: str = Field(pattern="^(open|won|lost|abandoned)$")


def _duplicate_of(sim: Sim, body: ContactBody) -> Json | None:
    return sim.world.duplicate_of(body.locationId, body.email, body.phone)


def _new_contact(sim: Sim, body: ContactBody) -> Json:
    fields: dict[str, Any] = body.model_dump(exclude_none=True)
    name = " ".join(p for p in (fields.get("firstName"), fields.get("lastName")) if p)
    contact: Json = {"id": ghl_id(), "tags": [], "dateAdded": iso_now(), "dnd": False, **fields}
    contact["name"] = fields.get("name") or name or None
    sim.world.add_contact(contact)
    return contact


def _contact(sim: Sim, principal: Principal, contact_id: str) -> Json:
    contact = sim.world.contacts.get(contact_id)
    if contact is None:
        raise GhlHttpError(400, "Contact not found")
    require_location(principal, contact["locationId"])
    return contact


@router.post("/contacts/", status_code=201)
async def create_contact(body: ContactBody, sim: SimDep, principal: PrincipalDep) -> Json:
    require_location(principal, body.locationId)
    existing_location(sim, body.locationId)
    duplicate = _duplicate_of(sim, body)
    if duplicate is not None:
        raise GhlHttpError(400, "This location does not allow duplicated contacts.")
    return {"contact": _new_contact(sim, body), "traceId": trace_id()}


@router.post("/contacts/upsert")
async def upsert_contact(body: ContactBody, sim: SimDep, principal: PrincipalDep) -> Json:
    require_location(principal, body.locationId)
    existing_location(sim, body.locationId)
    contact = _duplicate_of(sim, body)
    if contact is None:
        return {"new": True, "contact": _new_contact(sim, body), "traceId": trace_id()}
    fields = body.model_dump(exclude_none=True)
    contact.update({k: v for k, v in fields.items() if k != "tags"})
    contact["tags"] = sorted(set(contact["tags"]) | set(body.tags or []))
    contact["dateUpdated"] = iso_now()
    sim.world.index_contact(contact)
    return {"new": False, "contact": contact, "traceId": trace_id()}


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: str, sim: SimDep, principal: PrincipalDep) -> Json:
    return {"contact": _contact(sim, principal, contact_id), "traceId": trace_id()}


@router.put("/contacts/{contact_id}")
async def update_contact(
    contact_id: str, fields: dict[str, Any], sim: SimDep, principal: PrincipalDep
) -> Json:
    contact = _contact(sim, principal, contact_id)
    contact.update({k: v for k, v in fields.items() if k not in {"id", "locationId"}})
    contact["dateUpdated"] = iso_now()
    sim.world.index_contact(contact)
    return {"succeded": True, "contact": contact, "traceId": trace_id()}


@router.post("/contacts/{contact_id}/tags", status_code=201)
async def add_tags(contact_id: str, body: TagsBody, sim: SimDep, principal: PrincipalDep) -> Json:
    contact = _contact(sim, principal, contact_id)
    contact["tags"] = sorted(set(contact["tags"]) | set(body.tags))
    return {"tags": contact["tags"], "traceId": trace_id()}


@router.delete("/contacts/{contact_id}/tags")
async def remove_tags(contact_id: str, body: TagsBody, sim: SimDep, principal: PrincipalDep) -> Json:
    contact = _contact(sim, principal, contact_id)
    contact["tags"] = [t for t in contact["tags"] if t not in set(body.tags)]
    return {"tags": contact["tags"], "traceId": trace_id()}


@router.post("/opportunities/", status_code=201)
async def create_opportunity(body: OpportunityBody, sim: SimDep, principal: PrincipalDep) -> Json:
    require_location(principal, body.locationId)
    pipelines = {p["id"]: p for p in sim.world.pipelines.get(body.locationId, [])}
    if body.pipelineId not in pipelines:
        raise GhlHttpError(400, "Pipeline not found")
    _contact(sim, principal, body.contactId)
    stage = body.pipelineStageId or pipelines[body.pipelineId]["stages"][0]["id"]
    opp: Json = {"id": ghl_id(), **body.model_dump(exclude_none=True), "pipelineStageId": stage}
    opp |= {"createdAt": iso_now(), "updatedAt": iso_now()}
    sim.world.opportunities[opp["id"]] = opp
    return {"opportunity": opp, "traceId": trace_id()}


@router.put("/opportunities/{opportunity_id}/status")
async def update_opportunity_status(
    opportunity_id: str, body: StatusBody, sim: SimDep, principal: PrincipalDep
) -> Json:
    opp = sim.world.opportunities.get(opportunity_id)
    if opp is None:
        raise GhlHttpError(400, "Opportunity not found")
    require_location(principal, opp["locationId"])
    opp.update(status=body.status, updatedAt=iso_now())
    return {"succeded": True, "traceId": trace_id()}

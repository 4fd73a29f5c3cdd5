"""``POST /contacts/search`` (GHL's advanced search, the non-deprecated way to list contacts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.ids import trace_id
from ghl_simulator.routes.access import existing_location, require_location
from ghl_simulator.search import SearchError, SearchRequest, search
from ghl_simulator.sim import Principal, Sim, get_principal, get_sim
from ghl_simulator.state import Json

router = APIRouter()
SimDep = Annotated[Sim, Depends(get_sim)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
QUERY_FIELDS = ("firstName", "lastName", "name", "email", "phone", "companyName")


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    locationId: str = Field(min_length=1)
    pageLimit: int
    page: int | None = None
    searchAfter: list[Any] | None = None
    filters: list[dict[str, Any]] = Field(default_factory=list)
    sort: list[dict[str, Any]] = Field(default_factory=list)
    query: str | None = Field(default=None, max_length=75)


def _query_matches(contact: Json, query: str | None) -> bool:
    if not query:
        return True
    needle = query.lower()
    return any(needle in str(contact.get(f) or "").lower() for f in QUERY_FIELDS)


@router.post("/contacts/search")
async def search_contacts(body: SearchBody, sim: SimDep, principal: PrincipalDep) -> Json:
    require_location(principal, body.locationId)
    existing_location(sim, body.locationId)
    request = SearchRequest(body.filters, body.sort, body.pageLimit, body.page, body.searchAfter)
    pool = [c for c in sim.world.contacts_in(body.locationId) if _query_matches(c, body.query)]
    try:
        contacts, total = search(pool, request)
    except SearchError as exc:
        raise GhlHttpError(422, [str(exc)]) from None
    return {"contacts": contacts, "total": total, "traceId": trace_id()}

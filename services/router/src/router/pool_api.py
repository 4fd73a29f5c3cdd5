"""HTTP API of the unassigned pool and of moves (same bearer token as api.py): list decisions by
status / reason / date / place with keyset pages, and reassign a lead to a location or "auto".

Invalid input answers 422 and refused moves 404/409, each ``detail`` a list of ``{loc, msg, type}``
naming the field, like FastAPI's own validation errors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, Field

from router import metrics
from router.adapters import pool_store as store
from router.adapters.redis_decider import DirectoryNotLoaded
from router.api import Services, authorized
from router.domain.moves import AUTO, MoveRefused
from router.domain.pool import BadCursor, Cursor, ListStatus
from router.pool_wiring import pool_of

pool_api = APIRouter(dependencies=[Depends(authorized)])
TOKEN = r"^[A-Za-z0-9_:.\-]+$"


def refused(status: int, where: str, field: str, message: str, kind: str) -> HTTPException:
    return HTTPException(status, detail=[{"loc": [where, field], "msg": message, "type": kind}])


class ReassignRequest(BaseModel):
    location_id: str = Field(min_length=1, max_length=64, pattern=TOKEN,
                             description='a location id, or "auto": route it again elsewhere')  # fmt: skip
    actor: str | None = Field(default=None, min_length=1, max_length=200, description="who (else X-Actor)")
    reason: str = Field(min_length=1, max_length=500, description="why: kept in the decision log")


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise refused(422, "query", field, "needs a UTC offset (e.g. 2026-12-01T00:00:00Z)", "value_error")
    return value


@pool_api.get("/routes")
async def list_routes(
    svc: Services,
    status: Annotated[
        ListStatus, Query(description="unassigned (the pool), assigned or all")
    ] = ListStatus.UNASSIGNED,
    reason: Annotated[str | None, Query(max_length=200, pattern=TOKEN)] = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="decided at or after (ISO 8601)")
    ] = None,
    until: Annotated[datetime | None, Query(alias="to", description="decided before (ISO 8601)")] = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    location_id: Annotated[str | None, Query(max_length=64, pattern=TOKEN)] = None,
    radius_miles: Annotated[float | None, Query(gt=0, le=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> dict[str, Any]:
    """Decisions oldest first. ``location_id``: assigned there; for the pool, within ``radius_miles``
    of it (default: the largest radius step). ``next_cursor`` pages on; ``total`` counts every match."""
    since, until = _aware(since, "from"), _aware(until, "to")
    if since is not None and until is not None and until <= since:
        raise refused(422, "query", "to", "must be after from", "value_error")
    if radius_miles is not None and (location_id is None or status != ListStatus.UNASSIGNED):
        raise refused(
            422, "query", "radius_miles", "only with location_id and status=unassigned", "value_error"
        )
    try:
        after = Cursor.decode(cursor) if cursor else None
    except BadCursor as exc:
        raise refused(422, "query", "cursor", str(exc), "value_error") from exc
    async with svc.sessions() as session:
        near = None
        if location_id is not None:
            location_id = location_id.upper()
            point = await store.location_point(session, location_id)
            if point is None:
                raise refused(422, "query", "location_id", f"unknown location {location_id}", "value_error")
            if status == ListStatus.UNASSIGNED:
                if point["lat"] is None:
                    raise refused(422, "query", "location_id", "location has no coordinates", "value_error")
                near = (
                    point["lat"],
                    point["lon"],
                    radius_miles or max(svc.settings.radii_miles, default=25.0),
                )
        filters = store.RouteFilter(
            status, reason, since, until, state.upper() if state else None, location_id, near
        )
        rows, total = await store.list_routes(session, filters, limit + 1, after)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = Cursor(page[-1]["decided_at"], page[-1]["lead_id"]).encode() if more else None
    return {"items": page, "total": total, "limit": limit, "next_cursor": next_cursor}


@pool_api.post("/routes/{lead_id}/reassign")
async def reassign(
    lead_id: str,
    body: ReassignRequest,
    svc: Services,
    x_actor: Annotated[str | None, Header(max_length=200)] = None,
) -> dict[str, Any]:
    """Move a lead (also out of the pool) to ``location_id``, or ``"auto"``: the routing decision
    again with its current location excluded. Who and why go to the decision log and the events."""
    actor = body.actor or x_actor
    if not actor:
        raise refused(
            422, "body", "actor", "who reassigns: actor in the body or the X-Actor header", "missing"
        )
    target = AUTO if body.location_id.lower() == AUTO else body.location_id.upper()
    try:
        result = await pool_of(svc).mover.reassign(lead_id, target, actor, body.reason)
    except MoveRefused as exc:
        metrics.MOVES_REFUSED.labels(type(exc).__name__).inc()
        where = "path" if exc.field == "lead_id" else "body"
        raise refused(exc.status_code, where, exc.field, str(exc), type(exc).__name__) from exc
    except DirectoryNotLoaded as exc:
        raise HTTPException(503, "routing directory not loaded; retry shortly") from exc
    return result.as_dict()

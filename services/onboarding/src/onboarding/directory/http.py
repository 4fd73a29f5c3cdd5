"""Location management over HTTP (bearer token like the status API): read, change, pause, resume,
offboard, history and bulk CSV changes. Invalid input → 422 naming the field, a change the
location's state forbids → 409 with the reason, the broker unavailable → 503 (nothing changed)."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import date
from typing import Annotated, TypeVar

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from leadflow_common.http import bearer_guard
from onboarding.csv_source import parse_csv
from onboarding.directory import views
from onboarding.directory.bulk import bulk_update
from onboarding.directory.service import LocationDirectory, UnknownLocation
from onboarding.domain import fields
from onboarding.domain.location_changes import ChangeConflict, ChangeInvalid, FieldProblem
from onboarding.domain.saga import SagaStatus

T = TypeVar("T")
MAX_BULK_BYTES = 5 * 1024 * 1024
DEFAULT_ACTOR = "api"  # the one bearer token names no person: X-Actor does
_ACTOR = re.compile(r"^[\w.@:+/ -]{1,200}$")


class LocationPatch(BaseModel):
    """Fields as in the import CSV. Absent or null: unchanged; "" clears hours or closed dates, ""
    or [] gives the territory up."""

    model_config = ConfigDict(extra="forbid")
    daily_capacity: StrictInt | StrictStr | None = None
    hours: StrictStr | None = Field(
        default=None, examples=["Mon-Fri 06:00-21:00; Sat 08:00-18:00; Sun closed"]
    )
    closed_dates: StrictStr | list[StrictStr] | None = Field(
        default=None, examples=["2026-12-25; 2027-01-01"]
    )
    territory_zips: StrictStr | list[StrictStr] | None = Field(
        default=None, examples=[["10001", "10002"]], description="zips owned exclusively; [] clears"
    )
    routing_weight: StrictInt | StrictFloat | StrictStr | None = Field(
        default=None, description="share under the router's weighted policy (0 < w <= 1000)"
    )
    radius_override_miles: StrictInt | StrictFloat | StrictStr | None = Field(
        default=None, description='the location takes leads only this near (0 < mi <= 200); "" removes it'
    )
    status: StrictStr | None = Field(default=None, description="active (resume) or paused (pause)")

    def cells(self) -> dict[str, str | None]:
        closed, zips = self.closed_dates, self.territory_zips
        return {
            "territory_zips": "; ".join(zips) if isinstance(zips, list) else zips,
            "routing_weight": None if self.routing_weight is None else str(self.routing_weight),
            "radius_override_miles": None
            if self.radius_override_miles is None
            else str(self.radius_override_miles),
            "daily_capacity": None if self.daily_capacity is None else str(self.daily_capacity),
            "hours": self.hours,
            "closed_dates": "; ".join(closed) if isinstance(closed, list) else closed,
            "status": self.status,
        }


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)
    until: date | None = Field(default=None, description="resumed automatically on this date")


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)


def unprocessable(problems: list[FieldProblem], where: str = "body") -> HTTPException:
    """422 in FastAPI's own shape, so every invalid field is named the same way."""
    detail = [{"loc": [where, p.field], "msg": p.message, "type": "value_error"} for p in problems]
    return HTTPException(422, detail)


def actor_of(x_actor: Annotated[str | None, Header()] = None) -> str:
    if x_actor is None:
        return DEFAULT_ACTOR
    if not _ACTOR.match(x_actor.strip()):
        raise unprocessable([FieldProblem("X-Actor", "1-200 letters, digits, spaces or .@:+/_-")], "header")
    return x_actor.strip()


def state_filter(state: str | None = None) -> str | None:
    if state is None:
        return None
    try:
        return fields.state(state)
    except fields.FieldError as exc:
        raise unprocessable([FieldProblem("state", str(exc))], "query") from None


async def answer(call: Awaitable[T], location_id: str = "") -> T:
    """The one place domain errors become status codes."""
    try:
        return await call
    except UnknownLocation:
        raise HTTPException(404, f"no location {location_id}") from None
    except ChangeInvalid as exc:
        raise unprocessable(exc.problems) from None
    except ChangeConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except KafkaError as exc:
        raise HTTPException(
            503, f"the directory (Kafka) did not take the change, nothing changed: {exc}"
        ) from None


Actor = Annotated[str, Depends(actor_of)]


def build_directory_router(directory: LocationDirectory, token: str) -> APIRouter:
    router = APIRouter(dependencies=[Depends(bearer_guard(token))], tags=["locations"])

    @router.get("/locations")
    async def list_locations(
        state: Annotated[str | None, Depends(state_filter)],
        status: SagaStatus | None = None,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        region: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    ) -> views.LocationPage:
        """Locations by id, optionally in one status, state, region (``cursor``: the last next_cursor)."""
        found = await directory.page(status, state, cursor, limit, region)
        items = [views.settings_view(loc, pause) for loc, pause in found]
        return views.LocationPage(
            items=items, next_cursor=items[-1].location_id if len(items) == limit else None
        )

    @router.get("/locations/{location_id}")
    async def get_location(location_id: str) -> views.LocationSettings:
        return views.settings_view(*await answer(directory.get(location_id), location_id))

    @router.patch("/locations/{location_id}")
    async def patch_location(location_id: str, body: LocationPatch, actor: Actor) -> views.ChangeResult:
        return views.change_result(
            await answer(directory.update(location_id, body.cells(), actor), location_id)
        )

    @router.post("/locations/{location_id}/pause")
    async def pause_location(
        location_id: str, actor: Actor, body: PauseBody | None = None
    ) -> views.ChangeResult:
        body = body or PauseBody()
        return views.change_result(
            await answer(directory.pause(location_id, actor, body.reason, body.until), location_id)
        )

    @router.post("/locations/{location_id}/resume")
    async def resume_location(
        location_id: str, actor: Actor, body: ReasonBody | None = None
    ) -> views.ChangeResult:
        return views.change_result(
            await answer(directory.resume(location_id, actor, (body or ReasonBody()).reason), location_id)
        )

    @router.post("/locations/{location_id}/offboard")
    async def offboard_location(
        location_id: str, actor: Actor, body: ReasonBody | None = None
    ) -> views.ChangeResult:
        return views.change_result(
            await answer(directory.offboard(location_id, actor, (body or ReasonBody()).reason), location_id)
        )

    @router.get("/locations/{location_id}/history")
    async def location_history(
        location_id: str,
        before: Annotated[int | None, Query(ge=1)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> views.History:
        """Every recorded change, newest first; ``before`` = the last page's next_before."""
        return views.history_view(
            await answer(directory.history(location_id, before, limit), location_id), limit
        )

    @router.post("/locations/bulk")
    async def bulk(
        request: Request, actor: Actor, dry_run: bool = False, reason: str | None = None
    ) -> views.BulkResult:
        """Body: a CSV (text/csv) with Franchise Code and any of Capacity Limit, Hours, Closed Dates,
        Territory Zips, Routing Weight, Radius Override Miles, Status. Problems → 422 with every row
        and column; otherwise the diff, applied unless dry_run."""
        body = await request.body()
        if len(body) > MAX_BULK_BYTES:
            raise HTTPException(413, f"the CSV is larger than {MAX_BULK_BYTES} bytes")
        try:
            csv_file = parse_csv(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise unprocessable([FieldProblem("body", "the CSV is not UTF-8 text")]) from None
        report = await answer(bulk_update(directory, csv_file.headers, csv_file.rows, actor, dry_run, reason))
        result = views.bulk_result(report)
        if not report.ok:
            raise HTTPException(422, result.model_dump(mode="json"))
        return result

    return router

"""The dashboard's operator views that live in other services: the router's unassigned pool (and
its reassign action) and onboarding progress. The page holds only the analytics token; these
routes ask the router and onboarding APIs with their own tokens, so the browser needs no CORS and
no second secret. Upstream answers (including 4xx with their reason) are passed through as is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from leadflow_common.http import bearer_guard
from leadflow_common.logging import get_logger

log = get_logger(__name__)
UPSTREAM_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Upstream:
    name: str
    variable: str  # the setting to set when the view is not configured
    base_url: str
    token: str


class ReassignBody(BaseModel):
    location_id: str = Field(min_length=1, description='a location id, or "auto"')
    reason: str = Field(default="", max_length=500)


class UpstreamViews:
    """One shared HTTP client for both upstreams (closed with the app)."""

    def __init__(self, router: Upstream, onboarding: Upstream) -> None:
        self.router = router
        self.onboarding = onboarding
        self._client = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT_S)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        upstream: Upstream,
        method: str,
        path: str,
        params: list[tuple[str, str]] | None = None,
        json: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> Response:
        if not upstream.base_url:
            return _problem(503, f"the {upstream.name} view is not configured: set {upstream.variable}")
        headers = {"Authorization": f"Bearer {upstream.token}"}
        if actor:
            headers["X-Actor"] = actor
        try:
            answer = await self._client.request(
                method,
                upstream.base_url.rstrip("/") + path,
                params=tuple(params or ()),
                json=json,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            log.warning("upstream_unreachable", upstream=upstream.name, error=repr(exc))
            return _problem(502, f"{upstream.name} unreachable: {type(exc).__name__}")
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type", "application/json"),
        )


def _problem(status: int, detail: str) -> Response:
    return Response(orjson.dumps({"detail": detail}), status_code=status, media_type="application/json")


def ops_views_router(views: UpstreamViews, token: str) -> APIRouter:
    router = APIRouter(prefix="/ops", dependencies=[Depends(bearer_guard(token))], tags=["operator views"])

    @router.get("/pool")
    async def pool(request: Request) -> Response:
        """The router's unassigned pool (``GET /routes?status=unassigned``), filters passed through."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "status"]
        return await views.call(views.router, "GET", "/routes", [("status", "unassigned"), *params])

    @router.post("/pool/{lead_id}/reassign")
    async def reassign(
        lead_id: str, body: ReassignBody, x_actor: Annotated[str | None, Header()] = None
    ) -> Response:
        """Reassign a pooled lead to a location or "auto"; who did it travels as ``X-Actor``."""
        actor = f"dashboard:{x_actor}" if x_actor else "dashboard"
        payload = {"location_id": body.location_id, "reason": body.reason or "reassigned from the dashboard"}
        return await views.call(
            views.router,
            "POST",
            f"/routes/{quote(lead_id, safe='')}/reassign",
            json={**payload, "actor": actor},
            actor=actor,
        )

    @router.get("/onboarding")
    async def onboarding(request: Request) -> Response:
        """Onboarding progress of every location (``GET /onboarding``), filters passed through."""
        return await views.call(
            views.onboarding, "GET", "/onboarding", list(request.query_params.multi_items())
        )

    return router

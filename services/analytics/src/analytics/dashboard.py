"""The read-only dashboard page: one static HTML file that calls the same APIs (no CDN)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse


def dashboard_router() -> APIRouter:
    router = APIRouter(tags=["dashboard"])
    page = files("analytics").joinpath("static/dashboard.html").read_text(encoding="utf-8")

    @router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        """The page asks for the API token in the URL fragment (#token=...), never sent to the server."""
        return HTMLResponse(page)

    return router

"""Dashboard APIs (bearer token): per-location metrics, ranked performance, overview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from analytics.adapters.cache import ResponseCache
from analytics.adapters.queries import AnalyticsQueries
from analytics.paging import PageSnapshots
from analytics.reports import Reports
from analytics.schemas import Facets, LocationMetrics, OverviewResponse, PerformancePage
from leadflow_common.http import bearer_guard


def now_hour_ceiling() -> datetime:
    """Windows end at the next full hour, so cache keys stay stable within the hour."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=1)


def build_router(queries: AnalyticsQueries, cache: ResponseCache, token: str) -> APIRouter:
    router = APIRouter(dependencies=[Depends(bearer_guard(token))], tags=["dashboards"])
    reports = Reports(queries, PageSnapshots(cache))

    def json(body: bytes) -> Response:
        return Response(body, media_type="application/json")

    @router.get("/locations/performance", response_model=None, responses={200: {"model": PerformancePage}})
    async def performance(
        sort: str = "leads",
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: str | None = None,
        region: str | None = None,
        state: str | None = None,
        status: str | None = None,
        start: Annotated[datetime | None, Query(alias="from")] = None,
        end: Annotated[datetime | None, Query(alias="to")] = None,
    ) -> Response:
        """Locations ranked by any metric (counters or derived), filtered, cursor-paginated.
        The first page freezes the ranking; following pages walk it, so each location appears once."""
        end = end or now_hour_ceiling()
        start = start or end - timedelta(days=7)
        filters = {"region": region, "state": state, "status": status}
        key = f"performance:{sort}:{order}:{limit}:{cursor}:{filters}:{start.isoformat()}:{end.isoformat()}"

        async def compute() -> object:
            page = await reports.performance(sort, order, limit, cursor, filters, start, end)
            return page.model_dump(mode="json")

        return json(await cache.get_or_compute(key, compute))

    @router.get("/locations/facets", response_model=None, responses={200: {"model": Facets}})
    async def facets() -> Response:
        """The regions, states and statuses the location filters can take."""

        async def compute() -> object:
            return await queries.facets()

        return json(await cache.get_or_compute("facets", compute))

    @router.get(
        "/locations/{location_id}/metrics", response_model=None, responses={200: {"model": LocationMetrics}}
    )
    async def location_metrics(
        location_id: str,
        grain: Literal["hour", "day"] = "hour",
        start: Annotated[datetime | None, Query(alias="from")] = None,
        end: Annotated[datetime | None, Query(alias="to")] = None,
    ) -> Response:
        """Hourly (UTC) or daily (the location's local days) series of one location."""
        end = end or now_hour_ceiling()
        start = start or end - (timedelta(hours=48) if grain == "hour" else timedelta(days=30))
        key = f"metrics:{location_id}:{grain}:{start.isoformat()}:{end.isoformat()}"

        async def compute() -> object:
            result = await reports.location_metrics(location_id, grain, start, end)
            return result.model_dump(mode="json")

        return json(await cache.get_or_compute(key, compute))

    @router.get("/overview", response_model=None, responses={200: {"model": OverviewResponse}})
    async def overview(
        start: Annotated[datetime | None, Query(alias="from")] = None,
        end: Annotated[datetime | None, Query(alias="to")] = None,
    ) -> Response:
        """Totals, top and bottom locations by conversion, unassigned rate, freshness."""
        end = end or now_hour_ceiling()
        start = start or end - timedelta(days=7)

        async def compute() -> object:
            return (await reports.overview(start, end)).model_dump(mode="json")

        return json(await cache.get_or_compute(f"overview:{start.isoformat()}:{end.isoformat()}", compute))

    return router

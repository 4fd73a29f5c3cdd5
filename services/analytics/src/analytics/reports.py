"""Builds the dashboard responses from the queries and the domain's derived metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from analytics.adapters.queries import AnalyticsQueries
from analytics.domain.derived import ratio
from analytics.domain.performance import overview, rank, window_hours
from analytics.domain.speed import percentile_minutes
from analytics.paging import PageSnapshots, decode_cursor, encode_cursor
from analytics.schemas import (
    Counters,
    LocationMetrics,
    LocationPerformance,
    MetricPoint,
    OverviewResponse,
    PerformancePage,
)


class LocationNotFound(LookupError):
    pass


class Reports:
    def __init__(self, queries: AnalyticsQueries, snapshots: PageSnapshots) -> None:
        self._queries = queries
        self._snapshots = snapshots

    async def performance(
        self,
        sort: str,
        order: str,
        limit: int,
        cursor: str | None,
        filters: dict[str, str | None],
        start: datetime,
        end: datetime,
    ) -> PerformancePage:
        hours = window_hours(start, end)
        rows = {r.location_id: r for r in await self._queries.location_totals(start, end, filters)}
        if cursor is None:
            ranked = rank(list(rows.values()), sort, order == "desc", hours)
            ids = [r.location_id for r in ranked]
            snapshot, offset = await self._snapshots.freeze(ids), 0
        else:
            snapshot, offset = decode_cursor(cursor)
            ids = await self._snapshots.ids(snapshot)
        page = [rows[i] for i in ids[offset : offset + limit] if i in rows]
        more = offset + limit < len(ids)
        return PerformancePage(
            items=[LocationPerformance.of(r, hours) for r in page],
            next_cursor=encode_cursor(snapshot, offset + limit) if more else None,
            total=len(ids),
            sort=sort,
            order=order,
        )

    async def location_metrics(
        self, location_id: str, grain: str, start: datetime, end: datetime
    ) -> LocationMetrics:
        location = await self._queries.location(location_id)
        if location is None:
            raise LocationNotFound(location_id)
        points = [
            MetricPoint(
                **p,
                conversion_rate=ratio(p["won"], p["leads"]),
                avg_score=ratio(p["score_sum"], p["leads"]),
                speed_to_lead_p50_min=percentile_minutes(p, 0.5),
                speed_to_lead_p90_min=percentile_minutes(p, 0.9),
            )
            for p in await self._queries.series(location_id, start, end, grain)
        ]
        totals = next(
            iter(await self._queries.location_totals(start, end, {"location_id": location_id})), location
        )
        return LocationMetrics(
            location=LocationPerformance.of(totals, window_hours(start, end)),
            grain=grain,
            start=start,
            end=end,
            points=points,
        )

    async def overview(self, start: datetime, end: datetime) -> OverviewResponse:
        hours = window_hours(start, end)
        rows = await self._queries.location_totals(start, end)
        summary = overview(rows, await self._queries.unassigned(start, end), hours)
        fresh = await self._queries.freshness()
        age = (datetime.now(UTC) - fresh.newest_event_at).total_seconds() if fresh.newest_event_at else None
        return OverviewResponse(
            start=start,
            end=end,
            totals=Counters(**summary.totals),
            conversion_rate=summary.conversion_rate,
            avg_score=summary.avg_score,
            unassigned_rate=summary.unassigned_rate,
            speed_to_lead_p50_min=summary.speed_to_lead_p50_min,
            speed_to_lead_p90_min=summary.speed_to_lead_p90_min,
            sla_breaches_per_hour=summary.sla_breaches_per_hour,
            locations=len(rows),
            top=[LocationPerformance.of(r, hours) for r in summary.top],
            bottom=[LocationPerformance.of(r, hours) for r in summary.bottom],
            events_applied=fresh.events_applied,
            newest_event_at=fresh.newest_event_at,
            freshness_seconds=age,
        )

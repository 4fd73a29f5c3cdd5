"""Read queries behind the dashboard APIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from analytics.adapters.read_pool import ReadPool
from analytics.domain.facts import COUNTERS, UNASSIGNED
from analytics.domain.performance import LocationTotals, split_window

_COLUMNS = ", ".join(COUNTERS)
_SUMS = ", ".join(f"sum({c}) AS {c}" for c in COUNTERS)
_SOURCES = (
    "SELECT location_id, {c} FROM location_hourly WHERE hour_utc >= $1 AND hour_utc < $2{only}",
    "SELECT location_id, {c} FROM location_hourly WHERE hour_utc >= $3 AND hour_utc < $4{only}",
    "SELECT location_id, {c} FROM location_utc_daily WHERE day_utc >= $5 AND day_utc < $6{only}",
)
# Whole UTC days come from the daily rollup, the partial days at the edges from the hourly rows.
# "today" is each location's local day: within a day of the UTC date, so the day index finds it.
_TOTALS_SQL = """
WITH w AS (
    SELECT location_id, {sums} FROM ({rows}) AS r GROUP BY location_id
), today AS (
    SELECT d.location_id, d.leads FROM location_daily d JOIN location_status s USING (location_id)
    WHERE s.timezone IS NOT NULL AND d.day = (now() AT TIME ZONE s.timezone)::date
      AND d.day BETWEEN (now() AT TIME ZONE 'UTC')::date - 1 AND (now() AT TIME ZONE 'UTC')::date + 1{only}
)
SELECT s.location_id, s.name, s.region, s.state, s.status, s.onboarding_state, s.daily_capacity,
       coalesce(today.leads, 0) AS assigned_today, {columns}
FROM location_status s LEFT JOIN w USING (location_id) LEFT JOIN today USING (location_id)
WHERE s.timezone IS NOT NULL
"""
_W_COLUMNS = ", ".join(f"w.{c}" for c in COUNTERS)


@cache
def totals_sql(with_days: bool, only_location: int | None) -> str:
    """The window totals statement; ``only_location``: the parameter number of one location id,
    repeated inside every row source (the planner does not push it through the outer joins)."""
    sources = _SOURCES if with_days else _SOURCES[:1]
    only = f" AND location_id = ${only_location}" if only_location else ""
    rows = " UNION ALL ".join(src.format(c=_COLUMNS, only=only) for src in sources)
    today_only = f" AND d.location_id = ${only_location}" if only_location else ""
    sql = _TOTALS_SQL.format(sums=_SUMS, rows=rows, columns=_W_COLUMNS, only=today_only)
    return sql + (f" AND s.location_id = ${only_location}" if only_location else "")


FILTERABLE = ("region", "state", "status")
_SERIES_DAY = (
    f"SELECT day AS bucket, {_COLUMNS} FROM location_daily"
    " WHERE location_id = $1 AND day >= $2 AND day < $3 ORDER BY day"
)
_SERIES_HOUR = (
    f"SELECT hour_utc AS bucket, {_COLUMNS} FROM location_hourly"
    " WHERE location_id = $1 AND hour_utc >= $2 AND hour_utc < $3 ORDER BY hour_utc"
)
_UNASSIGNED = (
    "SELECT coalesce(sum(unassigned), 0) FROM location_hourly"
    " WHERE location_id = $1 AND hour_utc >= $2 AND hour_utc < $3"
)
# the values the dashboard's filters offer (one row per distinct combination; a franchise has few)
_FACETS = "SELECT DISTINCT region, state, status FROM location_status"
_FRESHNESS = "SELECT coalesce(sum(events_applied), 0), max(newest_event_at) FROM projection_progress"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_params(start: datetime, end: datetime, rollup: bool) -> tuple[bool, list[Any]]:
    """Whether the window reads whole days from the rollup, and the parameters ($1.. in order)."""
    parts = split_window(start, end)
    if not rollup or parts.days is None:
        return False, [start, end]
    (h0, h1), (h2, h3) = parts.hours
    return True, [h0, h1, h2, h3, parts.days[0], parts.days[1]]


@dataclass(frozen=True, slots=True)
class Freshness:
    events_applied: int
    newest_event_at: datetime | None


class AnalyticsQueries:
    def __init__(self, pool: ReadPool, rollup: bool = True) -> None:
        self._pool = pool
        self._rollup = rollup

    async def location_totals(
        self, start: datetime, end: datetime, filters: dict[str, str | None] | None = None
    ) -> list[LocationTotals]:
        with_days, params = window_params(start, end, self._rollup)
        filters = {k: v for k, v in (filters or {}).items() if v is not None}
        location = filters.pop("location_id", None)
        if location is not None:
            params.append(location)
        sql = totals_sql(with_days, len(params) if location is not None else None)
        for column, value in filters.items():
            if column not in FILTERABLE:  # column names are code, never request input
                raise ValueError(column)
            params.append(value)
            sql += f" AND s.{column} = ${len(params)}"
        return [_totals(r) for r in await self._pool.fetch(sql, *params)]

    async def location(self, location_id: str) -> LocationTotals | None:
        rows = await self.location_totals(_EPOCH, _EPOCH, {"location_id": location_id})
        return rows[0] if rows else None

    async def series(
        self, location_id: str, start: datetime, end: datetime, grain: str
    ) -> list[dict[str, Any]]:
        if grain == "day":
            rows = await self._pool.fetch(_SERIES_DAY, location_id, start.date(), end.date())
        else:
            rows = await self._pool.fetch(_SERIES_HOUR, location_id, start, end)
        return [dict(r.items()) for r in rows]

    async def unassigned(self, start: datetime, end: datetime) -> float:
        rows = await self._pool.fetch(_UNASSIGNED, UNASSIGNED, start, end)
        return float(rows[0][0] or 0.0)

    async def facets(self) -> dict[str, list[str]]:
        """Distinct values of each filterable column, sorted, nulls left out."""
        rows = await self._pool.fetch(_FACETS)
        return {c: sorted({r[c] for r in rows if r[c] is not None}) for c in FILTERABLE}

    async def freshness(self) -> Freshness:
        rows = await self._pool.fetch(_FRESHNESS)
        return Freshness(int(rows[0][0]), rows[0][1]) if rows else Freshness(0, None)


def _totals(row: Any) -> LocationTotals:
    return LocationTotals(
        location_id=row["location_id"],
        name=row["name"],
        region=row["region"],
        state=row["state"],
        status=row["status"],
        onboarding_state=row["onboarding_state"],
        daily_capacity=int(row["daily_capacity"]),
        assigned_today=float(row["assigned_today"]),
        counters={c: float(row[c] or 0.0) for c in COUNTERS},
    )

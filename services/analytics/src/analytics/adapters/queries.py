"""Read queries behind the dashboard APIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.domain.facts import COUNTERS, UNASSIGNED
from analytics.domain.performance import LocationTotals, split_window

_COLUMNS = ", ".join(COUNTERS)
_SUMS = ", ".join(f"sum({c}) AS {c}" for c in COUNTERS)
_HOURS = f"SELECT location_id, {_COLUMNS} FROM location_hourly WHERE hour_utc >= :h0 AND hour_utc < :h1"
_EDGE = f"SELECT location_id, {_COLUMNS} FROM location_hourly WHERE hour_utc >= :h2 AND hour_utc < :h3"
_DAYS = f"SELECT location_id, {_COLUMNS} FROM location_utc_daily WHERE day_utc >= :d0 AND day_utc < :d1"
# Whole UTC days come from the daily rollup, the partial days at the edges from the hourly rows.
_TOTALS_SQL = """
WITH w AS (
    SELECT location_id, {sums} FROM ({rows}) AS r GROUP BY location_id
), today AS (
    SELECT d.location_id, d.leads FROM location_daily d JOIN location_status s USING (location_id)
    WHERE s.timezone IS NOT NULL AND d.day = (now() AT TIME ZONE s.timezone)::date
)
SELECT s.location_id, s.name, s.region, s.state, s.status, s.onboarding_state, s.daily_capacity,
       coalesce(today.leads, 0) AS assigned_today, {columns}
FROM location_status s LEFT JOIN w USING (location_id) LEFT JOIN today USING (location_id)
WHERE s.timezone IS NOT NULL
"""
_WITH_DAYS = _TOTALS_SQL.format(
    sums=_SUMS,
    rows=f"{_HOURS} UNION ALL {_EDGE} UNION ALL {_DAYS}",
    columns=", ".join(f"w.{c}" for c in COUNTERS),
)
_HOURS_ONLY = _TOTALS_SQL.format(sums=_SUMS, rows=_HOURS, columns=", ".join(f"w.{c}" for c in COUNTERS))


def _window_params(start: datetime, end: datetime, rollup: bool) -> tuple[str, dict[str, Any]]:
    if not rollup:
        return _HOURS_ONLY, {"h0": start, "h1": end}
    parts = split_window(start, end)
    (h0, h1), *edge = parts.hours
    params: dict[str, Any] = {"h0": h0, "h1": h1}
    if parts.days is None or not edge:
        return _HOURS_ONLY, params
    params |= {"h2": edge[0][0], "h3": edge[0][1], "d0": parts.days[0], "d1": parts.days[1]}
    return _WITH_DAYS, params


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Freshness:
    events_applied: int
    newest_event_at: datetime | None


class AnalyticsQueries:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], rollup: bool = True) -> None:
        self._sessions = sessions
        self._rollup = rollup

    async def location_totals(
        self, start: datetime, end: datetime, filters: dict[str, str | None] | None = None
    ) -> list[LocationTotals]:
        sql, params = _window_params(start, end, self._rollup)
        for column, value in (filters or {}).items():
            if value is not None:
                sql += f" AND s.{column} = :{column}"
                params[column] = value
        async with self._sessions() as session:
            rows = (await session.execute(text(sql), params)).mappings().all()
        return [_totals(r) for r in rows]

    async def location(self, location_id: str) -> LocationTotals | None:
        async with self._sessions() as session:
            row = (
                (
                    await session.execute(
                        text(_HOURS_ONLY + " AND s.location_id = :id"),
                        {"h0": _EPOCH, "h1": _EPOCH, "id": location_id},
                    )
                )
                .mappings()
                .first()
            )
        return _totals(row) if row else None

    async def series(
        self, location_id: str, start: datetime, end: datetime, grain: str
    ) -> list[dict[str, Any]]:
        if grain == "day":
            sql = f"SELECT day AS bucket, {', '.join(COUNTERS)} FROM location_daily WHERE location_id = :id"
            sql += " AND day >= CAST(:start AS date) AND day < CAST(:end AS date) ORDER BY day"
            params: dict[str, Any] = {"id": location_id, "start": start.date(), "end": end.date()}
        else:
            sql = f"SELECT hour_utc AS bucket, {', '.join(COUNTERS)} FROM location_hourly"
            sql += " WHERE location_id = :id AND hour_utc >= :start AND hour_utc < :end ORDER BY hour_utc"
            params = {"id": location_id, "start": start, "end": end}
        async with self._sessions() as session:
            return [dict(r) for r in (await session.execute(text(sql), params)).mappings().all()]

    async def unassigned(self, start: datetime, end: datetime) -> float:
        sql = "SELECT coalesce(sum(unassigned), 0) FROM location_hourly WHERE location_id = :u"
        sql += " AND hour_utc >= :start AND hour_utc < :end"
        async with self._sessions() as session:
            value = (await session.execute(text(sql), {"u": UNASSIGNED, "start": start, "end": end})).scalar()
        return float(value or 0.0)

    async def freshness(self) -> Freshness:
        sql = "SELECT coalesce(sum(events_applied), 0), max(newest_event_at) FROM projection_progress"
        async with self._sessions() as session:
            row = (await session.execute(text(sql))).first()
        return Freshness(int(row[0]), row[1]) if row else Freshness(0, None)


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

"""Reads the projections back as plain dicts, to compare runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.adapters.tables import leads, location_daily, location_hourly, location_status, pending_events
from analytics.domain.facts import COUNTERS


async def counters(
    sessions: async_sessionmaker[AsyncSession], daily: bool = False
) -> dict[tuple[str, Any], dict[str, float]]:
    table, bucket = (location_daily, "day") if daily else (location_hourly, "hour_utc")
    async with sessions() as session:
        rows = (await session.execute(select(table))).mappings().all()
    # A row whose counters all net to zero (a lead moved away from its only hour) reads like no row.
    out = {(r["location_id"], r[bucket]): {n: r[n] for n in COUNTERS if r[n]} for r in rows}
    return {k: v for k, v in out.items() if v}


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessions() as session:
        status = (await session.execute(select(location_status))).mappings().all()
        lead_rows = (await session.execute(select(leads))).mappings().all()
        pending = (await session.execute(select(pending_events.c.event_id))).scalars().all()
    return {
        "hourly": await counters(sessions),
        "daily": await counters(sessions, daily=True),
        "status": sorted((dict(r) for r in status), key=lambda r: r["location_id"]),
        "leads": sorted((dict(r) for r in lead_rows), key=lambda r: r["lead_id"]),
        "pending": sorted(pending),
    }

"""Idempotent-by-construction upserts of one batch's facts (each run inside the batch transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, case, func, or_, update
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.adapters.tables import (
    leads,
    location_daily,
    location_hourly,
    location_status,
    projection_state,
)
from analytics.domain.aggregate import Increments, merge_latest, merge_routes
from analytics.domain.facts import COUNTERS, Facts, LocationInfo

# Statements are built once and executed with a parameter list (executemany / insertmanyvalues):
# compiling a fresh multi-VALUES statement per batch cost more than the database work.


@cache
def _counter_upsert(table: Table, bucket: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x"""
    stmt = insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["location_id", bucket],
        set_={name: table.c[name] + stmt.excluded[name] for name in COUNTERS},
    )


PROFILE_COLUMNS = (
    "ghl_location_id",
    "name",
    "region",
    "state",
    "timezone",
    "daily_capacity",
    "status",
    "profile_at",
)


@cache
def _profile_upsert() -> Insert:
    stmt, c = insert(location_status), location_status.c
    return stmt.on_conflict_do_update(
        index_elements=["location_id"],
        set_={col: stmt.excluded[col] for col in PROFILE_COLUMNS},
        where=or_(c.profile_at.is_(None), c.profile_at <= stmt.excluded.profile_at),
    )


@cache
def _onboarding_upsert() -> Insert:
    stmt, c = insert(location_status), location_status.c
    return stmt.on_conflict_do_update(
        index_elements=["location_id"],
        set_={
            "onboarding_state": stmt.excluded.onboarding_state,
            "onboarding_at": stmt.excluded.onboarding_at,
        },
        where=or_(c.onboarding_at.is_(None), c.onboarding_at <= stmt.excluded.onboarding_at),
    )


@cache
def _lead_upsert() -> Insert:
    stmt = insert(leads)
    ex, c = stmt.excluded, leads.c
    # Same rule as domain.aggregate.combine_routes: the newest decision wins; a sync only adds ids.
    newer = ex.decided_at.is_not(None) & (c.decided_at.is_(None) | (ex.decided_at >= c.decided_at))
    return stmt.on_conflict_do_update(
        index_elements=["lead_id"],
        set_={
            "location_id": case((newer, ex.location_id), else_=func.coalesce(c.location_id, ex.location_id)),
            "score": case((newer, ex.score), else_=c.score),
            "decided_at": func.greatest(c.decided_at, ex.decided_at),
            "location_contact_id": func.coalesce(ex.location_contact_id, c.location_contact_id),
        },
    )


def _profile_row(p: LocationInfo) -> dict[str, object]:
    return {
        "location_id": p.location_id,
        "ghl_location_id": p.ghl_location_id,
        "name": p.name,
        "region": p.region,
        "state": p.state,
        "timezone": p.timezone,
        "daily_capacity": p.daily_capacity,
        "status": p.status,
        "profile_at": p.at,
    }


async def upsert_counters(session: AsyncSession, increments: Increments) -> None:
    await _add(session, location_hourly, "hour_utc", increments.hourly)
    await _add(session, location_daily, "day", increments.daily)


async def _add(
    session: AsyncSession, table: Table, bucket: str, rows: Mapping[tuple[str, Any], dict[str, float]]
) -> None:
    if rows:
        # sorted: concurrent consumers lock rows in the same order, so they cannot deadlock
        values = [{"location_id": k[0], bucket: k[1], **v} for k, v in sorted(rows.items(), key=str)]
        await session.execute(_counter_upsert(table, bucket), values)


async def upsert_directory(session: AsyncSession, facts: Facts) -> None:
    profiles = merge_latest(facts.locations, "location_id")
    if profiles:
        await session.execute(_profile_upsert(), [_profile_row(p) for p in profiles])
    states = merge_latest(facts.onboarding, "location_id")
    if states:
        await session.execute(
            _onboarding_upsert(),
            [
                {
                    "location_id": s.location_id,
                    "name": s.location_id,
                    "onboarding_state": s.state,
                    "onboarding_at": s.at,
                }
                for s in states
            ],
        )
    routes = merge_routes(facts.leads)
    if routes:
        await session.execute(
            _lead_upsert(),
            [
                {
                    "lead_id": r.lead_id,
                    "location_id": r.location_id,
                    "score": r.score,
                    "decided_at": r.at,
                    "location_contact_id": r.location_contact_id,
                }
                for r in routes
            ],
        )
    if facts.offboarded:
        await session.execute(
            update(location_status)
            .where(location_status.c.location_id.in_(facts.offboarded))
            .values(status="offboarded")
        )


async def record_progress(session: AsyncSession, applied: int, newest: datetime | None) -> None:
    c = projection_state.c
    await session.execute(
        update(projection_state)
        .where(c.id == 1)
        .values(
            events_applied=c.events_applied + applied,
            newest_event_at=func.greatest(c.newest_event_at, newest),
            updated_at=func.now(),
        )
    )

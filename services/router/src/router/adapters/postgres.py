"""Postgres access of the router schema: directory rows, decisions, syncs, counter sources."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow_common.db import claim_event
from leadflow_common.events.locations import LocationProfile
from router.adapters.tables import assignments, decision_log, lead_syncs, locations, processed_events
from router.domain.decision import RoutingDecision


async def claim(session: AsyncSession, group: str, event_id: uuid.UUID) -> bool:
    return await claim_event(session, processed_events, group, event_id)


async def upsert_location(session: AsyncSession, profile: LocationProfile) -> None:
    row = {
        "location_id": profile.location_id,
        "ghl_location_id": profile.ghl_location_id,
        "name": profile.name,
        "status": profile.status.value,
        "lat": profile.lat,
        "lon": profile.lon,
        "timezone": profile.timezone,
        "daily_capacity": profile.daily_capacity,
        "state": profile.state,
        "postal_code": profile.postal_code,
        "profile": profile.model_dump(mode="json"),
        "updated_at": func.now(),
    }
    stmt = insert(locations).values(row)
    await session.execute(stmt.on_conflict_do_update(index_elements=["location_id"], set_=row))


async def delete_location(session: AsyncSession, location_id: str) -> None:
    await session.execute(delete(locations).where(locations.c.location_id == location_id))


async def all_locations(session: AsyncSession) -> list[LocationProfile]:
    rows = (await session.execute(select(locations.c.profile))).scalars().all()
    return [LocationProfile.model_validate(r) for r in rows]


async def location_row(session: AsyncSession, location_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(locations).where(locations.c.location_id == location_id))).first()
    return dict(row._mapping) if row else None


async def counts_since(session: AsyncSession, since: date) -> list[tuple[str, date, int]]:
    stmt = (
        select(assignments.c.location_id, assignments.c.capacity_date, func.count())
        .where(assignments.c.location_id.is_not(None), assignments.c.capacity_date >= since)
        .group_by(assignments.c.location_id, assignments.c.capacity_date)
    )
    return [(r[0], r[1], int(r[2])) for r in (await session.execute(stmt)).all()]


async def is_routed(session: AsyncSession, lead_id: str) -> bool:
    stmt = select(assignments.c.lead_id).where(assignments.c.lead_id == lead_id)
    return (await session.execute(stmt)).first() is not None


async def save_decision(
    session: AsyncSession, decision: RoutingDecision, ghl_location_id: str | None
) -> bool:
    """Insert the assignment (first decision per lead wins) and its decision log line."""
    out = decision.outcome
    stmt = (
        insert(assignments)
        .values(
            lead_id=decision.lead_id,
            event_id=decision.event_id,
            source_location_id=decision.source_location_id,
            location_id=out.location_id,
            ghl_location_id=ghl_location_id,
            rule=out.rule,
            reason=out.reason,
            distance_miles=out.distance_miles,
            capacity_date=date.fromisoformat(out.capacity_date) if out.capacity_date else None,
            score=decision.score,
            geocode_method=decision.geocode.method.value,
            state=decision.geocode.state,
            decided_at=decision.decided_at,
            hours_note=out.hours_note,
        )
        .on_conflict_do_nothing()
        .returning(assignments.c.lead_id)
    )
    inserted = (await session.execute(stmt)).first() is not None
    await session.execute(
        insert(decision_log).values(
            lead_id=decision.lead_id,
            event_id=decision.event_id,
            rule=out.rule,
            geocode_method=decision.geocode.method.value,
            lat=decision.geocode.lat,
            lon=decision.geocode.lon,
            candidates=[asdict(c) for c in out.candidates],
            timings_ms=decision.timings_ms,
            replayed=str(out.replayed).lower(),
            decided_at=decision.decided_at,
            hours_note=out.hours_note,
            policy_version=out.policy_version,
        )
    )
    return inserted


async def assignment(session: AsyncSession, lead_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(assignments).where(assignments.c.lead_id == lead_id))).first()
    return dict(row._mapping) if row else None


async def decision_logs(session: AsyncSession, lead_id: str) -> list[dict[str, Any]]:
    stmt = select(decision_log).where(decision_log.c.lead_id == lead_id).order_by(decision_log.c.id)
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def sync_record(session: AsyncSession, lead_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(lead_syncs).where(lead_syncs.c.lead_id == lead_id))).first()
    return dict(row._mapping) if row else None


async def save_sync(session: AsyncSession, values: dict[str, Any]) -> None:
    """First sync of a lead, or the sync to the location an SLA re-route moved it to."""
    stmt = insert(lead_syncs).values(**values)
    moved = stmt.excluded.location_id != lead_syncs.c.location_id
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["lead_id"], set_=dict(stmt.excluded), where=moved)
    )

"""Postgres access of the SLA timers (router schema): due-time rows polled with SKIP LOCKED, and the
outbox of the events their firing and cancellation publish."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from router.adapters.tables import assignments, decision_log, lead_syncs, sla_outbox, sla_timers
from router.domain.geocoding import Geocode
from router.domain.rules import RouteOutcome

PENDING, WORKED, BREACHED = "pending", "worked", "breached"


async def start_timer(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(sla_timers).values(status=PENDING, **values).on_conflict_do_nothing())


async def timer(session: AsyncSession, lead_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(sla_timers).where(sla_timers.c.lead_id == lead_id))).first()
    return dict(row._mapping) if row else None


async def lead_for_contact(session: AsyncSession, contact_id: str) -> str | None:
    """The lead a GHL contact id stands for: the source contact itself, or its synced copy."""
    if await timer(session, contact_id) is not None:
        return contact_id
    stmt = select(lead_syncs.c.lead_id).where(lead_syncs.c.location_contact_id == contact_id).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def mark_worked(session: AsyncSession, lead_id: str, at: datetime, touch: str) -> dict[str, Any] | None:
    """Cancel a pending timer; None when it was not pending (already worked or fired)."""
    stmt = (
        update(sla_timers)
        .where(sla_timers.c.lead_id == lead_id, sla_timers.c.status == PENDING)
        .values(status=WORKED, worked_at=at, touch=touch, updated_at=func.now())
        .returning(*sla_timers.c)
    )
    row = (await session.execute(stmt)).first()
    return dict(row._mapping) if row else None


async def lock_due(session: AsyncSession, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Due pending timers, locked for this transaction; rows another worker holds are skipped."""
    stmt = (
        select(sla_timers)
        .where(sla_timers.c.status == PENDING, sla_timers.c.due_at <= now)
        .order_by(sla_timers.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def update_timer(session: AsyncSession, lead_id: str, **values: Any) -> None:
    stmt = update(sla_timers).where(sla_timers.c.lead_id == lead_id).values(updated_at=func.now(), **values)
    await session.execute(stmt)


async def move_assignment(session: AsyncSession, lead_id: str, **values: Any) -> None:
    await session.execute(update(assignments).where(assignments.c.lead_id == lead_id).values(**values))


async def add_outbox(
    session: AsyncSession, event_id: uuid.UUID, lead_id: str, event_type: str, payload: dict[str, Any]
) -> None:
    stmt = insert(sla_outbox).values(
        event_id=event_id, lead_id=lead_id, event_type=event_type, payload=payload
    )
    await session.execute(stmt.on_conflict_do_nothing())


async def lock_unpublished(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    stmt = (
        select(sla_outbox)
        .where(sla_outbox.c.published_at.is_(None))
        .order_by(sla_outbox.c.created_at, sla_outbox.c.event_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def mark_published(session: AsyncSession, event_ids: list[uuid.UUID]) -> None:
    stmt = update(sla_outbox).where(sla_outbox.c.event_id.in_(event_ids)).values(published_at=func.now())
    await session.execute(stmt)


async def log_reroute(
    session: AsyncSession,
    lead_id: str,
    event_id: uuid.UUID,
    rule: str,
    geo: Geocode,
    outcome: RouteOutcome,
    at: datetime,
) -> None:
    """The re-route's decision log line (candidates seen, hours note), next to the first decision."""
    await session.execute(
        insert(decision_log).values(
            lead_id=lead_id,
            event_id=event_id,
            rule=rule,
            geocode_method=geo.method.value,
            lat=geo.lat,
            lon=geo.lon,
            candidates=[asdict(c) for c in outcome.candidates],
            timings_ms={},
            replayed=str(outcome.replayed).lower(),
            decided_at=at,
            hours_note=outcome.hours_note,
            policy_version=outcome.policy_version,
        )
    )

"""Postgres statements of location management, each run inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from onboarding.adapters.store import _to_location
from onboarding.adapters.tables import locations, steps
from onboarding.directory.tables import location_changes, location_pauses
from onboarding.domain.location import Location
from onboarding.domain.location_changes import Action, FieldChange
from onboarding.domain.saga import SagaStatus


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str | None
    until: date | None
    paused_at: datetime
    paused_by: str


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: int
    change_id: uuid.UUID
    location_id: str
    changed_at: datetime
    actor: str
    action: str
    field: str
    old_value: str
    new_value: str
    reason: str | None


async def lock(session: AsyncSession, location_ids: Sequence[str]) -> dict[str, Location]:
    """The locations, their rows locked until the transaction ends (in id order: two bulk files
    touching the same locations never deadlock)."""
    query = (
        select(locations)
        .where(locations.c.location_id.in_(list(location_ids)))
        .order_by(locations.c.location_id)
        .with_for_update()
    )
    rows = (await session.execute(query)).all()
    return {r.location_id: _to_location(r, []) for r in rows}


# One key for every territory claim (pg_advisory_xact_lock, released at commit/rollback): claims of
# different locations touch different rows, so their row locks alone do not serialise them.
TERRITORY_LOCK_KEY = 0x7E_1600_16


async def lock_territories(session: AsyncSession) -> None:
    """Serialise territory claims until the transaction ends. Always taken *after* the row locks
    (and no row lock is taken after it), so it cannot deadlock with them (decision note 0012)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TERRITORY_LOCK_KEY})


async def territory_owners(
    session: AsyncSession, zips: Sequence[str], exclude: Sequence[str]
) -> dict[str, str]:
    """zip → owning location id, for the ``zips`` owned by a location that is not offboarded and
    not in ``exclude`` (read after lock_territories: the latest committed claims)."""
    if not zips:
        return {}
    territory = locations.c.draft["territory_zips"]
    query = select(locations.c.location_id, territory).where(
        locations.c.status != SagaStatus.OFFBOARDED.value,
        territory.has_any(array(list(zips))),  # jsonb ?| text[]
    )
    if exclude:
        query = query.where(locations.c.location_id.not_in(list(exclude)))
    wanted = set(zips)
    owners: dict[str, str] = {}
    for location_id, owned in (await session.execute(query.order_by(locations.c.location_id))).all():
        for z in owned or []:
            if z in wanted:
                owners.setdefault(z, location_id)
    return owners


async def save(session: AsyncSession, location: Location) -> None:
    """Only what an operator changes: the saga's lease and step columns are left alone."""
    await session.execute(
        update(locations)
        .where(locations.c.location_id == location.location_id)
        .values(
            draft=location.draft.model_dump(mode="json"), status=location.status.value, updated_at=func.now()
        )
    )


async def record(
    session: AsyncSession,
    change_id: uuid.UUID,
    location_id: str,
    actor: str,
    action: Action,
    changes: Sequence[FieldChange],
    reason: str | None,
) -> None:
    if not changes:
        return
    await session.execute(
        insert(location_changes),
        [
            {
                "change_id": change_id,
                "location_id": location_id,
                "actor": actor,
                "action": action.value,
                "field": c.field,
                "old_value": c.old,
                "new_value": c.new,
                "reason": reason,
            }
            for c in changes
        ],
    )


async def open_pause(
    session: AsyncSession, location_id: str, reason: str | None, until: date | None, actor: str
) -> None:
    values = {"reason": reason, "until": until, "paused_by": actor, "paused_at": func.now()}
    stmt = insert(location_pauses).values(location_id=location_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[location_pauses.c.location_id], set_=values)
    )


async def close_pause(session: AsyncSession, location_id: str) -> None:
    await session.execute(delete(location_pauses).where(location_pauses.c.location_id == location_id))


async def pauses(session: AsyncSession, location_ids: Sequence[str]) -> dict[str, Pause]:
    query = select(location_pauses).where(location_pauses.c.location_id.in_(list(location_ids)))
    rows = (await session.execute(query)).all()
    return {r.location_id: Pause(r.reason, r.until, r.paused_at, r.paused_by) for r in rows}


async def expired_pauses(session: AsyncSession, today: date) -> list[str]:
    """Paused locations whose end date has come."""
    query = (
        select(location_pauses.c.location_id)
        .join(locations, locations.c.location_id == location_pauses.c.location_id)
        .where(location_pauses.c.until <= today, locations.c.status == SagaStatus.PAUSED.value)
        .order_by(location_pauses.c.location_id)
    )
    return [r[0] for r in (await session.execute(query)).all()]


async def page(
    session: AsyncSession,
    status: SagaStatus | None,
    state: str | None,
    after: str | None,
    limit: int,
    region: str | None = None,
) -> list[Location]:
    """Keyset pagination on the location id (stable while locations are added)."""
    query = select(locations).order_by(locations.c.location_id).limit(limit)
    if status is not None:
        query = query.where(locations.c.status == status.value)
    if state is not None:
        query = query.where(locations.c.draft["state"].astext == state)
    if region is not None:
        query = query.where(func.lower(locations.c.draft["region"].astext) == region.casefold())
    if after is not None:
        query = query.where(locations.c.location_id > after)
    rows = (await session.execute(query)).all()
    return [_to_location(r, []) for r in rows]


async def one(session: AsyncSession, location_id: str) -> Location | None:
    row = (await session.execute(select(locations).where(locations.c.location_id == location_id))).first()
    if row is None:
        return None
    step_rows = (await session.execute(select(steps).where(steps.c.location_id == location_id))).all()
    return _to_location(row, list(step_rows))


async def history(session: AsyncSession, location_id: str, before: int | None, limit: int) -> list[ChangeRow]:
    """Newest first; ``before`` is the id of the last row of the previous page."""
    query = (
        select(location_changes)
        .where(location_changes.c.location_id == location_id)
        .order_by(location_changes.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(location_changes.c.id < before)
    rows = (await session.execute(query)).all()
    return [_change_row(r) for r in rows]


def _change_row(row: Any) -> ChangeRow:
    return ChangeRow(
        row.id,
        row.change_id,
        row.location_id,
        row.changed_at,
        row.actor,
        row.action,
        row.field,
        row.old_value,
        row.new_value,
        row.reason,
    )

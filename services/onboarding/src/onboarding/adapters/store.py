"""SagaStore on Postgres: one row per location, one per saga step, fenced leases for the runners.

Fencing: a claim increments ``lease_generation`` and hands it to the runner as its token; a write
with ``fence=token`` applies only while the row still carries that generation (step writes lock the
location row FOR SHARE first, so a concurrent claim waits for them or they see its new generation)
and raises LeaseLost otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.onboarding import LocationDraft
from onboarding.adapters.tables import locations, steps
from onboarding.domain.errors import LeaseLost
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import RUNNABLE, Lease, SagaStatus, Step, StepStatus


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _location_values(loc: Location) -> dict[str, Any]:
    return {
        "name": loc.draft.name,
        "name_key": _name_key(loc.draft.name),
        "draft": loc.draft.model_dump(mode="json"),
        "status": loc.status.value,
        "adopted": loc.adopted,
        "ghl_location_id": loc.ghl_location_id,
        "lat": loc.lat,
        "lon": loc.lon,
        "geocode_method": loc.geocode_method,
        "timezone": loc.timezone,
        "failed_step": loc.failed_step,
        "last_error": loc.last_error,
        "saga_marker": loc.saga_marker,
        "updated_at": func.now(),
    }


def _to_location(row: Any, step_rows: list[Any]) -> Location:
    return Location(
        location_id=row.location_id,
        draft=LocationDraft.model_validate(row.draft),
        status=SagaStatus(row.status),
        adopted=row.adopted,
        ghl_location_id=row.ghl_location_id,
        lat=row.lat,
        lon=row.lon,
        geocode_method=row.geocode_method,
        timezone=row.timezone,
        failed_step=row.failed_step,
        last_error=row.last_error,
        updated_at=row.updated_at,
        saga_marker=row.saga_marker,
        steps={
            Step(s.step): StepRecord(StepStatus(s.status), dict(s.ghl_ids), s.attempts, s.error, s.published)
            for s in step_rows
        },
    )


class PostgresSagaStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, location: Location) -> bool:
        stmt = (
            insert(locations)
            .values(location_id=location.location_id, **_location_values(location))
            .on_conflict_do_nothing()
            .returning(locations.c.location_id)
        )
        async with transaction(self._sessions) as session:
            return (await session.execute(stmt)).first() is not None

    async def get(self, location_id: str) -> Location | None:
        async with self._sessions() as session:
            row = (
                await session.execute(select(locations).where(locations.c.location_id == location_id))
            ).first()
            if row is None:
                return None
            step_rows = (await session.execute(select(steps).where(steps.c.location_id == location_id))).all()
            return _to_location(row, list(step_rows))

    async def save(self, location: Location, fence: int | None = None) -> None:
        stmt = (
            update(locations)
            .where(locations.c.location_id == location.location_id, *_fenced(fence))
            .values(**_location_values(location))
        )
        async with transaction(self._sessions) as session:
            result = await session.execute(stmt)
        if fence is not None and not _rowcount(result):
            raise LeaseLost(f"{location.location_id}: lease generation {fence} is no longer current")

    async def save_step(
        self, location_id: str, step: Step, record: StepRecord, fence: int | None = None
    ) -> None:
        values = {
            "status": record.status.value,
            "ghl_ids": record.ghl_ids,
            "attempts": record.attempts,
            "error": record.error,
            "published": record.published,
            "lease_generation": fence or 0,
            "updated_at": func.now(),
        }
        stmt = insert(steps).values(location_id=location_id, step=step.value, **values)
        stmt = stmt.on_conflict_do_update(index_elements=[steps.c.location_id, steps.c.step], set_=values)
        async with transaction(self._sessions) as session:
            if fence is not None:
                held = select(locations.c.location_id).where(
                    locations.c.location_id == location_id, *_fenced(fence)
                )
                if (await session.execute(held.with_for_update(read=True))).first() is None:
                    raise LeaseLost(f"{location_id}: lease generation {fence} is no longer current")
            await session.execute(stmt)

    async def reset_steps(self, location_id: str, to_reset: list[Step]) -> None:
        stmt = delete(steps).where(
            and_(steps.c.location_id == location_id, steps.c.step.in_([s.value for s in to_reset]))
        )
        async with transaction(self._sessions) as session:
            await session.execute(stmt)

    async def list_locations(self, status: SagaStatus | None, limit: int) -> list[Location]:
        query = select(locations).order_by(locations.c.location_id).limit(limit)
        if status is not None:
            query = query.where(locations.c.status == status.value)
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
            ids = [r.location_id for r in rows]
            step_rows = (await session.execute(select(steps).where(steps.c.location_id.in_(ids)))).all()
        by_id: dict[str, list[Any]] = {}
        for s in step_rows:
            by_id.setdefault(s.location_id, []).append(s)
        return [_to_location(r, by_id.get(r.location_id, [])) for r in rows]

    async def known(self) -> tuple[list[str], list[str]]:
        query = select(locations.c.name, locations.c.location_id).where(
            locations.c.status != SagaStatus.OFFBOARDED.value
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [r.name for r in rows], [r.location_id for r in rows]

    async def claim_runnable(self, owner: str, limit: int, lease_s: float) -> list[Lease]:
        """SKIP LOCKED: concurrent replicas each take different sagas; an expired lease is free.
        Each claim moves the lease generation on: the previous holder's writes are refused from now."""
        now = datetime.now(UTC)
        free = or_(locations.c.lease_until.is_(None), locations.c.lease_until < now)
        pick = (
            select(locations.c.location_id)
            .where(locations.c.status.in_([s.value for s in RUNNABLE]), free)
            .order_by(locations.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with transaction(self._sessions) as session:
            ids = [r[0] for r in (await session.execute(pick)).all()]
            if not ids:
                return []
            claimed = await session.execute(
                update(locations)
                .where(locations.c.location_id.in_(ids))
                .values(
                    lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease_s),
                    lease_generation=locations.c.lease_generation + 1,
                )
                .returning(locations.c.location_id, locations.c.lease_generation)
            )
            return [Lease(r.location_id, r.lease_generation) for r in claimed.all()]

    async def renew(self, lease: Lease, lease_s: float) -> bool:
        """False when another runner claimed the saga since (this runner must stop)."""
        stmt = (
            update(locations)
            .where(locations.c.location_id == lease.location_id, *_fenced(lease.token))
            .values(lease_until=datetime.now(UTC) + timedelta(seconds=lease_s))
        )
        async with transaction(self._sessions) as session:
            result = await session.execute(stmt)
        return bool(_rowcount(result))

    async def release(self, lease: Lease) -> None:
        stmt = (
            update(locations)
            .where(locations.c.location_id == lease.location_id, *_fenced(lease.token))
            .values(lease_owner=None, lease_until=None)
        )
        async with transaction(self._sessions) as session:
            await session.execute(stmt)


def _fenced(fence: int | None) -> tuple[Any, ...]:
    return () if fence is None else (locations.c.lease_generation == fence,)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)

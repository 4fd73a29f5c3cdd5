"""The location-management use cases the API and the CLI share: read, change, pause, resume,
offboard. Each change locks the location row (and, when it claims zips, the territory lock, then
checks no other live location owns them), writes it with its audit rows, publishes the new
directory entry (LocationProfile, or a tombstone on offboard) on locations.v1 and only then
commits: a change the broker did not take is not recorded, and changes of one location reach the
compacted topic in the order they were committed (decision note 0012)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.logging import get_logger
from onboarding.directory import repository as repo
from onboarding.domain.location import Location, location_key
from onboarding.domain.location_changes import (
    Action,
    ChangeConflict,
    ChangeInvalid,
    Edit,
    FieldChange,
    FieldProblem,
    apply_edit,
    check_territory,
    check_until,
    claims_territory,
    diff,
    next_status,
    parse_edit,
)
from onboarding.domain.saga import SagaStatus

log = get_logger(__name__)
ROUTABLE = frozenset({SagaStatus.ACTIVE, SagaStatus.PAUSED})  # the statuses with a directory entry


class UnknownLocation(LookupError):
    """No location has this id."""


class DirectorySink(Protocol):
    """locations.v1 (KafkaEventSink is one)."""

    async def profile(self, location: Location) -> None: ...
    async def tombstone(self, location_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Planned:
    """One location's change, worked out before anything is written."""

    before: Location
    after: Location
    action: Action
    changes: list[FieldChange]


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    location_id: str
    action: Action
    edit: Edit = field(default_factory=Edit)
    reason: str | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    location: Location
    pause: repo.Pause | None
    changes: list[FieldChange]
    change_id: uuid.UUID


def plan(location: Location, action: Action, edit: Edit) -> Planned:
    """Raises ChangeConflict when the location's status forbids the change."""
    status = next_status(action, location.status, edit.status)
    draft = apply_edit(location.draft, edit) if action is Action.UPDATE else location.draft
    after = replace(location, draft=draft, status=status)
    return Planned(location, after, action, diff(location.draft, location.status, draft, status))


async def territory_conflicts(session: AsyncSession, items: Sequence[Planned]) -> dict[str, str]:
    """location id → why, for each planned territory that takes a zip another live location owns
    (both owners and the zips named). Takes the territory lock (after the callers' row locks) only
    when something is claimed; locations changing their territory in ``items`` are judged by their
    new one (a bulk file checks its rows against each other itself)."""
    claims = {p.after.location_id: claims_territory(p.before.draft, p.after.draft) for p in items}
    claims = {k: v for k, v in claims.items() if v}
    if not claims:
        return {}
    await repo.lock_territories(session)
    moving = [
        p.after.location_id for p in items if p.after.draft.territory_zips != p.before.draft.territory_zips
    ]
    owners = await repo.territory_owners(session, sorted({z for v in claims.values() for z in v}), moving)
    conflicts: dict[str, str] = {}
    for location_id, zips in claims.items():
        try:
            check_territory(location_id, zips, owners)
        except ChangeConflict as exc:
            conflicts[location_id] = str(exc)
    return conflicts


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocationDirectory:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sink: DirectorySink,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessions
        self._sink = sink
        self._clock = clock

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self._sessions

    async def get(self, location_id: str) -> tuple[Location, repo.Pause | None]:
        key = location_key(location_id)
        async with self._sessions() as session:
            location = await repo.one(session, key)
            if location is None:
                raise UnknownLocation(key)
            return location, (await repo.pauses(session, [key])).get(key)

    async def page(
        self,
        status: SagaStatus | None,
        state: str | None,
        after: str | None,
        limit: int,
        region: str | None = None,
    ) -> list[tuple[Location, repo.Pause | None]]:
        async with self._sessions() as session:
            found = await repo.page(session, status, state, after and location_key(after), limit, region)
            paused = await repo.pauses(session, [loc.location_id for loc in found])
        return [(loc, paused.get(loc.location_id)) for loc in found]

    async def history(self, location_id: str, before: int | None, limit: int) -> list[repo.ChangeRow]:
        key = location_key(location_id)
        async with self._sessions() as session:
            if await repo.one(session, key) is None:
                raise UnknownLocation(key)
            return await repo.history(session, key, before, limit)

    async def update(self, location_id: str, cells: Mapping[str, str | None], actor: str) -> Outcome:
        """``cells`` as in the CSV; a None cell is left alone, an empty one clears hours/closed dates."""
        edit = parse_edit(cells, blank_is_unchanged=False)
        if edit.empty:
            raise ChangeInvalid([FieldProblem("body", "nothing to change")])
        return await self.change(ChangeRequest(location_id, Action.UPDATE, edit), actor)

    async def pause(
        self, location_id: str, actor: str, reason: str | None = None, until: date | None = None
    ) -> Outcome:
        check_until(until, self._clock().date())
        return await self.change(ChangeRequest(location_id, Action.PAUSE, reason=reason, until=until), actor)

    async def resume(self, location_id: str, actor: str, reason: str | None = None) -> Outcome:
        return await self.change(ChangeRequest(location_id, Action.RESUME, reason=reason), actor)

    async def offboard(self, location_id: str, actor: str, reason: str | None = None) -> Outcome:
        return await self.change(ChangeRequest(location_id, Action.OFFBOARD, reason=reason), actor)

    async def change(self, request: ChangeRequest, actor: str) -> Outcome:
        key = location_key(request.location_id)
        change_id = uuid.uuid4()
        async with transaction(self._sessions) as session:
            current = (await repo.lock(session, [key])).get(key)
            if current is None:
                raise UnknownLocation(key)
            planned = plan(current, request.action, request.edit)
            conflicts = await territory_conflicts(session, [planned])
            if conflicts:
                raise ChangeConflict(conflicts[key])
            await self.write(session, [(planned, request)], change_id, actor)
            pause = (await repo.pauses(session, [key])).get(key)
        log.info("location_changed", location_id=key, action=request.action.value, actor=actor,
                 fields=[c.field for c in planned.changes])  # fmt: skip
        return Outcome(planned.after, pause, planned.changes, change_id)

    async def write(
        self,
        session: AsyncSession,
        items: Sequence[tuple[Planned, ChangeRequest]],
        change_id: uuid.UUID,
        actor: str,
    ) -> None:
        """Write, audit and publish every planned change inside the caller's transaction. When the
        broker fails part-way, the entries already sent are put back (best effort) and the error
        propagates, so the transaction rolls back: all or nothing."""
        for planned, request in items:
            await repo.save(session, planned.after)
            await repo.record(session, change_id, planned.after.location_id, actor, planned.action,
                              planned.changes, request.reason)  # fmt: skip
            await self._track_pause(session, planned, request, actor)
        sent: list[Planned] = []
        try:
            for planned, _ in items:
                if await self._publish(planned.after):
                    sent.append(planned)
        except Exception:
            await self._restore(sent)
            raise

    async def resume_expired(self, actor: str = "system:pause-until") -> list[str]:
        """Resume every paused location whose pause end date has come; returns their ids."""
        async with self._sessions() as session:
            due = await repo.expired_pauses(session, self._clock().date())
        resumed = []
        for location_id in due:
            try:
                await self.resume(location_id, actor, reason="pause ended")
                resumed.append(location_id)
            except (ChangeConflict, UnknownLocation):
                continue  # resumed or offboarded meanwhile
        return resumed

    async def _track_pause(
        self, session: AsyncSession, planned: Planned, request: ChangeRequest, actor: str
    ) -> None:
        was, now = planned.before.status, planned.after.status
        if now is SagaStatus.PAUSED and was is not SagaStatus.PAUSED:
            await repo.open_pause(session, planned.after.location_id, request.reason, request.until, actor)
        elif was is SagaStatus.PAUSED and now is not SagaStatus.PAUSED:
            await repo.close_pause(session, planned.after.location_id)

    async def _publish(self, location: Location) -> bool:
        """The directory entry for ``location``'s new state; False when it has none (e.g. a
        quarantined location's capacity edit: recorded, published when it goes live)."""
        if location.status is SagaStatus.OFFBOARDED:
            await self._sink.tombstone(location.location_id)
            return True
        if location.status in ROUTABLE:
            await self._sink.profile(location)
            return True
        return False

    async def _restore(self, sent: list[Planned]) -> None:
        for planned in sent:
            try:
                if planned.before.status in ROUTABLE:
                    await self._sink.profile(planned.before)
            except Exception as exc:  # the broker is failing: the original error is what matters
                log.warning(
                    "directory_restore_failed", location_id=planned.before.location_id, error=str(exc)
                )

"""Postgres access of the unassigned pool and of moves: listing decisions (keyset pages), locking a
lead for a move, writing the move (assignment, decision log with who/why, SLA timer, outbox), and the
re-drive triggers with their cursors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Float,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, TextClause

from router.adapters.tables import assignments, decision_log, locations, pool_triggers, sla_timers
from router.domain.pool import EARTH_RADIUS_MILES, Cursor, ListStatus, Trigger, TriggerKind, bounding_box

# The lead's latest geocode (its newest decision-log line: an address update re-geocodes it).
_latest = (
    select(decision_log.c.lat, decision_log.c.lon, decision_log.c.geocode_method, decision_log.c.candidates)
    .where(decision_log.c.lead_id == assignments.c.lead_id)
    .order_by(decision_log.c.id.desc())
    .limit(1)
    .lateral("latest")
)
_ROW = (
    assignments.c.lead_id, assignments.c.source_location_id, assignments.c.location_id,
    assignments.c.ghl_location_id, assignments.c.rule, assignments.c.reason, assignments.c.score,
    assignments.c.geocode_method, assignments.c.state, assignments.c.decided_at,
    assignments.c.distance_miles, assignments.c.capacity_date, _latest.c.lat, _latest.c.lon,
)  # fmt: skip


def _miles(lat: float, lon: float) -> ColumnElement[float]:
    """Haversine distance from (lat, lon) to the lead's geocode, in SQL (no extension needed)."""
    expr = (
        f"2 * {EARTH_RADIUS_MILES} * asin(least(1, sqrt(power(sin(radians(latest.lat - {lat!r}) / 2), 2)"
        f" + cos(radians({lat!r})) * cos(radians(latest.lat))"
        f" * power(sin(radians(latest.lon - {lon!r}) / 2), 2))))"
    )
    return literal_column(expr, Float)


def near(lat: float, lon: float, miles: float) -> ColumnElement[bool]:
    lat0, lat1, lon0, lon1 = bounding_box(lat, lon, miles)
    return and_(
        _latest.c.lat.between(lat0, lat1), _latest.c.lon.between(lon0, lon1), _miles(lat, lon) <= miles
    )


@dataclass(frozen=True, slots=True)
class RouteFilter:
    status: ListStatus = ListStatus.UNASSIGNED
    reason: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    state: str | None = None
    location_id: str | None = None  # assigned there, or (pool) within radius of it
    near: tuple[float, float, float] | None = None  # (lat, lon, miles) of the pool filter


def _conditions(f: RouteFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.status == ListStatus.UNASSIGNED:
        where.append(assignments.c.location_id.is_(None))
    elif f.status == ListStatus.ASSIGNED:
        where.append(assignments.c.location_id.is_not(None))
    if f.reason is not None:
        where.append(assignments.c.reason == f.reason)
    if f.since is not None:
        where.append(assignments.c.decided_at >= f.since)
    if f.until is not None:
        where.append(assignments.c.decided_at < f.until)
    if f.state is not None:
        where.append(assignments.c.state == f.state)
    if f.near is not None:
        where.append(near(*f.near))
    elif f.location_id is not None:
        where.append(assignments.c.location_id == f.location_id)
    return where


async def list_routes(session: AsyncSession, f: RouteFilter, limit: int,
                      after: Cursor | None) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """One page (oldest decision first) and the number of rows matching the filter in all."""
    base = select(*_ROW).select_from(assignments.outerjoin(_latest, true())).where(*_conditions(f))
    page = base
    if after is not None:
        page = page.where(
            tuple_(assignments.c.decided_at, assignments.c.lead_id) > (after.decided_at, after.lead_id)
        )
    page = page.order_by(assignments.c.decided_at, assignments.c.lead_id).limit(limit)
    rows = [dict(r._mapping) for r in (await session.execute(page)).all()]
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    return rows, int(total)


async def location_point(session: AsyncSession, location_id: str) -> dict[str, Any] | None:
    c = locations.c
    columns = (c.location_id, c.lat, c.lon, c.state, c.status, c.timezone, c.ghl_location_id,
               c.daily_capacity, c.profile)  # fmt: skip
    stmt = select(*columns).where(c.location_id == location_id)
    row = (await session.execute(stmt)).first()
    return dict(row._mapping) if row else None


async def lock_lead(
    session: AsyncSession, lead_id: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The lead's assignment and SLA timer, locked for this transaction, in the SLA worker's order
    (timer, then assignment) so a move and a firing timer serialise instead of deadlocking."""
    timer = (
        await session.execute(select(sla_timers).where(sla_timers.c.lead_id == lead_id).with_for_update())
    ).first()
    row = (
        await session.execute(select(assignments).where(assignments.c.lead_id == lead_id).with_for_update())
    ).first()
    return (dict(row._mapping) if row else None), (dict(timer._mapping) if timer else None)


async def latest_geocode(session: AsyncSession, lead_id: str) -> dict[str, Any] | None:
    stmt = (
        select(decision_log.c.lat, decision_log.c.lon, decision_log.c.geocode_method)
        .where(decision_log.c.lead_id == lead_id)
        .order_by(decision_log.c.id.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return dict(row._mapping) if row else None


async def decision_counts(session: AsyncSession, lead_ids: Sequence[str]) -> dict[str, int]:
    """Decision-log lines per lead: the number of the next move (its reservation and event ids)."""
    stmt = (
        select(decision_log.c.lead_id, func.count())
        .where(decision_log.c.lead_id.in_(list(lead_ids)))
        .group_by(decision_log.c.lead_id)
    )
    counts = {r[0]: int(r[1]) for r in (await session.execute(stmt)).all()}
    return {lead: counts.get(lead, 0) for lead in lead_ids}


async def move_assignment(session: AsyncSession, lead_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(assignments).where(assignments.c.lead_id == lead_id).values(**values))


async def log_move(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(decision_log).values(replayed="false", **values))


async def pool_leads(session: AsyncSession, lead_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Those of ``lead_ids`` still in the pool, locked (rows another move holds are skipped)."""
    stmt = (
        select(*_ROW)
        .select_from(assignments.outerjoin(_latest, true()))
        .where(assignments.c.lead_id.in_(list(lead_ids)), assignments.c.location_id.is_(None))
        .with_for_update(of=assignments, skip_locked=True)
    )
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


def _matches(trigger: dict[str, Any]) -> list[ColumnElement[bool] | TextClause]:
    where: list[ColumnElement[bool] | TextClause] = [
        assignments.c.location_id.is_(None),
        assignments.c.reason.in_(list(trigger["reasons"])),
    ]
    if trigger["kind"] == TriggerKind.MIDNIGHT:
        # the leads that found one of these locations full (it is among their decision's candidates)
        ids = bindparam("candidate_ids", value=list(trigger["location_ids"]), type_=ARRAY(String))
        where.append(
            text(
                "EXISTS (SELECT 1 FROM jsonb_array_elements(latest.candidates) AS c"
                " WHERE c->>'location_id' = ANY(:candidate_ids))"
            ).bindparams(ids)
        )
    elif trigger["lat"] is not None and trigger["lon"] is not None:
        inside = near(trigger["lat"], trigger["lon"], trigger["radius_miles"] or 0.0)
        # the same-state fallback reaches a new location at any distance inside the state
        where.append(or_(inside, assignments.c.state == trigger["state"]) if trigger["state"] else inside)
    if trigger["cursor_at"] is not None:
        where.append(
            tuple_(assignments.c.decided_at, assignments.c.lead_id)
            > (trigger["cursor_at"], trigger["cursor_lead"])
        )
    return where


async def trigger_batch(session: AsyncSession, trigger: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The next pool leads a locked trigger matches (keyset order after its cursor), locked."""
    stmt = (
        select(*_ROW)
        .select_from(assignments.outerjoin(_latest, true()))
        .where(*_matches(trigger))
        .order_by(assignments.c.decided_at, assignments.c.lead_id)
        .limit(limit)
        .with_for_update(of=assignments, skip_locked=True)
    )
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def add_triggers(session: AsyncSession, triggers: Sequence[Trigger]) -> list[str]:
    """Record triggers (one row per id: every replica may propose the same one); the kinds of the
    ones new here."""
    if not triggers:
        return []
    rows = [
        {
            "trigger_id": t.trigger_id,
            "kind": t.kind.value,
            "reasons": list(t.reasons),
            "location_ids": list(t.location_ids),
            "lat": t.lat,
            "lon": t.lon,
            "radius_miles": t.radius_miles,
            "state": t.state,
        }
        for t in triggers
    ]
    stmt = insert(pool_triggers).values(rows).on_conflict_do_nothing().returning(pool_triggers.c.kind)
    return list((await session.execute(stmt)).scalars().all())


async def lock_open_triggers(session: AsyncSession, limit: int) -> list[dict[str, Any]]:
    stmt = (
        select(pool_triggers)
        .where(pool_triggers.c.done_at.is_(None))
        .order_by(pool_triggers.c.created_at, pool_triggers.c.trigger_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def advance_trigger(session: AsyncSession, trigger_id: str, cursor: tuple[datetime, str] | None,
                          examined: int, routed: int, done: bool) -> None:  # fmt: skip
    values: dict[str, Any] = {
        "examined": pool_triggers.c.examined + examined,
        "routed": pool_triggers.c.routed + routed,
    }
    if cursor is not None:
        values["cursor_at"], values["cursor_lead"] = cursor
    if done:
        values["done_at"] = func.now()
    await session.execute(
        update(pool_triggers).where(pool_triggers.c.trigger_id == trigger_id).values(**values)
    )


async def trigger_row(session: AsyncSession, trigger_id: str) -> dict[str, Any] | None:
    row = (
        await session.execute(select(pool_triggers).where(pool_triggers.c.trigger_id == trigger_id))
    ).first()
    return dict(row._mapping) if row else None


async def changed_active_locations(session: AsyncSession, since: datetime) -> list[dict[str, Any]]:
    """Active locations whose directory row changed after ``since`` (activation, capacity...)."""
    stmt = select(locations.c.location_id, locations.c.lat, locations.c.lon, locations.c.state,
                  locations.c.updated_at, locations.c.profile).where(
        locations.c.status == "active", locations.c.updated_at > since, locations.c.lat.is_not(None)
    )  # fmt: skip
    return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def active_by_timezone(session: AsyncSession) -> dict[str, list[str]]:
    stmt = select(locations.c.timezone, locations.c.location_id).where(locations.c.status == "active")
    zones: dict[str, list[str]] = {}
    for tz, location_id in (await session.execute(stmt)).all():
        zones.setdefault(tz, []).append(location_id)
    return zones


def day_of(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None

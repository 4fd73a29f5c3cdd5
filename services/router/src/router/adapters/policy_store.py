"""Postgres side of the routing policy: immutable versions in ``routing_policies`` (the current one
is the highest), and what ``router policy diff`` replays (recent decisions, the directory)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from router.adapters.tables import locations, routing_policies
from router.domain.directory import DirectoryEntry
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.policy import BOOTSTRAP_VERSION, PolicyVersion, RoutingPolicyDocument, StaleVersion
from router.domain.policy_diff import ReplayLead


def _version(row: Any) -> PolicyVersion:
    return PolicyVersion(row.version, RoutingPolicyDocument.model_validate(row.document), row.created_at,
                         row.created_by, row.comment)  # fmt: skip


async def max_version(session: AsyncSession) -> int:
    """The current version number (BOOTSTRAP_VERSION when none is stored): the reload poll."""
    found = (await session.execute(select(func.max(routing_policies.c.version)))).scalar()
    return int(found) if found is not None else BOOTSTRAP_VERSION


async def current(session: AsyncSession) -> PolicyVersion | None:
    stmt = select(routing_policies).order_by(routing_policies.c.version.desc()).limit(1)
    row = (await session.execute(stmt)).first()
    return _version(row) if row else None


async def history(session: AsyncSession, limit: int = 50) -> list[PolicyVersion]:
    stmt = select(routing_policies).order_by(routing_policies.c.version.desc()).limit(limit)
    return [_version(row) for row in await session.execute(stmt)]


async def store(session: AsyncSession, document: RoutingPolicyDocument, actor: str, comment: str | None,
                expected_version: int | None = None) -> PolicyVersion:  # fmt: skip
    """Append the next version (call inside a transaction). The table lock serialises writers
    (plain reads still go on), so ``expected_version`` is checked against what is really current
    and two concurrent replacements never get the same number."""
    await session.execute(text("LOCK TABLE routing_policies IN EXCLUSIVE MODE"))
    latest = await max_version(session)
    if expected_version is not None and expected_version != latest:
        raise StaleVersion(expected_version, latest)
    row = (
        await session.execute(
            insert(routing_policies)
            .values(
                version=latest + 1,
                document=document.model_dump(mode="json"),
                content_hash=document.content_hash(),
                created_by=actor,
                comment=comment,
            )
            .returning(routing_policies)
        )
    ).one()
    return _version(row)


RECENT = text(
    "SELECT a.lead_id, a.score, a.state, a.capacity_date, a.decided_at, a.location_id, l.lat, l.lon,"
    " l.geocode_method FROM assignments a JOIN LATERAL (SELECT lat, lon, geocode_method FROM decision_log"
    " WHERE lead_id = a.lead_id ORDER BY id LIMIT 1) l ON true ORDER BY a.decided_at DESC LIMIT :n"
)


async def recent_leads(session: AsyncSession, n: int) -> list[ReplayLead]:
    """The last ``n`` routed leads in arrival order, as first decided (coordinates, stored score:
    the contact itself is not kept, so a replay cannot re-score them under other weights)."""
    leads = []
    for r in await session.execute(RECENT, {"n": n}):
        day: date = r.capacity_date or r.decided_at.date()
        geo = Geocode(GeocodeMethod(r.geocode_method), r.lat, r.lon, r.state)
        leads.append(ReplayLead(r.lead_id, day.isoformat(), geo, score=r.score, was=r.location_id))
    return leads[::-1]


def _reach(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


async def directory_entries(session: AsyncSession) -> list[DirectoryEntry]:
    """The router's copy of the directory as the simulator's in-memory one."""
    stmt = select(locations).where(locations.c.lat.is_not(None), locations.c.lon.is_not(None))
    return [
        DirectoryEntry(
            r.location_id,
            r.lat,
            r.lon,
            r.daily_capacity,
            r.status,
            r.state,
            r.timezone,
            float((r.profile or {}).get("routing_weight") or 1.0),
            _reach((r.profile or {}).get("radius_override_miles")),
        )
        for r in await session.execute(stmt)
    ]

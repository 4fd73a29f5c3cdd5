"""Idempotent-by-construction writes of one batch (each runs inside the batch transaction): one
cached statement per table, rows passed as column arrays (see statements.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from asyncpg import Connection

from analytics.adapters import statements as sql
from analytics.domain.aggregate import Increments, merge_latest, merge_routes
from analytics.domain.facts import Facts
from analytics.domain.moves import CountedLead


def columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Row tuples → one list per column (the unnest parameters)."""
    return [[row[i] for row in rows] for i in range(width)] if rows else [[] for _ in range(width)]


async def claim(conn: Connection, group: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The ids this group has not applied yet (their effects apply in this transaction)."""
    if not event_ids:
        return set()
    rows = await conn.fetch(sql.CLAIM, group, list(dict.fromkeys(event_ids)))
    return {uuid.UUID(bytes=r[0].bytes) for r in rows}


async def upsert_counters(conn: Connection, increments: Increments) -> None:
    rows = increments.rows
    if not rows:
        return
    # sorted (location, hour, day): the order the statement also locks rows in
    src = [
        {"location_id": k[0], "hour_utc": k[1], "day": k[2], **rows[k]} for k in sorted(rows)
    ]  # fmt: skip
    await conn.execute(sql.ROLLUP_UPSERT, orjson.dumps(src).decode())


async def upsert_directory(conn: Connection, facts: Facts, moved: Mapping[str, CountedLead]) -> None:
    profiles = sorted(merge_latest(facts.locations, "location_id"), key=lambda p: p.location_id)
    rows: list[tuple[Any, ...]]
    if profiles:
        rows = [
            (p.location_id, p.ghl_location_id, p.name, p.region, p.state, p.timezone,
             p.daily_capacity, p.status, p.at)
            for p in profiles
        ]  # fmt: skip
        await conn.execute(sql.PROFILE_UPSERT, *columns(rows, 9))
    states = sorted(merge_latest(facts.onboarding, "location_id"), key=lambda s: s.location_id)
    if states:
        rows = [(s.location_id, s.state, s.at) for s in states]
        await conn.execute(sql.ONBOARDING_UPSERT, *columns(rows, 3))
    routes = sorted(merge_routes(facts.leads), key=lambda r: r.lead_id)
    if routes:
        rows = []
        for r in routes:
            c = moved.get(r.lead_id)
            rows.append(
                (r.lead_id, r.location_id, r.score, r.at, r.location_contact_id,
                 c.location_id if c else None, c.at if c else None, c.score if c else None)
            )  # fmt: skip
        await conn.execute(sql.LEAD_UPSERT, *columns(rows, 8))
    if facts.offboarded:
        await conn.execute(sql.OFFBOARD, list(dict.fromkeys(facts.offboarded)))


async def load_counted(conn: Connection, lead_ids: Sequence[str]) -> dict[str, CountedLead]:
    """Where these leads are counted now (locked until the batch commits)."""
    if not lead_ids:
        return {}
    rows = await conn.fetch(sql.COUNTED, sorted(set(lead_ids)))
    return {r[0]: CountedLead(r[1], r[2], r[3]) for r in rows}


async def record_progress(conn: Connection, replica: str, applied: int, newest: datetime | None) -> None:
    if applied:
        await conn.execute(sql.PROGRESS, replica, applied, newest)

"""Set-based Postgres statements of the batch routing path: one fixed SQL text each (prepared once
per connection and reused), the batch passed as arrays and expanded with ``unnest``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from router.domain.decision import RoutingDecision

CLAIM = text(
    "INSERT INTO processed_events (consumer_group, event_id) "
    "SELECT :group, e FROM unnest(CAST(:ids AS uuid[])) AS e "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
STORED = text("SELECT * FROM assignments WHERE lead_id = ANY(CAST(:ids AS text[]))")
INSERT_ASSIGNMENTS = text(
    "INSERT INTO assignments (lead_id, event_id, source_location_id, location_id, ghl_location_id, rule,"
    " reason, distance_miles, capacity_date, score, geocode_method, state, decided_at, hours_note) "
    "SELECT * FROM unnest(CAST(:lead AS text[]), CAST(:event AS uuid[]), CAST(:source AS text[]),"
    " CAST(:location AS text[]), CAST(:ghl AS text[]), CAST(:rule AS text[]), CAST(:reason AS text[]),"
    " CAST(:distance AS float8[]), CAST(:day AS date[]), CAST(:score AS float8[]),"
    " CAST(:method AS text[]), CAST(:state AS text[]), CAST(:at AS timestamptz[]), CAST(:note AS text[])) "
    "ON CONFLICT DO NOTHING RETURNING lead_id"
)
INSERT_LOGS = text(
    "INSERT INTO decision_log (lead_id, event_id, rule, geocode_method, lat, lon, candidates, timings_ms,"
    " replayed, decided_at, hours_note) "
    "SELECT l, e, r, m, la, lo, CAST(c AS jsonb), CAST(t AS jsonb), rp, a, n FROM unnest("
    "CAST(:lead AS text[]), CAST(:event AS uuid[]), CAST(:rule AS text[]), CAST(:method AS text[]),"
    " CAST(:lat AS float8[]), CAST(:lon AS float8[]), CAST(:candidates AS text[]), CAST(:timings AS text[]),"
    " CAST(:replayed AS text[]), CAST(:at AS timestamptz[]), CAST(:note AS text[]))"
    " AS d(l, e, r, m, la, lo, c, t, rp, a, n)"
)
START_TIMERS = text(
    "INSERT INTO sla_timers (lead_id, location_id, capacity_date, attempt, tried, assigned_at, due_at,"
    " status) "
    "SELECT l, loc, d, 0, jsonb_build_array(loc), a, due, 'pending' FROM unnest("
    "CAST(:lead AS text[]), CAST(:location AS text[]), CAST(:day AS date[]), CAST(:at AS timestamptz[]),"
    " CAST(:due AS timestamptz[])) AS t(l, loc, d, a, due) "
    "ON CONFLICT DO NOTHING"
)


async def claim(session: AsyncSession, group: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The ids this group had not applied yet (their effects are to be written now)."""
    if not event_ids:
        return set()
    rows = await session.execute(CLAIM, {"group": group, "ids": list(dict.fromkeys(event_ids))})
    return {r[0] for r in rows}


async def stored_assignments(session: AsyncSession, lead_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not lead_ids:
        return {}
    rows = await session.execute(STORED, {"ids": list(lead_ids)})
    return {r.lead_id: dict(r._mapping) for r in rows}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def save_decisions(
    session: AsyncSession, decisions: Sequence[RoutingDecision], ghl_ids: dict[str, str | None]
) -> set[str]:
    """Insert assignments (first decision per lead wins) and their decision-log lines; returns
    the lead ids whose assignment this call inserted."""
    if not decisions:
        return set()
    outs = [d.outcome for d in decisions]
    inserted = await session.execute(
        INSERT_ASSIGNMENTS,
        {
            "lead": [d.lead_id for d in decisions],
            "event": [d.event_id for d in decisions],
            "source": [d.source_location_id for d in decisions],
            "location": [o.location_id for o in outs],
            "ghl": [ghl_ids.get(o.location_id) if o.location_id else None for o in outs],
            "rule": [o.rule for o in outs],
            "reason": [o.reason for o in outs],
            "distance": [o.distance_miles for o in outs],
            "day": [_day(o.capacity_date) for o in outs],
            "score": [d.score for d in decisions],
            "method": [d.geocode.method.value for d in decisions],
            "state": [d.geocode.state for d in decisions],
            "at": [d.decided_at for d in decisions],
            "note": [o.hours_note for o in outs],
        },
    )
    lead_ids = {r[0] for r in inserted}
    await session.execute(
        INSERT_LOGS,
        {
            "lead": [d.lead_id for d in decisions],
            "event": [d.event_id for d in decisions],
            "rule": [o.rule for o in outs],
            "method": [d.geocode.method.value for d in decisions],
            "lat": [d.geocode.lat for d in decisions],
            "lon": [d.geocode.lon for d in decisions],
            "candidates": [orjson.dumps([asdict(c) for c in o.candidates]).decode() for o in outs],
            "timings": [orjson.dumps(d.timings_ms).decode() for d in decisions],
            "replayed": [str(o.replayed).lower() for o in outs],
            "at": [d.decided_at for d in decisions],
            "note": [o.hours_note for o in outs],
        },
    )
    return lead_ids


async def start_timers(
    session: AsyncSession, timers: Sequence[tuple[str, str, date, datetime, datetime]]
) -> None:
    """(lead, location, capacity day, assigned at, due at) per lead; a replay arms nothing twice."""
    if not timers:
        return
    lead, location, day, at, due = (list(column) for column in zip(*timers, strict=True))
    await session.execute(
        START_TIMERS, {"lead": lead, "location": location, "day": day, "at": at, "due": due}
    )

"""Set-based Postgres statements of the batch routing path: one fixed SQL text each (prepared once
per connection and reused), the batch passed as arrays and expanded with ``unnest``. A batch is
two statements: the redelivery read before its Redis decisions, and ``APPLY`` after them."""

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

STORED = text("SELECT * FROM assignments WHERE lead_id = ANY(CAST(:ids AS text[]))")
# Claims, assignments, decision log and SLA timers of a batch in one statement, one round trip
# (was four). Data-modifying CTEs run on one snapshot, each fed by the RETURNING rows of the one
# it depends on: only the events claimed here write; an assignment already stored for a lead is
# kept (first decision wins, ON CONFLICT); a timer is armed only for an assignment inserted here.
APPLY = text(
    "WITH d AS (SELECT * FROM unnest(CAST(:lead AS text[]), CAST(:event AS uuid[]),"
    " CAST(:source AS text[]), CAST(:location AS text[]), CAST(:ghl AS text[]), CAST(:rule AS text[]),"
    " CAST(:reason AS text[]), CAST(:distance AS float8[]), CAST(:day AS date[]), CAST(:score AS float8[]),"
    " CAST(:method AS text[]), CAST(:state AS text[]), CAST(:at AS timestamptz[]), CAST(:note AS text[]),"
    " CAST(:lat AS float8[]), CAST(:lon AS float8[]), CAST(:candidates AS text[]),"
    " CAST(:timings AS text[]), CAST(:replayed AS text[]), CAST(:policy AS int[]))"
    " AS d(lead, event, source, location, ghl, rule, reason, distance, day, score, method, state, at,"
    " note, lat, lon, candidates, timings, replayed, policy)), "
    "c AS (INSERT INTO processed_events (consumer_group, event_id) SELECT :group, event FROM d"
    " ON CONFLICT DO NOTHING RETURNING event_id), "
    "a AS (INSERT INTO assignments (lead_id, event_id, source_location_id, location_id, ghl_location_id,"
    " rule, reason, distance_miles, capacity_date, score, geocode_method, state, decided_at, hours_note)"
    " SELECT d.lead, d.event, d.source, d.location, d.ghl, d.rule, d.reason, d.distance, d.day, d.score,"
    " d.method, d.state, d.at, d.note FROM d JOIN c ON c.event_id = d.event"
    " ON CONFLICT DO NOTHING RETURNING lead_id), "
    "l AS (INSERT INTO decision_log (lead_id, event_id, rule, geocode_method, lat, lon, candidates,"
    " timings_ms, replayed, decided_at, hours_note, policy_version)"
    " SELECT d.lead, d.event, d.rule, d.method, d.lat, d.lon, CAST(d.candidates AS jsonb),"
    " CAST(d.timings AS jsonb), d.replayed, d.at, d.note, d.policy FROM d JOIN c ON c.event_id = d.event), "
    "t AS (INSERT INTO sla_timers (lead_id, location_id, capacity_date, attempt, tried, assigned_at,"
    " due_at, status)"
    " SELECT t.l, t.loc, t.d, 0, jsonb_build_array(t.loc), t.a, t.due, 'pending' FROM unnest("
    "CAST(:t_lead AS text[]), CAST(:t_location AS text[]), CAST(:t_day AS date[]),"
    " CAST(:t_at AS timestamptz[]), CAST(:t_due AS timestamptz[])) AS t(l, loc, d, a, due)"
    " JOIN a ON a.lead_id = t.l ON CONFLICT DO NOTHING) "
    "SELECT 'claimed' AS kind, CAST(event_id AS text) AS id FROM c"
    " UNION ALL SELECT 'inserted', lead_id FROM a"
)

# (lead, location, capacity day, assigned at, due at)
Timer = tuple[str, str, date, datetime, datetime]


async def stored_assignments(session: AsyncSession, lead_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not lead_ids:
        return {}
    rows = await session.execute(STORED, {"ids": list(lead_ids)})
    return {r.lead_id: dict(r._mapping) for r in rows}


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def apply_decisions(
    session: AsyncSession,
    group: str,
    decisions: Sequence[RoutingDecision],
    ghl_ids: dict[str, str | None],
    timers: Sequence[Timer],
) -> tuple[set[uuid.UUID], set[str]]:
    """Claim the decisions' events for ``group`` and write the claimed ones: assignment (first
    decision per lead wins; ``ghl_ids``: lead id -> GHL location id), decision-log line, and the
    SLA timer of ``timers`` for each assignment inserted here (a replay arms nothing twice).
    Returns the event ids claimed and the lead ids whose assignment was inserted."""
    if not decisions:
        return set(), set()
    outs = [d.outcome for d in decisions]
    columns: list[list[Any]] = [list(c) for c in zip(*timers, strict=True)] if timers else [[]] * 5
    rows = await session.execute(
        APPLY,
        {
            "group": group,
            "lead": [d.lead_id for d in decisions],
            "event": [d.event_id for d in decisions],
            "source": [d.source_location_id for d in decisions],
            "location": [o.location_id for o in outs],
            "ghl": [ghl_ids.get(d.lead_id) for d in decisions],
            "rule": [o.rule for o in outs],
            "reason": [o.reason for o in outs],
            "distance": [o.distance_miles for o in outs],
            "day": [_day(o.capacity_date) for o in outs],
            "score": [d.score for d in decisions],
            "method": [d.geocode.method.value for d in decisions],
            "state": [d.geocode.state for d in decisions],
            "at": [d.decided_at for d in decisions],
            "note": [o.hours_note for o in outs],
            "lat": [d.geocode.lat for d in decisions],
            "lon": [d.geocode.lon for d in decisions],
            "candidates": [orjson.dumps([asdict(c) for c in o.candidates]).decode() for o in outs],
            "timings": [orjson.dumps(d.timings_ms).decode() for d in decisions],
            "replayed": [str(o.replayed).lower() for o in outs],
            "policy": [o.policy_version for o in outs],
            **dict(zip(("t_lead", "t_location", "t_day", "t_at", "t_due"), columns, strict=True)),
        },
    )
    claimed: set[uuid.UUID] = set()
    inserted: set[str] = set()
    for kind, value in rows:
        if kind == "claimed":
            claimed.add(uuid.UUID(value))
        else:
            inserted.add(value)
    return claimed, inserted

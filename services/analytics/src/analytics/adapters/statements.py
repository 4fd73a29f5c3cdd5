"""The fixed SQL texts of the apply path. Each is one statement per batch whose rows travel as
array parameters (``unnest``), so its text never changes and asyncpg prepares it once per
connection; a multi-row VALUES statement would be a new statement for every batch size."""

from __future__ import annotations

from analytics.domain.facts import COUNTERS

# First statement of every batch transaction. plan_cache_mode: these statements are prepared once
# per connection, and after five executions Postgres may switch to a generic plan it keeps until the
# table's statistics change. One chosen while the tables were nearly empty (a fresh schema, a
# rebuild) seq-scans ``leads`` for the ``= ANY($1)`` look-ups, a cost growing with the table: seen
# as 30 -> 120 µs/event for the look-ups over 20k -> 120k events, until autovacuum re-analysed.
# A custom plan per execution costs a few planning microseconds per statement (per batch), and
# always sees the batch's real arrays and the table's current size. ``true``: for this
# transaction only, so the pooled connection goes back unchanged.
BEGIN_BATCH = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"
BEGIN_BATCH_LOCKED = f"{BEGIN_BATCH}, pg_advisory_xact_lock_shared($1)"

CLAIM = """
INSERT INTO processed_events (consumer_group, event_id)
SELECT $1, e FROM unnest($2::uuid[]) AS e
ON CONFLICT DO NOTHING RETURNING event_id
"""


def _counter_upsert(table: str, bucket: str, key: str) -> str:
    """One rollup table's INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x from the ``src``
    rows summed per (location, ``key``); sorted, so concurrent consumers lock rows in the same
    order and cannot deadlock."""
    sums = ", ".join(f"coalesce(sum({c}), 0)" for c in COUNTERS)
    adds = ", ".join(f"{c} = t.{c} + excluded.{c}" for c in COUNTERS)
    return (
        f"INSERT INTO {table} AS t (location_id, {bucket}, {', '.join(COUNTERS)})"
        f" SELECT location_id, {key}, {sums} FROM src GROUP BY 1, 2 ORDER BY 1, 2"
        f" ON CONFLICT (location_id, {bucket}) DO UPDATE SET {adds}"
    )


def rollup_upsert() -> str:
    """The three counter rollups of a batch in one statement, from one set of rows keyed by
    (location, UTC hour, local day) (domain.aggregate.Increments): the rows are encoded and sent
    once instead of once per table, and Python sums nothing per day.

    The rows travel as one JSON array of sparse objects (only the counters a row touched; an
    absent counter is NULL and sums as 0): 27 ``float8[]`` parameters cost asyncpg ~270 ns per
    element, most of them zeros, and orjson writes the sparse rows in one call."""
    columns = ", ".join(f"{c} float8" for c in COUNTERS)
    utc_day = "(hour_utc AT TIME ZONE 'UTC')::date"
    return (
        "WITH src AS MATERIALIZED (SELECT * FROM"
        f" jsonb_to_recordset($1::jsonb) AS s(location_id text, hour_utc timestamptz, day date, {columns}))"
        f", hourly AS ({_counter_upsert('location_hourly', 'hour_utc', 'hour_utc')})"
        f", utc_daily AS ({_counter_upsert('location_utc_daily', 'day_utc', utc_day)})"
        f" {_counter_upsert('location_daily', 'day', 'day')}"
    )


ROLLUP_UPSERT = rollup_upsert()

PROFILE_UPSERT = """
INSERT INTO location_status AS c
    (location_id, ghl_location_id, name, region, state, timezone, daily_capacity, status, profile_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::int[], $8::text[], $9::timestamptz[])
ON CONFLICT (location_id) DO UPDATE SET
    ghl_location_id = excluded.ghl_location_id, name = excluded.name, region = excluded.region,
    state = excluded.state, timezone = excluded.timezone, daily_capacity = excluded.daily_capacity,
    status = excluded.status, profile_at = excluded.profile_at
WHERE c.profile_at IS NULL OR c.profile_at <= excluded.profile_at
"""

ONBOARDING_UPSERT = """
INSERT INTO location_status AS c (location_id, name, onboarding_state, onboarding_at)
SELECT l, l, s, a FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(l, s, a)
ON CONFLICT (location_id) DO UPDATE SET
    onboarding_state = excluded.onboarding_state, onboarding_at = excluded.onboarding_at
WHERE c.onboarding_at IS NULL OR c.onboarding_at <= excluded.onboarding_at
"""

OFFBOARD = "UPDATE location_status SET status = 'offboarded' WHERE location_id = ANY($1::text[])"

# Same rule as domain.aggregate.combine_routes: the newest decision wins; a sync only adds ids.
# counted_* change only when domain.moves moved the lead's count (then the row carries them).
_NEWER = "(excluded.decided_at IS NOT NULL AND (c.decided_at IS NULL OR excluded.decided_at >= c.decided_at))"
LEAD_UPSERT = f"""
INSERT INTO leads AS c (lead_id, location_id, score, decided_at, location_contact_id,
                        counted_location_id, counted_at, counted_score)
SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::timestamptz[], $5::text[],
                     $6::text[], $7::timestamptz[], $8::float8[])
ON CONFLICT (lead_id) DO UPDATE SET
    location_id = CASE WHEN {_NEWER} THEN excluded.location_id
                       ELSE coalesce(c.location_id, excluded.location_id) END,
    score = CASE WHEN {_NEWER} THEN excluded.score ELSE c.score END,
    decided_at = greatest(c.decided_at, excluded.decided_at),
    location_contact_id = coalesce(excluded.location_contact_id, c.location_contact_id),
    counted_location_id = CASE WHEN excluded.counted_at IS NULL THEN c.counted_location_id
                               ELSE excluded.counted_location_id END,
    counted_score = CASE WHEN excluded.counted_at IS NULL THEN c.counted_score
                         ELSE excluded.counted_score END,
    counted_at = coalesce(excluded.counted_at, c.counted_at)
"""

# FOR UPDATE: the position read here is the one the upsert above replaces in this transaction.
COUNTED = """
SELECT lead_id, counted_location_id, counted_at, counted_score FROM leads
WHERE lead_id = ANY($1::text[]) AND counted_at IS NOT NULL ORDER BY lead_id FOR UPDATE
"""

PROGRESS = """
INSERT INTO projection_progress AS p (replica, events_applied, newest_event_at, updated_at)
VALUES ($1, $2, $3, now())
ON CONFLICT (replica) DO UPDATE SET
    events_applied = p.events_applied + excluded.events_applied,
    newest_event_at = greatest(p.newest_event_at, excluded.newest_event_at), updated_at = now()
"""

GHL_IDS = "SELECT ghl_location_id, location_id FROM location_status WHERE ghl_location_id = ANY($1::text[])"
LEADS_BY_CONTACT = """
SELECT lead_id, location_contact_id, location_id FROM leads
WHERE (lead_id = ANY($1::text[]) OR location_contact_id = ANY($1::text[])) AND location_id IS NOT NULL
"""
TIMEZONES = """
SELECT location_id, timezone FROM location_status
WHERE location_id = ANY($1::text[]) AND timezone IS NOT NULL
"""
# One index scan per arm: as one WHERE with ORs and an IN (subquery) it was a seq scan of
# pending_events comparing every parked row with the whole batch's contact array, O(parked x batch):
# 530 ms per batch at 36k parked events (a backlog read before the location profiles), 12 ms so.
UNBLOCKED = """
SELECT event_id, occurred_at, deltas::text, location_id, ghl_location_id, contact_id FROM pending_events
WHERE event_id IN (
    SELECT event_id FROM pending_events WHERE location_id = ANY($1::text[])
    UNION ALL SELECT event_id FROM pending_events WHERE ghl_location_id = ANY($2::text[])
    UNION ALL SELECT event_id FROM pending_events WHERE contact_id = ANY($3::text[])
    UNION ALL SELECT p.event_id FROM pending_events p JOIN leads l
        ON p.contact_id IN (l.lead_id, l.location_contact_id) WHERE l.location_id = ANY($1::text[])
)
"""
PARK = """
INSERT INTO pending_events (event_id, occurred_at, location_id, ghl_location_id, contact_id, deltas)
SELECT e, o, l, g, c, d::jsonb
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS u(e, o, l, g, c, d)
ON CONFLICT DO NOTHING
"""
UNPARK = "DELETE FROM pending_events WHERE event_id = ANY($1::uuid[])"

LEDGER_RECORD = """
INSERT INTO lead_activities (event_id, lead_id, location_id, at, deltas)
SELECT e, l, loc, a, d::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS u(e, l, loc, a, d)
ON CONFLICT DO NOTHING
"""
# The moved leads' ledger rows that sit elsewhere: re-pointed to the lead's new location, returned
# with where they were (the caller subtracts there and adds at the new location).
LEDGER_MOVE = """
WITH moved AS (
    SELECT * FROM unnest($1::text[], $2::text[]) AS m(lead_id, location_id)
), followed AS (
    SELECT la.event_id, la.location_id AS old_location, moved.location_id AS new_location, la.at, la.deltas
    FROM lead_activities la JOIN moved USING (lead_id)
    WHERE la.location_id <> moved.location_id
    ORDER BY la.event_id FOR UPDATE OF la
), repointed AS (
    UPDATE lead_activities la SET location_id = followed.new_location
    FROM followed WHERE la.event_id = followed.event_id
)
SELECT event_id, old_location, new_location, at, deltas::text FROM followed
"""

"""The router schema (tables name no schema: the engine's search_path is the router's)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from leadflow_common.db import processed_events_table

metadata = MetaData()

processed_events = processed_events_table(metadata)

locations = Table(
    "locations",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("ghl_location_id", String(64)),
    Column("name", String(300), nullable=False),
    Column("status", String(32), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("timezone", String(64), nullable=False),
    Column("daily_capacity", Integer, nullable=False),
    Column("state", String(8)),
    Column("postal_code", String(16)),
    Column("profile", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

assignments = Table(
    "assignments",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("source_location_id", String(64)),
    Column("location_id", String(64)),
    Column("ghl_location_id", String(64)),
    Column("rule", String(32), nullable=False),
    Column("reason", String(200)),
    Column("distance_miles", Float),
    Column("capacity_date", Date),
    Column("score", Float, nullable=False),
    Column("geocode_method", String(32), nullable=False),
    Column("state", String(8)),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("hours_note", String(300)),
    Index("assignments_location_day", "location_id", "capacity_date"),
    Index("assignments_pool", "decided_at", "lead_id", postgresql_where=text("location_id IS NULL")),
)

decision_log = Table(
    "decision_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("lead_id", String(128), nullable=False, index=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("geocode_method", String(32), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("candidates", JSONB, nullable=False),
    Column("timings_ms", JSONB, nullable=False),
    Column("replayed", String(5), nullable=False, server_default="false"),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("hours_note", String(300)),
    Column("actor", String(200)),  # who made a manual change (None: the router itself)
    Column("why", String(500)),  # the reason they gave, or the pool trigger that re-drove the lead
    Column("policy_version", Integer),  # the routing policy it was decided under (None: before 0005)
)

lead_syncs = Table(
    "lead_syncs",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("location_id", String(64), nullable=False),
    Column("ghl_location_id", String(64), nullable=False),
    Column("location_contact_id", String(128), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("synced_at", DateTime(timezone=True), nullable=False),
    Index("lead_syncs_location_contact", "location_contact_id"),
)

sla_timers = Table(
    "sla_timers",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("location_id", String(64), nullable=False),
    Column("capacity_date", Date, nullable=False),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("tried", JSONB, nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # pending | worked | breached
    Column("worked_at", DateTime(timezone=True)),
    Column("touch", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("sla_timers_due", "due_at", postgresql_where=text("status = 'pending'")),
)

sla_outbox = Table(
    "sla_outbox",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("lead_id", String(128), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Index("sla_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
)

# The contact reconciler's progress per intake sub-account, and which replica runs it now.
contact_reconcile = Table(
    "contact_reconcile",
    metadata,
    Column("intake_location_id", String(64), primary_key=True),
    Column("reconciled_until", DateTime(timezone=True)),
    Column("window_complete", Boolean, nullable=False, server_default=true()),
    Column("lease_owner", String(200)),
    Column("lease_until", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Re-drive triggers of the unassigned pool (handlers/pool.py): each is worked through in keyset order
# (cursor) in bounded batches by whichever replica locks it, and closed when no match is left.
pool_triggers = Table(
    "pool_triggers",
    metadata,
    Column("trigger_id", String(300), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("location_ids", JSONB, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("radius_miles", Float),
    Column("state", String(8)),
    Column("cursor_at", DateTime(timezone=True)),
    Column("cursor_lead", String(128)),
    Column("examined", Integer, nullable=False, server_default="0"),
    Column("routed", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("done_at", DateTime(timezone=True)),
    Index("pool_triggers_open", "created_at", postgresql_where=text("done_at IS NULL")),
)

# The routing policy as data (domain/policy.py): one immutable row per version, the current one is
# the highest; every replica polls max(version) and swaps to a newer one (policy_reload.py).
routing_policies = Table(
    "routing_policies",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", JSONB, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", String(200), nullable=False),
    Column("comment", String(500)),
)

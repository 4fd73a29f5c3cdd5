"""The analytics schema (no schema name: the engine's search_path selects it)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from analytics.domain.facts import COUNTERS
from leadflow_common.db import processed_events_table

metadata = MetaData()
processed_events = processed_events_table(metadata)


def _counter_columns() -> list[Column[float]]:
    return [Column(name, Float, nullable=False, server_default="0") for name in COUNTERS]


location_hourly = Table(
    "location_hourly",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("hour_utc", DateTime(timezone=True), primary_key=True),
    *_counter_columns(),
    Index("ix_location_hourly_hour_utc", "hour_utc"),
)
location_daily = Table(
    "location_daily",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    *_counter_columns(),
    Index("ix_location_daily_day", "day"),
)
location_utc_daily = Table(
    "location_utc_daily",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("day_utc", Date, primary_key=True),
    *_counter_columns(),
    Index("ix_location_utc_daily_day_utc", "day_utc"),
)
location_status = Table(
    "location_status",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("ghl_location_id", String(64), index=True),
    Column("name", String(200), nullable=False),
    Column("region", String(100)),
    Column("state", String(32)),
    Column("timezone", String(64)),  # NULL until the profile arrives: the location is not yet known
    Column("daily_capacity", Integer, nullable=False, server_default="0"),
    Column("status", String(32), nullable=False, server_default="unknown"),
    Column("profile_at", DateTime(timezone=True)),
    Column("onboarding_state", String(32)),
    Column("onboarding_at", DateTime(timezone=True)),
)
leads = Table(
    "leads",
    metadata,
    Column("lead_id", String(64), primary_key=True),
    Column("location_id", String(64)),
    Column("score", Float),
    Column("decided_at", DateTime(timezone=True)),
    Column("location_contact_id", String(64)),
    # where the lead's own count (leads + score_sum, or unassigned) was added: see domain/moves.py
    Column("counted_location_id", String(64)),
    Column("counted_at", DateTime(timezone=True)),
    Column("counted_score", Float),
    Index("ix_leads_location_contact_id", "location_contact_id"),
    Index("ix_leads_location_id", "location_id"),
)
lead_activities = Table(
    "lead_activities",
    metadata,
    Column("event_id", UUID(as_uuid=False), primary_key=True),
    Column("lead_id", String(64), nullable=False, index=True),
    Column("location_id", String(64), nullable=False),  # where it is counted now: the lead's location
    Column("at", DateTime(timezone=True), nullable=False),
    Column("deltas", JSONB, nullable=False),
)
pending_events = Table(
    "pending_events",
    metadata,
    Column("event_id", UUID(as_uuid=False), primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("location_id", String(64), index=True),
    Column("ghl_location_id", String(64), index=True),
    Column("contact_id", String(64), index=True),
    Column("deltas", JSONB, nullable=False),
)
projection_progress = Table(
    "projection_progress",
    metadata,
    Column("replica", String(200), primary_key=True),  # one row per consumer process: no hot row
    Column("events_applied", BigInteger, nullable=False, server_default="0"),
    Column("newest_event_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

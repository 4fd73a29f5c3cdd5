"""The onboarding schema's tables (no schema name: the engine's search_path selects it)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from leadflow_common.db import processed_events_table

metadata = MetaData()
processed_events = processed_events_table(metadata)

locations = Table(
    "locations",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False, index=True),
    Column("draft", JSONB, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("adopted", Boolean, nullable=False, server_default="false"),
    Column("ghl_location_id", String(64)),
    Column("lat", Float),
    Column("lon", Float),
    Column("geocode_method", String(16)),
    Column("timezone", String(64)),
    Column("failed_step", String(32)),
    Column("last_error", Text),
    Column("lease_owner", String(64)),
    Column("lease_until", DateTime(timezone=True)),
    Column("lease_generation", BigInteger, nullable=False, server_default="0"),
    Column("saga_marker", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

steps = Table(
    "saga_steps",
    metadata,
    Column(
        "location_id", String(64), ForeignKey("locations.location_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("step", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("ghl_ids", JSONB, nullable=False, server_default="{}"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("published", Boolean, nullable=False, server_default="false"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("lease_generation", BigInteger, nullable=False, server_default="0"),
)

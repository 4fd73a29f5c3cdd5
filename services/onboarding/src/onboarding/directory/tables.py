"""The audit of operator changes and the open pauses (onboarding schema, migration 0003)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from onboarding.adapters.tables import metadata

location_changes = Table(
    "location_changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("change_id", UUID(as_uuid=True), nullable=False),  # one request or one bulk file
    Column("location_id", String(64), ForeignKey("locations.location_id"), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("field", String(32), nullable=False),
    Column("old_value", Text, nullable=False),
    Column("new_value", Text, nullable=False),
    Column("reason", Text),
    Index("ix_location_changes_location", "location_id", "id"),
)

location_pauses = Table(
    "location_pauses",
    metadata,
    Column("location_id", String(64), ForeignKey("locations.location_id"), primary_key=True),
    Column("reason", Text),
    Column("until", Date),
    Column("paused_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("paused_by", Text, nullable=False),
)

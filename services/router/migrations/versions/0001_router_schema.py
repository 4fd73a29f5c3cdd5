"""router schema: locations, assignments, decision_log, lead_syncs, processed_events

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer_group", sa.String(200), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "locations",
        sa.Column("location_id", sa.String(64), primary_key=True),
        sa.Column("ghl_location_id", sa.String(64)),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("daily_capacity", sa.Integer, nullable=False),
        sa.Column("state", sa.String(8)),
        sa.Column("postal_code", sa.String(16)),
        sa.Column("profile", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "assignments",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("source_location_id", sa.String(64)),
        sa.Column("location_id", sa.String(64)),
        sa.Column("ghl_location_id", sa.String(64)),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("distance_miles", sa.Float),
        sa.Column("capacity_date", sa.Date),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("geocode_method", sa.String(32), nullable=False),
        sa.Column("state", sa.String(8)),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("assignments_location_day", "assignments", ["location_id", "capacity_date"])
    op.create_table(
        "decision_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.String(128), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("geocode_method", sa.String(32), nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("candidates", postgresql.JSONB, nullable=False),
        sa.Column("timings_ms", postgresql.JSONB, nullable=False),
        sa.Column("replayed", sa.String(5), nullable=False, server_default="false"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_decision_log_lead_id", "decision_log", ["lead_id"])
    op.create_table(
        "lead_syncs",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("ghl_location_id", sa.String(64), nullable=False),
        sa.Column("location_contact_id", sa.String(128), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lead_syncs")
    op.drop_index("ix_decision_log_lead_id", table_name="decision_log")
    op.drop_table("decision_log")
    op.drop_index("assignments_location_day", table_name="assignments")
    op.drop_table("assignments")
    op.drop_table("locations")
    op.drop_table("processed_events")

"""analytics projections, lead table, pending events, processed_events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

COUNTERS = ("leads", "score_sum", "unassigned", "won", "lost", "appointments", "synced", "sync_failures")


def _counters() -> list[sa.Column]:
    return [sa.Column(name, sa.Float, nullable=False, server_default="0") for name in COUNTERS]


def upgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("consumer_group", sa.String(200), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "location_hourly",
        sa.Column("location_id", sa.String(64), primary_key=True),
        sa.Column("hour_utc", sa.DateTime(timezone=True), primary_key=True),
        *_counters(),
    )
    op.create_index("ix_location_hourly_hour_utc", "location_hourly", ["hour_utc"])
    op.create_table(
        "location_daily",
        sa.Column("location_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        *_counters(),
    )
    op.create_table(
        "location_status",
        sa.Column("location_id", sa.String(64), primary_key=True),
        sa.Column("ghl_location_id", sa.String(64), index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(100)),
        sa.Column("state", sa.String(32)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("daily_capacity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(32), nullable=False, server_default="unknown"),
        sa.Column("profile_at", sa.DateTime(timezone=True)),
        sa.Column("onboarding_state", sa.String(32)),
        sa.Column("onboarding_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(64), primary_key=True),
        sa.Column("location_id", sa.String(64)),
        sa.Column("score", sa.Float),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("location_contact_id", sa.String(64)),
    )
    op.create_index("ix_leads_location_contact_id", "leads", ["location_contact_id"])
    op.create_index("ix_leads_location_id", "leads", ["location_id"])
    op.create_table(
        "pending_events",
        sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location_id", sa.String(64), index=True),
        sa.Column("ghl_location_id", sa.String(64), index=True),
        sa.Column("contact_id", sa.String(64), index=True),
        sa.Column("deltas", postgresql.JSONB, nullable=False),
    )
    op.create_table(
        "projection_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("events_applied", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("newest_event_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.execute("INSERT INTO projection_state (id, events_applied) VALUES (1, 0)")


def downgrade() -> None:
    for table in (
        "projection_state",
        "pending_events",
        "leads",
        "location_status",
        "location_daily",
        "location_hourly",
        "processed_events",
    ):
        op.drop_table(table)

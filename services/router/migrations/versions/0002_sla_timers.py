"""router schema: SLA timers, their outbox, lookup of synced contact ids, hours notes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_timers",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("capacity_date", sa.Date, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tried", postgresql.JSONB, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("worked_at", sa.DateTime(timezone=True)),
        sa.Column("touch", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "sla_timers_due", "sla_timers", ["due_at"], postgresql_where=sa.text("status = 'pending'")
    )
    op.create_table(
        "sla_outbox",
        sa.Column("event_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("lead_id", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "sla_outbox_unpublished",
        "sla_outbox",
        ["created_at"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_index("lead_syncs_location_contact", "lead_syncs", ["location_contact_id"])
    op.add_column("assignments", sa.Column("hours_note", sa.String(300)))
    op.add_column("decision_log", sa.Column("hours_note", sa.String(300)))


def downgrade() -> None:
    op.drop_column("decision_log", "hours_note")
    op.drop_column("assignments", "hours_note")
    op.drop_index("lead_syncs_location_contact", table_name="lead_syncs")
    op.drop_table("sla_outbox")
    op.drop_table("sla_timers")

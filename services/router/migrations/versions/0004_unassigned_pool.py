"""router schema: the unassigned pool (partial index, re-drive triggers), who/why of manual changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("decision_log", sa.Column("actor", sa.String(200)))
    op.add_column("decision_log", sa.Column("why", sa.String(500)))
    op.create_index(
        "assignments_pool",
        "assignments",
        ["decided_at", "lead_id"],
        postgresql_where=sa.text("location_id IS NULL"),
    )
    op.create_table(
        "pool_triggers",
        sa.Column("trigger_id", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reasons", postgresql.JSONB, nullable=False),
        sa.Column("location_ids", postgresql.JSONB, nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("radius_miles", sa.Float),
        sa.Column("state", sa.String(8)),
        sa.Column("cursor_at", sa.DateTime(timezone=True)),
        sa.Column("cursor_lead", sa.String(128)),
        sa.Column("examined", sa.Integer, nullable=False, server_default="0"),
        sa.Column("routed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "pool_triggers_open", "pool_triggers", ["created_at"], postgresql_where=sa.text("done_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("pool_triggers_open", table_name="pool_triggers")
    op.drop_table("pool_triggers")
    op.drop_index("assignments_pool", table_name="assignments")
    op.drop_column("decision_log", "why")
    op.drop_column("decision_log", "actor")

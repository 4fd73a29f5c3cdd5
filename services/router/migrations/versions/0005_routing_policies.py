"""router schema: the routing policy as versioned data, and the version each decision used

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_policies",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", postgresql.JSONB, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("comment", sa.String(500)),
    )
    op.add_column("decision_log", sa.Column("policy_version", sa.Integer))


def downgrade() -> None:
    op.drop_column("decision_log", "policy_version")
    op.drop_table("routing_policies")

"""router schema: the contact reconciler's watermark and lease per intake sub-account

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_reconcile",
        sa.Column("intake_location_id", sa.String(64), primary_key=True),
        sa.Column("reconciled_until", sa.DateTime(timezone=True)),
        # false: the last run stopped inside its window (page cap); the next resumes exactly there
        sa.Column("window_complete", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("contact_reconcile")

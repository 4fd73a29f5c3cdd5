"""location management: the audit of operator changes and the open pauses

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "location_changes",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("change_id", UUID(as_uuid=True), nullable=False),
        sa.Column("location_id", sa.String(64), sa.ForeignKey("locations.location_id"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Text, nullable=False),
        sa.Column("new_value", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_location_changes_location", "location_changes", ["location_id", "id"])
    op.create_table(
        "location_pauses",
        sa.Column("location_id", sa.String(64), sa.ForeignKey("locations.location_id"), primary_key=True),
        sa.Column("reason", sa.Text),
        sa.Column("until", sa.Date),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("paused_by", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("location_pauses")
    op.drop_index("ix_location_changes_location", table_name="location_changes")
    op.drop_table("location_changes")

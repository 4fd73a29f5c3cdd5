"""processed_events: a BRIN index on processed_at for the pruning

Revision ID: 0004
Revises: 0003
"""

from leadflow_common.migrations import create_processed_at_index, drop_processed_at_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_processed_at_index()


def downgrade() -> None:
    drop_processed_at_index()

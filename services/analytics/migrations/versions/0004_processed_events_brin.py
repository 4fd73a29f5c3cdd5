"""processed_events: a BRIN index on processed_at for the pruning

Revision ID: 0004
Revises: 0003

The prune (leadflow_common.db.prune_processed_events_batch) picks rows older than the retention
cutoff. Without an index each run ended with a sequential scan of the whole table (the batch that
finds nothing more to delete), and this table grows with every event consumed. Rows arrive in
processed_at order, which is what a BRIN index summarises: a few pages of index for any size.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "ix_processed_events_processed_at_brin"


def upgrade() -> None:
    op.create_index(INDEX, "processed_events", ["processed_at"], postgresql_using="brin")


def downgrade() -> None:
    op.drop_index(INDEX, table_name="processed_events")

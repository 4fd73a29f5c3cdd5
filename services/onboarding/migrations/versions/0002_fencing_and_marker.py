"""lease generation (fencing token) on locations and step records; saga marker

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "locations", sa.Column("lease_generation", sa.BigInteger, nullable=False, server_default="0")
    )
    op.add_column("locations", sa.Column("saga_marker", sa.String(64)))
    # Which lease generation wrote each step record (0: a command handler, outside any lease).
    op.add_column(
        "saga_steps", sa.Column("lease_generation", sa.BigInteger, nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("saga_steps", "lease_generation")
    op.drop_column("locations", "saga_marker")
    op.drop_column("locations", "lease_generation")

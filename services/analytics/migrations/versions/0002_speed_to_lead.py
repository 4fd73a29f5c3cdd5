"""speed-to-lead and SLA counters on the hourly and daily projections

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BOUNDS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440)
COUNTERS = (
    "touches",
    "touch_seconds",
    "touched_in_sla",
    "sla_breaches",
    "reassignments",
    *(f"stl_le_{b}m" for b in BOUNDS_MIN),
    "stl_gt_1440m",
)
TABLES = ("location_hourly", "location_daily")


def upgrade() -> None:
    for table in TABLES:
        for name in COUNTERS:
            op.add_column(table, sa.Column(name, sa.Float, nullable=False, server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        for name in COUNTERS:
            op.drop_column(table, name)

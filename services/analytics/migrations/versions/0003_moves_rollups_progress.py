"""where each lead's own count sits (re-routes move it), UTC-day rollup, per-replica progress

Revision ID: 0003
Revises: 0002

- ``leads.counted_*``: the (location, decision time, score) at which the lead's own count
  (leads + score_sum, or unassigned) was added, so a newer decision moves it exactly once.
  Existing rows are backfilled from their newest decision (earlier double counts of re-routed
  leads stay until ``analytics rebuild``).
- ``lead_activities``: outcomes attributed through the lead table (intake-account events), with
  where they were counted, so a move takes them along to the lead's new location.
- ``location_utc_daily``: the hourly rows summed per UTC day; a dashboard window reads whole days
  from it and only the partial days at its edges from ``location_hourly``.
- ``ix_location_daily_day``: "assigned today" reads each location's current local day.
- fillfactor below 100 on the tables every batch updates in place, so an update finds room on
  its page and stays HOT (no index entries written for it).
- ``projection_progress``: one row per replica instead of the single contended ``projection_state``
  row every batch updated.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BOUNDS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440)
COUNTERS = (
    "leads",
    "score_sum",
    "unassigned",
    "won",
    "lost",
    "appointments",
    "synced",
    "sync_failures",
    "touches",
    "touch_seconds",
    "touched_in_sla",
    "sla_breaches",
    "reassignments",
    *(f"stl_le_{b}m" for b in BOUNDS_MIN),
    "stl_gt_1440m",
)


FILLFACTORS = {"location_hourly": 70, "location_daily": 70, "location_utc_daily": 70, "leads": 85}


def upgrade() -> None:
    op.add_column("leads", sa.Column("counted_location_id", sa.String(64)))
    op.add_column("leads", sa.Column("counted_at", sa.DateTime(timezone=True)))
    op.add_column("leads", sa.Column("counted_score", sa.Float))
    op.execute(
        "UPDATE leads SET counted_location_id = location_id, counted_at = decided_at, counted_score = score"
        " WHERE decided_at IS NOT NULL"
    )
    op.create_table(
        "lead_activities",
        sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("lead_id", sa.String(64), nullable=False, index=True),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deltas", postgresql.JSONB, nullable=False),
    )
    op.create_table(
        "location_utc_daily",
        sa.Column("location_id", sa.String(64), primary_key=True),
        sa.Column("day_utc", sa.Date, primary_key=True),
        *(sa.Column(name, sa.Float, nullable=False, server_default="0") for name in COUNTERS),
    )
    op.create_index("ix_location_utc_daily_day_utc", "location_utc_daily", ["day_utc"])
    sums = ", ".join(f"sum({c})" for c in COUNTERS)
    op.execute(
        f"INSERT INTO location_utc_daily (location_id, day_utc, {', '.join(COUNTERS)})"
        f" SELECT location_id, (hour_utc AT TIME ZONE 'UTC')::date, {sums} FROM location_hourly"
        " GROUP BY 1, 2"
    )
    op.create_index("ix_location_daily_day", "location_daily", ["day"])
    for table, fill in FILLFACTORS.items():
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {fill})")
    op.create_table(
        "projection_progress",
        sa.Column("replica", sa.String(200), primary_key=True),
        sa.Column("events_applied", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("newest_event_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        "INSERT INTO projection_progress (replica, events_applied, newest_event_at, updated_at)"
        " SELECT 'before-0003', events_applied, newest_event_at, updated_at FROM projection_state"
    )
    op.drop_table("projection_state")


def downgrade() -> None:
    for table in ("location_hourly", "location_daily", "leads"):
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    op.create_table(
        "projection_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("events_applied", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("newest_event_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        "INSERT INTO projection_state (id, events_applied, newest_event_at, updated_at)"
        " SELECT 1, coalesce(sum(events_applied), 0), max(newest_event_at), max(updated_at)"
        " FROM projection_progress"
    )
    op.drop_table("projection_progress")
    op.drop_table("location_utc_daily")
    op.drop_index("ix_location_daily_day", "location_daily")
    op.drop_table("lead_activities")
    for column in ("counted_score", "counted_at", "counted_location_id"):
        op.drop_column("leads", column)

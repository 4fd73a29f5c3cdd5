"""Alembic environment of the analytics schema."""

from analytics.adapters.tables import metadata
from leadflow_common.migrations import run_env

run_env(metadata)

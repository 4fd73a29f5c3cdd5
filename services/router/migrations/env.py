"""Alembic environment of the router schema."""

from leadflow_common.migrations import run_env
from router.adapters.tables import metadata

run_env(metadata)

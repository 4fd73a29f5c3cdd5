"""Alembic environment of the onboarding schema."""

from leadflow_common.migrations import run_env
from onboarding.adapters.tables import metadata

run_env(metadata)

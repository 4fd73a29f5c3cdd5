"""Alembic environment of the onboarding schema."""

import onboarding.directory.tables  # noqa: F401  (registers the location-management tables)
from leadflow_common.migrations import run_env
from onboarding.adapters.tables import metadata

run_env(metadata)

"""Every service's Alembic history walks up to head, down to base and up again, in its own schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from leadflow_common.migrations import alembic_config, downgrade, upgrade
from tests.support.infra import REPO, Infra, drop_schema

SERVICES_WITH_SCHEMA = ("router", "onboarding", "analytics")


def migration_dirs() -> list[str]:
    return [s for s in SERVICES_WITH_SCHEMA if (REPO / "services" / s / "migrations" / "env.py").exists()]


@pytest.mark.parametrize("service", migration_dirs())
def test_walk_every_revision_up_and_down(infra: Infra, service: str) -> None:
    migrations: Path = REPO / "services" / service / "migrations"
    url = infra.service_db_url(service)
    schema = f"{service}_walk_{uuid.uuid4().hex[:6]}"
    revisions = list(ScriptDirectory.from_config(alembic_config(migrations, url, schema)).walk_revisions())
    assert revisions, f"{service} has no migrations"
    try:
        for revision in reversed(revisions):  # base → head, one step at a time
            upgrade(migrations, url, schema, revision.revision)
        for revision in revisions:  # head → base, one step at a time
            downgrade(migrations, url, schema, revision.down_revision or "base")  # type: ignore[arg-type]
        upgrade(migrations, url, schema, "head")
    finally:
        drop_schema(infra, schema)

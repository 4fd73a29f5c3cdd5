"""Every service's Alembic history walks up to head, down to base and up again, in its own schema."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
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
        # what the processed_events pruning filters on
        assert asyncio.run(index_methods(infra, schema, "processed_events")) == {
            "processed_events_pkey": "btree",
            "ix_processed_events_processed_at_brin": "brin",
        }
    finally:
        drop_schema(infra, schema)


async def index_methods(infra: Infra, schema: str, table: str) -> dict[str, str]:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        rows = await conn.fetch(
            "SELECT i.relname AS name, am.amname AS method FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = i.relam"
            " WHERE n.nspname = $1 AND t.relname = $2",
            schema,
            table,
        )
    finally:
        await conn.close()
    return {row["name"]: row["method"] for row in rows}

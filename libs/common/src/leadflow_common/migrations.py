"""Alembic helpers: each service keeps its migrations and version table in its own schema."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData

from leadflow_common.db import PROCESSED_AT_INDEX


def alembic_config(migrations_dir: Path, database_url: str, schema: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["schema"] = schema
    return cfg


def upgrade(migrations_dir: Path, database_url: str, schema: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, database_url, schema), revision)


def downgrade(migrations_dir: Path, database_url: str, schema: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(migrations_dir, database_url, schema), revision)


def create_processed_at_index() -> None:
    """In a migration: the BRIN index on processed_events.processed_at. The prune picks rows older
    than the retention cutoff; without an index each run ended with a sequential scan of the whole
    table (the batch that finds nothing more to delete). Rows arrive in processed_at order, which
    is what BRIN summarises: a few pages of index for any size."""
    from alembic import op

    op.create_index(PROCESSED_AT_INDEX, "processed_events", ["processed_at"], postgresql_using="brin")


def drop_processed_at_index() -> None:
    from alembic import op

    op.drop_index(PROCESSED_AT_INDEX, table_name="processed_events")


def next_revision_id(migrations_dir: Path) -> str:
    """Revisions are numbered 0001, 0002, …: the next free number (ids sort like the history)."""
    numbers = [
        int(match.group(1))
        for path in (migrations_dir / "versions").glob("*.py")
        if (match := re.match(r"(\d{4})_", path.name))
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def revision(
    migrations_dir: Path, database_url: str, schema: str, message: str, *, autogenerate: bool = False
) -> Path:
    """Write the next migration file (``<service> revision -m ...``). Without ``autogenerate`` it
    is an empty template and needs no database; with it, alembic compares the service's tables
    with the schema at ``database_url`` (upgrade it to head first) and writes the difference."""
    cfg = alembic_config(migrations_dir, database_url, schema)
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    script = command.revision(
        cfg, message=message, autogenerate=autogenerate, rev_id=next_revision_id(migrations_dir)
    )
    scripts = script if isinstance(script, list) else [script]
    if not scripts or scripts[0] is None:
        raise RuntimeError("alembic wrote no revision")
    return Path(scripts[0].path)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py``: online, async, schema-scoped."""
    import asyncio

    from alembic import context
    from sqlalchemy import pool, text
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import create_async_engine

    config = context.config
    schema = config.attributes.get("schema") or config.get_main_option("schema")
    url = config.get_main_option("sqlalchemy.url")
    if not schema or not url:
        raise RuntimeError("alembic config needs sqlalchemy.url and the schema attribute")

    def do_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        # Migrations name no schema: they run inside the service's one.
        connection.execute(text(f'SET search_path TO "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())

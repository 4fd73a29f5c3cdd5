"""Async SQLAlchemy 2 helpers and the processed_events idempotency table.

Exactly-once in effect: a consumer inserts ``(consumer_group, event_id)`` into its own
schema's ``processed_events`` in the same transaction as the effect; a redelivered event hits
the primary key and its effect is skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Index, MetaData, String, Table, func, text
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from leadflow_common.telemetry import instrument_engine

IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000


def make_engine(
    database_url: str,
    schema: str,
    pool_size: int = 5,
    idle_in_transaction_timeout_ms: int = IDLE_IN_TRANSACTION_TIMEOUT_MS,
    pre_ping: bool = True,
) -> AsyncEngine:
    """An asyncpg engine whose connections work inside ``schema`` (search_path), so a service's
    tables carry no hard-coded schema and tests can run against a throwaway one.

    A process paused or cut off inside a transaction (a frozen VM, SIGSTOP, a network partition)
    would keep its row locks for ever: ``FOR UPDATE SKIP LOCKED`` claims by other replicas then skip
    those rows (a saga nobody can take over). Postgres ends such a session after
    ``idle_in_transaction_timeout_ms``; no transaction here waits on anything but Postgres.

    ``pre_ping`` tests a connection at every checkout: BEGIN, ``;``, ROLLBACK, three round trips,
    so a request after a Postgres restart does not fail on a dead connection. A hot path that
    retries its work (a consumer: a dropped connection is a transient error, is_transient) turns it
    off; see ``autocommit_sessionmaker``."""
    server_settings = {
        "search_path": schema,
        "idle_in_transaction_session_timeout": str(idle_in_transaction_timeout_ms),
    }
    return instrument_engine(
        create_async_engine(
            database_url,
            connect_args={"server_settings": server_settings},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=pre_ping,
            pool_recycle=1800,
        )
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def autocommit_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose every statement commits on its own: no BEGIN and COMMIT round trips. Only
    for code whose each write is one statement (atomic by itself), e.g. one data-modifying CTE."""
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any error."""
    async with sessions() as session, session.begin():
        yield session


# what the pruning filters on: a BRIN index, since rows arrive in processed_at order
PROCESSED_AT_INDEX = "ix_processed_events_processed_at_brin"


def processed_events_table(metadata: MetaData) -> Table:
    """Declare ``processed_events`` in ``metadata`` (whose schema is the service's)."""
    return Table(
        "processed_events",
        metadata,
        Column("consumer_group", String(200), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # each service's migration creates it (migrations.create_processed_at_index)
        Index(PROCESSED_AT_INDEX, "processed_at", postgresql_using="brin"),
    )


async def claim_event(session: AsyncSession, table: Table, group: str, event_id: uuid.UUID) -> bool:
    """Insert the dedup row; False when this group already applied the event."""
    stmt = (
        insert(table)
        .values(consumer_group=group, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return (await session.execute(stmt)).first() is not None


async def claim_events(
    session: AsyncSession, table: Table, group: str, event_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Batch variant: returns the ids that were new (their effects must be applied)."""
    if not event_ids:
        return set()
    stmt = (
        insert(table)
        .values([{"consumer_group": group, "event_id": e} for e in dict.fromkeys(event_ids)])
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return {row[0] for row in (await session.execute(stmt)).all()}


PRUNE_BATCH_ROWS = 5_000


async def prune_processed_events_batch(
    session: AsyncSession, table: Table, cutoff: datetime, limit: int = PRUNE_BATCH_ROWS
) -> int:
    """Delete at most ``limit`` dedup rows processed before ``cutoff``; returns how many.

    One bounded statement (rows chosen by ``ctid``, a TID scan) so a prune holds its row locks for
    one small batch only; SKIP LOCKED lets replicas pruning at the same time take different rows."""
    stmt = text(
        f"DELETE FROM {table.name} WHERE ctid = ANY(ARRAY("  # a table of the code, no input
        f"SELECT ctid FROM {table.name} WHERE processed_at < :cutoff LIMIT :limit FOR UPDATE SKIP LOCKED))"
    )
    result = await session.execute(stmt, {"cutoff": cutoff, "limit": limit})
    return int(getattr(result, "rowcount", 0) or 0)


async def prune_processed_events(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    older_than: timedelta,
    batch_size: int = PRUNE_BATCH_ROWS,
    max_batches: int = 1_000,
) -> tuple[int, int]:
    """Delete the dedup rows older than ``older_than`` in batches, each in its own transaction;
    stops after ``max_batches`` (the next run goes on). Returns (rows deleted, batches run).

    ``older_than`` must cover the longest redelivery window (see leadflow_common.pruning)."""
    cutoff = datetime.now(UTC) - older_than
    deleted = batches = 0
    while batches < max_batches:
        async with transaction(sessions) as session:
            n = await prune_processed_events_batch(session, table, cutoff, batch_size)
        batches += 1
        deleted += n
        if n < batch_size:
            break
    return deleted, batches


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))

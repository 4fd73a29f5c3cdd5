"""Applies one batch of translated events in one Postgres transaction, with its processed_events rows.

The apply path talks to asyncpg directly (through the pool's SQLAlchemy connection): fixed SQL
texts with array parameters, prepared once per connection, about a dozen round trips per batch
whatever its size."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from asyncpg import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.adapters import statements as sql
from analytics.adapters.directory import (
    load_directory,
    load_unblocked,
    move_lead_activities,
    park,
    record_lead_activities,
    unpark,
)
from analytics.adapters.upserts import claim, load_counted, record_progress, upsert_counters, upsert_directory
from analytics.decode import EventEnvelope
from analytics.domain.aggregate import aggregate
from analytics.domain.attribution import lead_attributed, split_resolved
from analytics.domain.facts import Facts
from analytics.domain.moves import follow_lead, settle_lead_counts
from leadflow_common.events import Envelope

# Live batches hold this lock shared; the rebuild's swap takes it exclusively so no batch
# writes into the schema that is being replaced.
SWAP_LOCK_KEY = 0x616E616C79  # "analy"

# The consumer's lean envelope (analytics/decode.py) or the pydantic model (rebuild, tests): the
# store reads event_id and occurred_at of either.
TranslatedEvent = tuple[EventEnvelope | Envelope | None, Facts]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    applied: int
    duplicates: int
    skipped: int
    parked: int
    unparked: int


class ProjectionStore:
    """``replica`` names this process's progress row (one row per replica: no row all share)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        group: str,
        swap_lock: bool = True,
        replica: str | None = None,
    ) -> None:
        self._sessions = sessions
        self._group = group
        self._swap_lock = swap_lock
        self._replica = replica or f"{socket.gethostname()}:{os.getpid()}"

    async def apply(self, batch: Sequence[TranslatedEvent]) -> BatchOutcome:
        async with self._sessions() as session:
            raw = await (await session.connection()).get_raw_connection()
            conn: Connection = raw.driver_connection
            async with conn.transaction():
                if self._swap_lock:
                    await conn.execute(sql.BEGIN_BATCH_LOCKED, SWAP_LOCK_KEY)
                else:
                    await conn.execute(sql.BEGIN_BATCH)
                return await self._apply(conn, batch)

    async def _apply(self, conn: Connection, batch: Sequence[TranslatedEvent]) -> BatchOutcome:
        ids = [env.event_id for env, _ in batch if env is not None]
        new = await claim(conn, self._group, ids)
        facts, applied = Facts(), 0
        newest = None
        for envelope, event_facts in batch:
            if envelope is not None:
                if envelope.event_id not in new:
                    continue
                new.discard(envelope.event_id)  # a repeat inside the batch applies once
                applied += 1
                newest = envelope.occurred_at if newest is None else max(newest, envelope.occurred_at)
            facts.extend(event_facts)
        counted = await load_counted(conn, [a.counts_lead for a in facts.activities if a.counts_lead])
        activities, moved = settle_lead_counts(facts.activities, counted)
        await upsert_directory(conn, facts, moved)
        followed = follow_lead(await move_lead_activities(conn, moved))
        unblocked = await load_unblocked(conn, facts)
        candidates = activities + followed + unblocked
        directory = await load_directory(conn, candidates)
        resolved, parked = split_resolved(candidates, directory)
        await record_lead_activities(conn, lead_attributed(resolved, directory))
        already_parked = {a.event_id for a in unblocked}
        await park(conn, [a for a in parked if a.event_id not in already_parked])
        unparked = [a.event_id for a, _ in resolved if a.event_id in already_parked]
        await unpark(conn, unparked)
        await upsert_counters(conn, aggregate(resolved, directory))
        await record_progress(conn, self._replica, applied, newest)
        return BatchOutcome(
            applied=applied,
            duplicates=len(ids) - applied,
            skipped=facts.skipped,
            parked=len(parked) - len(already_parked & {a.event_id for a in parked}),
            unparked=len(unparked),
        )

"""Applies one batch of translated events in one Postgres transaction, with its processed_events rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.adapters.directory import load_directory, load_unblocked, park, unpark
from analytics.adapters.tables import processed_events
from analytics.adapters.upserts import record_progress, upsert_counters, upsert_directory
from analytics.domain.aggregate import aggregate
from analytics.domain.attribution import split_resolved
from analytics.domain.facts import Facts
from leadflow_common.db import claim_events, transaction
from leadflow_common.events import Envelope

# Live batches hold this lock shared; the rebuild's swap takes it exclusively so no batch
# writes into the schema that is being replaced.
SWAP_LOCK_KEY = 0x616E616C79  # "analy"

TranslatedEvent = tuple[Envelope | None, Facts]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    applied: int
    duplicates: int
    skipped: int
    parked: int
    unparked: int


class ProjectionStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], group: str, swap_lock: bool = True
    ) -> None:
        self._sessions = sessions
        self._group = group
        self._swap_lock = swap_lock

    async def apply(self, batch: list[TranslatedEvent]) -> BatchOutcome:
        async with transaction(self._sessions) as session:
            if self._swap_lock:
                await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": SWAP_LOCK_KEY})
            return await self._apply(session, batch)

    async def _apply(self, session: AsyncSession, batch: list[TranslatedEvent]) -> BatchOutcome:
        ids = [env.event_id for env, _ in batch if env is not None]
        new = await claim_events(session, processed_events, self._group, ids)
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
        await upsert_directory(session, facts)
        unblocked = await load_unblocked(session, facts)
        candidates = facts.activities + unblocked
        directory = await load_directory(session, candidates)
        resolved, parked = split_resolved(candidates, directory)
        already_parked = {a.event_id for a in unblocked}
        await park(session, [a for a in parked if a.event_id not in already_parked])
        await unpark(session, [a.event_id for a, _ in resolved if a.event_id in already_parked])
        await upsert_counters(session, aggregate(resolved, directory))
        await record_progress(session, applied, newest)
        return BatchOutcome(
            applied=applied,
            duplicates=len(ids) - applied,
            skipped=facts.skipped,
            parked=len(parked) - len(already_parked & {a.event_id for a in parked}),
            unparked=len([a for a, _ in resolved if a.event_id in already_parked]),
        )

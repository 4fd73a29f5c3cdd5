"""The batch handler: translate the records and apply them in one transaction.

Nothing is announced after a batch: the response cache expires by TTL (bounded staleness), so a
steady stream of batches does not empty it (see adapters/cache.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from analytics.adapters.projections import BatchOutcome, ProjectionStore, TranslatedEvent
from analytics.decode import decode_event
from analytics.metrics import BATCH_SECONDS, BATCH_SIZE, EVENTS_APPLIED, FRESHNESS_SECONDS
from analytics.translate import translate
from leadflow_common.events import Envelope
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.logging import get_logger

log = get_logger(__name__)
Translated = TranslatedEvent


class BatchProjector:
    """Turns a Kafka batch into projection rows."""

    def __init__(self, store: ProjectionStore) -> None:
        self._store = store

    @staticmethod
    def decode(record: ConsumedRecord) -> Translated:
        """Decode and translate one record (pure): the consumer runs it as soon as a poll returns,
        while the previous batch is still in Postgres. A malformed record raises here, so it is
        dead-lettered alone and never reaches a transaction."""
        envelope = decode_event(record)
        return envelope, translate(record.topic, record.key_str, envelope)

    async def __call__(self, batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        """A batch decoded by the consumer engine's default (translation done here)."""
        await self.apply([(e, translate(r.topic, r.key_str, e)) for r, e in batch])

    async def apply_decoded(self, batch: list[tuple[ConsumedRecord, Translated]]) -> None:
        await self.apply([translated for _, translated in batch])

    async def apply(self, translated: list[Translated]) -> None:
        started = time.perf_counter()
        outcome = await self._store.apply(translated)
        elapsed = time.perf_counter() - started
        BATCH_SIZE.observe(len(translated))
        BATCH_SECONDS.observe(elapsed)
        for name in ("applied", "duplicates", "skipped", "parked", "unparked"):
            EVENTS_APPLIED.labels(name).inc(getattr(outcome, name))
        newest = max((e.occurred_at for e, _ in translated if e is not None), default=None)
        if newest is not None and outcome.applied:
            FRESHNESS_SECONDS.set(max(0.0, (datetime.now(UTC) - newest).total_seconds()))
        log.debug("batch_applied", size=len(translated), seconds=round(elapsed, 4), **_fields(outcome))


def _fields(outcome: BatchOutcome) -> dict[str, int]:
    return {
        "applied": outcome.applied,
        "duplicates": outcome.duplicates,
        "skipped": outcome.skipped,
        "parked": outcome.parked,
        "unparked": outcome.unparked,
    }

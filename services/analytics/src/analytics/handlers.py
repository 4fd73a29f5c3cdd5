"""The batch handler: translate the records and apply them in one transaction.

Nothing is announced after a batch: the response cache expires by TTL (bounded staleness), so a
steady stream of batches does not empty it (see adapters/cache.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from analytics.adapters.projections import BatchOutcome, ProjectionStore
from analytics.metrics import BATCH_SECONDS, BATCH_SIZE, EVENTS_APPLIED, FRESHNESS_SECONDS
from analytics.translate import translate
from leadflow_common.events import Envelope
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.logging import get_logger

log = get_logger(__name__)


class BatchProjector:
    """Turns a Kafka batch into projection rows."""

    def __init__(self, store: ProjectionStore) -> None:
        self._store = store

    async def __call__(self, batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        started = time.perf_counter()
        # Translation validates payloads first: a malformed record fails the batch before any write,
        # and the consumer then splits it so only that record is dead-lettered.
        translated = [
            (envelope, translate(record.topic, record.key_str, envelope)) for record, envelope in batch
        ]
        outcome = await self._store.apply(translated)
        elapsed = time.perf_counter() - started
        BATCH_SIZE.observe(len(batch))
        BATCH_SECONDS.observe(elapsed)
        for name in ("applied", "duplicates", "skipped", "parked", "unparked"):
            EVENTS_APPLIED.labels(name).inc(getattr(outcome, name))
        newest = max((e.occurred_at for e, _ in translated if e is not None), default=None)
        if newest is not None and outcome.applied:
            FRESHNESS_SECONDS.set(max(0.0, (datetime.now(UTC) - newest).total_seconds()))
        log.debug("batch_applied", size=len(batch), seconds=round(elapsed, 4), **_fields(outcome))


def _fields(outcome: BatchOutcome) -> dict[str, int]:
    return {
        "applied": outcome.applied,
        "duplicates": outcome.duplicates,
        "skipped": outcome.skipped,
        "parked": outcome.parked,
        "unparked": outcome.unparked,
    }

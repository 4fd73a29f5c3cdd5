"""Reliable consumption: commit only after the effect is durable, retry transient failures with
bounded backoff, dead-letter poison messages, never crash-loop on one message.

Outcome per message (see docs/decisions/0003-consumer-error-policy.md):
- handler returns → commit;
- ``UnknownEventType`` → counted as skipped, commit;
- permanent error (bad contract) → DLT at once, then commit;
- transient error (a dependency is down) → retried in-process with exponential backoff and
  jitter; still failing → the partition is rewound (nack) so the message is read again later;
- any other error (a bug) → retried like a transient one, then dead-lettered.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from leadflow_common.events.envelope import Envelope, UnknownEventType, decode_envelope
from leadflow_common.kafka.committer import OffsetCommitter
from leadflow_common.kafka.dead_letter import ConsumedRecord, publish_dead_letter
from leadflow_common.kafka.errors import PermanentError, is_permanent, is_transient
from leadflow_common.logging import get_logger
from leadflow_common.metrics import HANDLER_SECONDS, MESSAGES_HANDLED
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec, namespaced

log = get_logger(__name__)

RecordHandler = Callable[[ConsumedRecord, Envelope | None], Awaitable[None]]
BatchHandler = Callable[[list[tuple[ConsumedRecord, Envelope | None]]], Awaitable[None]]


def consumed_record(raw: Any) -> ConsumedRecord:
    """Build a ConsumedRecord from an aiokafka ConsumerRecord."""
    headers = {
        k: (v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else str(v))
        for k, v in (raw.headers or ())
    }
    return ConsumedRecord(raw.topic, raw.partition, raw.offset, raw.key, raw.value, headers)


def decode_record(record: ConsumedRecord) -> Envelope | None:
    """None for a tombstone; raises PermanentError for bytes that are not an envelope."""
    if record.value is None:
        return None
    try:
        return decode_envelope(record.value)
    except Exception as exc:
        raise PermanentError(f"not a valid envelope: {exc}") from exc


def backoff_delay(attempt: int, base_s: float, cap_s: float = 5.0) -> float:
    """Exponential backoff with full jitter."""
    return float(random.uniform(0, min(cap_s, base_s * (2**attempt))))


class ReliableRunner:
    """Applies the retry / dead-letter policy around one handler call."""

    def __init__(self, broker: KafkaBroker, group: str, settings: KafkaSettings) -> None:
        self._broker = broker
        self._group = group
        self._settings = settings

    async def run(
        self, topic: str, records: list[ConsumedRecord], call: Callable[[], Awaitable[None]]
    ) -> bool:
        """True when the records may be committed, False when they must be read again."""
        attempts = self._settings.transient_retries
        started = time.perf_counter()
        try:
            for attempt in range(attempts + 1):
                try:
                    await call()
                    MESSAGES_HANDLED.labels(topic, self._group, "ok").inc(len(records))
                    return True
                except UnknownEventType as exc:
                    log.info("unknown_event_type_skipped", topic=topic, event_type=str(exc))
                    MESSAGES_HANDLED.labels(topic, self._group, "skipped").inc(len(records))
                    return True
                except Exception as exc:
                    if is_permanent(exc) or attempt == attempts:
                        if is_transient(exc):
                            log.warning("transient_error_nack", topic=topic, error=repr(exc))
                            MESSAGES_HANDLED.labels(topic, self._group, "nacked").inc(len(records))
                            await asyncio.sleep(backoff_delay(attempts, self._settings.retry_backoff_s))
                            return False
                        await self._dead_letter(topic, records, exc)
                        return True
                    MESSAGES_HANDLED.labels(topic, self._group, "retried").inc(len(records))
                    log.warning("handler_retry", topic=topic, attempt=attempt + 1, error=repr(exc))
                    await asyncio.sleep(backoff_delay(attempt, self._settings.retry_backoff_s))
            return False  # pragma: no cover - the loop always returns
        finally:
            HANDLER_SECONDS.labels(topic, self._group).observe(time.perf_counter() - started)

    async def _dead_letter(self, topic: str, records: list[ConsumedRecord], exc: BaseException) -> None:
        log.error("dead_lettered", topic=topic, error=repr(exc), offsets=[r.offset for r in records])
        for record in records:
            await publish_dead_letter(self._broker, record, exc)
        MESSAGES_HANDLED.labels(topic, self._group, "dead_lettered").inc(len(records))


def subscribe_records(
    broker: KafkaBroker,
    topic: TopicSpec,
    group_id: str,
    handler: RecordHandler,
    settings: KafkaSettings,
    **subscriber_options: Any,
) -> None:
    """Register ``handler`` for every record of ``topic`` with the reliable policy."""
    runner = ReliableRunner(broker, group_id, settings)
    committer = OffsetCommitter(settings.commit_every, settings.commit_interval_ms)

    async def on_message(message: KafkaMessage) -> None:
        record = consumed_record(message.raw_message)

        async def call() -> None:
            await handler(record, decode_record(record))

        if await runner.run(record.topic, [record], call):
            await committer.processed(message.consumer, record.topic, record.partition, record.offset)
        else:
            await committer.flush()  # what succeeded before this record stays done
            await message.nack()

    broker.subscriber(
        topic.name,
        group_id=namespaced(group_id),
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        **subscriber_options,
    )(on_message)


def subscribe_batches(
    broker: KafkaBroker,
    topics: Iterable[TopicSpec],
    group_id: str,
    handler: BatchHandler,
    settings: KafkaSettings,
    max_records: int = 500,
    **subscriber_options: Any,
) -> None:
    """Batch variant: the whole batch is applied (by the handler, in one transaction) or none.

    A batch that fails permanently is split record by record so only the poison ones go to
    the DLT and the rest are still applied."""
    runner = ReliableRunner(broker, group_id, settings)

    async def apply_each(records: list[ConsumedRecord]) -> bool:
        for record in records:

            async def call_one(r: ConsumedRecord = record) -> None:
                await handler([(r, decode_record(r))])

            if not await runner.run(record.topic, [record], call_one):
                return False
        return True

    async def on_batch(message: KafkaMessage) -> None:
        raws = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        records = [consumed_record(r) for r in raws]
        decoded: list[tuple[ConsumedRecord, Envelope | None]] = []
        poison = False
        for record in records:
            try:
                decoded.append((record, decode_record(record)))
            except PermanentError:
                poison = True
                break
        ok: bool
        if poison:
            ok = await apply_each(records)
        else:

            async def call() -> None:
                await handler(decoded)

            ok = await _run_batch(runner, records, call, apply_each)
        if ok:
            await message.ack()
        else:
            await message.nack()

    broker.subscriber(
        *(t.name for t in topics),
        group_id=namespaced(group_id),
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        batch=True,
        max_records=max_records,
        **subscriber_options,
    )(on_batch)


async def _run_batch(
    runner: ReliableRunner,
    records: list[ConsumedRecord],
    call: Callable[[], Awaitable[None]],
    apply_each: Callable[[list[ConsumedRecord]], Awaitable[bool]],
) -> bool:
    try:
        await call()
        MESSAGES_HANDLED.labels(records[0].topic, runner._group, "ok").inc(len(records))
        return True
    except Exception as exc:
        if is_transient(exc):
            # Let the runner's bounded retry decide (it nacks if the dependency stays down).
            return await runner.run(records[0].topic, records, call)
        log.warning("batch_failed_splitting", error=repr(exc), size=len(records))
        return await apply_each(records)

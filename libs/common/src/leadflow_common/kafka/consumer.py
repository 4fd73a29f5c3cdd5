"""Reliable consumption: commit only after the effect is durable, retry transient failures with
bounded backoff, dead-letter poison messages, never crash-loop on one message.

One policy for every consumer group (see docs/decisions/0003-consumer-error-policy.md), applied
to the batch a poll returned:
- batch handlers get the whole batch at once (one transaction, one Redis pipeline...); a batch
  that fails for a reason other than a transient one is split record by record, so only the
  poison records go to the DLT and their neighbours are still applied;
- record handlers get one record at a time, in partition order;
- ``UnknownEventType`` → counted as skipped, done;
- permanent error (bad contract) → DLT at once, then done;
- transient error (a dependency is down) → retried in-process with exponential backoff and
  jitter; still failing → the partition is rewound and paused for a backoff (polling goes on),
  then the record is read again;
- ``RetryLater`` (retrying now is pointless, e.g. revoked credentials) → no in-process retry:
  rewound and paused at once, never dead-lettered;
- any other error (a bug) → retried like a transient one, then dead-lettered;
- a DLT write that fails → the record is not done: its partition is rewound and paused;
- the whole batch, retries included, fits in a budget (a share of ``max_poll_interval_ms``): each
  attempt is cut off when the budget ends (a transient failure), so the member is never dropped
  from its group for not polling (docs/decisions/0010-bounded-handling-and-partition-pause.md).
"""

from __future__ import annotations

import asyncio
import enum
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from tenacity.stop import stop_base

from leadflow_common.events.envelope import Envelope, UnknownEventType, decode_envelope
from leadflow_common.kafka.batch_consumer import BatchConsumer, BatchResult
from leadflow_common.kafka.batch_consumer import consumed as consumed_record
from leadflow_common.kafka.budget import Budget
from leadflow_common.kafka.dead_letter import ConsumedRecord, publish_dead_letter
from leadflow_common.kafka.errors import PermanentError, RetryLater, is_permanent, is_transient
from leadflow_common.logging import get_logger
from leadflow_common.metrics import HANDLER_SECONDS, MESSAGES_HANDLED
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec

log = get_logger(__name__)

RecordHandler = Callable[[ConsumedRecord, Envelope | None], Awaitable[None]]
BatchHandler = Callable[[list[tuple[ConsumedRecord, Envelope | None]]], Awaitable[None]]


def decode_record(record: ConsumedRecord) -> Envelope | None:
    """None for a tombstone; raises PermanentError for bytes that are not an envelope."""
    if record.value is None:
        return None
    try:
        return decode_envelope(record.value)
    except Exception as exc:
        raise PermanentError(f"not a valid envelope: {exc}") from exc


BACKOFF_CAP_S = 5.0


def backoff_delay(attempt: int, base_s: float, cap_s: float = BACKOFF_CAP_S) -> float:
    """Exponential backoff with full jitter."""
    return float(random.uniform(0, min(cap_s, base_s * (2**attempt))))


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A record whose decoding failed permanently (re-raised when the record is applied alone)."""

    error: BaseException


def decoder(decode: Callable[[ConsumedRecord], T]) -> Callable[[list[ConsumedRecord]], list[T | Undecodable]]:
    """Decode a whole poll ahead of applying it: ``decode`` per record; a permanent failure is
    kept as ``Undecodable`` (its batch is split and the record dead-lettered with that error)."""

    def decode_all(records: list[ConsumedRecord]) -> list[T | Undecodable]:
        out: list[T | Undecodable] = []
        for record in records:
            try:
                out.append(decode(record))
            except Exception as exc:
                if not is_permanent(exc):
                    raise
                out.append(Undecodable(exc))
        return out

    return decode_all


def _decoded(value: T | Undecodable) -> T:
    if isinstance(value, Undecodable):
        raise value.error
    return value


class Outcome(enum.Enum):
    DONE = "done"  # applied, skipped or dead-lettered: the offset may be committed
    RETRY_LATER = "retry_later"  # a dependency stays down: rewind, pause and read it again
    FAILED = "failed"  # a batch failed for another reason: split it


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one handler call (with its retries) came to."""

    outcome: Outcome
    after_s: float | None = None  # RETRY_LATER: the pause the handler asked for (None: backoff)
    waiting: frozenset[tuple[str, int, int]] | None = None  # RETRY_LATER: only these records wait
    over_budget: bool = False  # the batch's time ran out (poll fewer records next time)


DONE = Verdict(Outcome.DONE)
FAILED = Verdict(Outcome.FAILED)


def _count(records: list[ConsumedRecord], group: str, outcome: str) -> None:
    by_topic: dict[str, int] = {}
    for record in records:
        by_topic[record.topic] = by_topic.get(record.topic, 0) + 1
    for topic, n in by_topic.items():
        MESSAGES_HANDLED.labels(topic, group, outcome).inc(n)


class stop_past_budget(stop_base):  # noqa: N801  (named like tenacity's stops)
    """Stop retrying when the wait before the next attempt would leave no time for it."""

    def __init__(self, budget: Budget) -> None:
        self._budget = budget

    def __call__(self, retry_state: RetryCallState) -> bool:
        return not self._budget.fits(retry_state.upcoming_sleep)


class ReliableRunner:
    """Applies the retry / dead-letter policy around one handler call, within the batch's budget:
    each attempt is cut off (``asyncio.timeout``) when the budget ends, which counts as a transient
    failure, and no retry starts that its backoff would push past the budget."""

    def __init__(self, broker: KafkaBroker, group: str, settings: KafkaSettings) -> None:
        self._broker = broker
        self._group = group
        self._settings = settings

    async def run(
        self,
        records: list[ConsumedRecord],
        call: Callable[[], Awaitable[None]],
        *,
        split: bool,
        budget: Budget,
    ) -> Verdict:
        """``split``: a non-transient failure returns FAILED (the caller splits the batch)
        instead of retrying and dead-lettering ``records``."""
        attempts = self._settings.transient_retries
        topic = records[0].topic
        started = time.perf_counter()
        tried = 0

        def retried(exc: BaseException) -> bool:
            if isinstance(exc, UnknownEventType | RetryLater) or is_permanent(exc):
                return False
            return is_transient(exc) or not split

        def before_sleep(state: RetryCallState) -> None:
            _count(records, self._group, "retried")
            error = state.outcome.exception() if state.outcome else None
            log.warning("handler_retry", topic=topic, attempt=state.attempt_number, error=repr(error))

        async def bounded() -> None:
            nonlocal tried
            tried += 1
            async with asyncio.timeout(budget.remaining()):
                await call()

        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts + 1) | stop_past_budget(budget),
            wait=wait_random_exponential(multiplier=self._settings.retry_backoff_s, max=BACKOFF_CAP_S),
            retry=retry_if_exception(retried),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            await retrying(bounded)
        except UnknownEventType as exc:
            log.info("unknown_event_type_skipped", topic=topic, event_type=str(exc))
            _count(records, self._group, "skipped")
            return DONE
        except RetryLater as exc:  # the handler knows retrying now is pointless: pause, never DLT
            log.warning("handler_retry_later", topic=topic, error=repr(exc), after_s=exc.after_s)
            _count(records, self._group, "nacked")
            return Verdict(Outcome.RETRY_LATER, exc.after_s, exc.records, budget.expired)
        except Exception as exc:
            if split and not is_transient(exc):
                log.warning("batch_failed_splitting", error=repr(exc), size=len(records))
                return FAILED
            # a bug whose retries the budget cut short is read again, not dead-lettered yet
            cut_short = budget.expired and tried <= attempts and not is_permanent(exc)
            if is_transient(exc) or cut_short:  # still failing (or out of time): read it again later
                log.warning(
                    "transient_error_rewind", topic=topic, error=repr(exc), over_budget=budget.expired
                )
                _count(records, self._group, "nacked")
                return Verdict(Outcome.RETRY_LATER, over_budget=budget.expired)
            return await self._dead_letter(records, exc)  # permanent, or a bug that kept failing
        finally:
            HANDLER_SECONDS.labels(topic, self._group).observe(time.perf_counter() - started)
        _count(records, self._group, "ok")
        return DONE

    async def _dead_letter(self, records: list[ConsumedRecord], exc: BaseException) -> Verdict:
        offsets = [r.offset for r in records]
        log.error("dead_lettered", topic=records[0].topic, error=repr(exc), offsets=offsets)
        try:
            for record in records:
                await publish_dead_letter(self._broker, record, exc)
        except Exception as dlt_exc:
            # Not written to the DLT means not done: the record is read again, never skipped.
            log.error("dead_letter_failed", topic=records[0].topic, error=repr(dlt_exc))
            _count(records, self._group, "nacked")
            return Verdict(Outcome.RETRY_LATER)
        _count(records, self._group, "dead_lettered")
        return DONE


def _wait(result: BatchResult, verdict: Verdict, records: list[ConsumedRecord]) -> BatchResult:
    """``records`` (in order) were not all applied: rewind and pause the partitions holding the
    records that wait (all of them unless the verdict names some); every record before a
    partition's first waiting one counts as done (others of the batch were applied)."""
    waiting = verdict.waiting
    first: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        if tp not in first and (
            waiting is None or (record.topic, record.partition, record.offset) in waiting
        ):
            first[tp] = record.offset
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        if tp in first and record.offset >= first[tp]:
            continue
        result.done(record)
    result.rewinds.update(first)
    result.pauses.update(dict.fromkeys(first, verdict.after_s))
    result.over_budget = result.over_budget or verdict.over_budget
    return result


class RecordByRecord(Generic[T]):
    """Applies records one at a time in order; stops at the first that must be read again."""

    def __init__(
        self, runner: ReliableRunner, handler: Callable[[list[tuple[ConsumedRecord, T]]], Awaitable[None]]
    ) -> None:
        self._runner = runner
        self._handler = handler

    async def apply(
        self, records: list[ConsumedRecord], decoded: list[T | Undecodable], budget: Budget
    ) -> BatchResult:
        result = BatchResult()
        for record, one in zip(records, decoded, strict=True):
            if budget.expired:  # nothing failed, time is up: the rest is read on the next poll
                result.stop_at(record, records)
                result.over_budget = True
                return result

            async def call(r: ConsumedRecord = record, d: T | Undecodable = one) -> None:
                await self._handler([(r, _decoded(d))])

            verdict = await self._runner.run([record], call, split=False, budget=budget)
            if verdict.outcome is not Outcome.DONE:
                result.stop_at(record, records)  # later records of every partition: read again
                result.pauses[TopicPartition(record.topic, record.partition)] = verdict.after_s
                result.over_budget = verdict.over_budget
                return result
            result.done(record)
        return result


class WholeBatch(Generic[T]):
    """Applies the decodable batch in one handler call; splits it when that fails."""

    def __init__(
        self, runner: ReliableRunner, handler: Callable[[list[tuple[ConsumedRecord, T]]], Awaitable[None]]
    ) -> None:
        self._runner = runner
        self._handler = handler
        self._each = RecordByRecord(runner, handler)

    async def apply(
        self, records: list[ConsumedRecord], decoded: list[T | Undecodable], budget: Budget
    ) -> BatchResult:
        batch = [(r, d) for r, d in zip(records, decoded, strict=True) if not isinstance(d, Undecodable)]
        if len(batch) < len(records):
            return await self._each.apply(records, decoded, budget)

        async def call() -> None:
            await self._handler(batch)

        verdict = await self._runner.run(records, call, split=len(records) > 1, budget=budget)
        if verdict.outcome is Outcome.FAILED:
            return await self._each.apply(records, decoded, budget)
        result = BatchResult()
        if verdict.outcome is Outcome.DONE:
            for record in records:
                result.done(record)
            return result
        return _wait(result, verdict, records)


def subscribe_decoded_batches(
    broker: KafkaBroker,
    topics: Iterable[TopicSpec],
    group_id: str,
    handler: Callable[[list[tuple[ConsumedRecord, T]]], Awaitable[None]],
    decode: Callable[[ConsumedRecord], T],
    settings: KafkaSettings,
    max_records: int | None = None,
    **consumer_options: Any,
) -> BatchConsumer:
    """``subscribe_batches`` with a decoding of one's own: ``decode`` (pure, per record) runs as
    soon as a poll returns, while the previous batch is still being applied, and ``handler`` gets
    (record, decode(record)) pairs. A permanent error in ``decode`` isolates that record."""
    runner = ReliableRunner(broker, group_id, settings)
    return BatchConsumer(
        broker, [t.name for t in topics], group_id, WholeBatch(runner, handler).apply, settings,
        max_records=max_records or settings.batch_max_records, prepare=decoder(decode), **consumer_options,
    )  # fmt: skip


def subscribe_batches(
    broker: KafkaBroker,
    topics: Iterable[TopicSpec],
    group_id: str,
    handler: BatchHandler,
    settings: KafkaSettings,
    max_records: int | None = None,
    **consumer_options: Any,
) -> BatchConsumer:
    """Register ``handler`` for batches of ``topics``: the whole batch is applied (by the
    handler, in one transaction) or none; it starts and stops with ``broker``."""
    return subscribe_decoded_batches(
        broker, topics, group_id, handler, decode_record, settings, max_records, **consumer_options
    )


def subscribe_records(
    broker: KafkaBroker,
    topic: TopicSpec,
    group_id: str,
    handler: RecordHandler,
    settings: KafkaSettings,
    max_records: int | None = None,
    **consumer_options: Any,
) -> BatchConsumer:
    """Register ``handler`` for every record of ``topic``, one at a time, in partition order."""

    async def one_by_one(batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        for record, envelope in batch:
            await handler(record, envelope)

    runner = ReliableRunner(broker, group_id, settings)
    return BatchConsumer(
        broker, [topic.name], group_id, RecordByRecord(runner, one_by_one).apply, settings,
        max_records=max_records or settings.batch_max_records, prepare=decoder(decode_record),
        **consumer_options,
    )  # fmt: skip


__all__ = [
    "BatchHandler",
    "Outcome",
    "RecordHandler",
    "ReliableRunner",
    "RetryLater",
    "TopicPartition",
    "Verdict",
    "consumed_record",
    "decode_record",
    "subscribe_batches",
    "subscribe_decoded_batches",
    "subscribe_records",
]

"""The one consumer loop of the platform, on aiokafka directly
(docs/decisions/kafka-batch-consumer.md).

Each poll returns up to ``max_records`` records of the assigned partitions; the batch is applied
(by the policy in consumer.py), partitions with records that must be read again are rewound to
the first of them, and the offsets of what was applied are committed soon after, in the
background. One batch is in flight at a time, so per-partition (per-key) order holds. A
rebalance waits for the in-flight batch, commits what it applied and lets the partitions go:
nothing is committed past what was applied, and a partition that moved is read again by its
new owner from its last commit (effects are idempotent).

A batch, retries included, takes at most ``budget_s`` (a share of ``max_poll_interval_ms``), so the
member always polls in time; a partition whose records must wait (a dependency down, revoked
credentials) is rewound and paused with a growing backoff while the loop keeps polling, then
resumed and read again (docs/decisions/0010-bounded-handling-and-partition-pause.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import ConsumerStoppedError, KafkaError

from leadflow_common.kafka.budget import Budget, PauseBackoff, PollSize, handling_budget_s
from leadflow_common.kafka.committer import OffsetCommitter
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.logging import get_logger
from leadflow_common.periodic import cancel_and_wait, raise_if_cancelling
from leadflow_common.settings import KafkaSettings
from leadflow_common.telemetry import consume_span
from leadflow_common.topics import namespaced

log = get_logger(__name__)


@dataclass
class BatchResult:
    """What a batch left done (next offset to commit per partition) and what must be re-read."""

    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    rewinds: dict[TopicPartition, int] = field(default_factory=dict)
    # rewound partitions whose records must wait: paused for these seconds (None: the backoff)
    pauses: dict[TopicPartition, float | None] = field(default_factory=dict)
    over_budget: bool = False  # the batch's time ran out: poll fewer records next time
    count: int = 0

    def done(self, record: ConsumedRecord) -> None:
        self.next_offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
        self.count += 1

    def stop_at(self, record: ConsumedRecord, records: list[ConsumedRecord]) -> None:
        """``record`` and everything after it in ``records`` are not done: rewind each partition
        to its first record that is not done."""
        for later in records[records.index(record) :]:
            tp = TopicPartition(later.topic, later.partition)
            if tp not in self.rewinds:
                self.rewinds[tp] = later.offset


# Work done on a batch as soon as it is polled (decoding): one value per record, handed to
# ``ApplyBatch`` with the records.
Prepare = Callable[[list[ConsumedRecord]], list[Any]]
ApplyBatch = Callable[[list[ConsumedRecord], list[Any], Budget], Awaitable[BatchResult]]
Polled = tuple[list[ConsumedRecord], list[Any]]  # records and their prepared values


class ConsumerHost(Protocol):
    """What starts and stops consumers with the rest of the Kafka connection (the broker)."""

    def attach(self, consumer: BatchConsumer) -> None: ...


def consumed(raw: Any) -> ConsumedRecord:
    headers = {
        k: (v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else str(v))
        for k, v in (raw.headers or ())
    }
    return ConsumedRecord(raw.topic, raw.partition, raw.offset, raw.key, raw.value, headers)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: BatchConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._owner.release(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._owner.assignments += 1
        log.info("partitions_assigned", group=self._owner.group_id, partitions=len(assigned))


class ReadAhead:
    """The buffer between the poller and the batches of a read-ahead consumer (no I/O here).

    ``rewound`` drops the buffered records of partitions a batch rewound and marks them stale for
    the poll in flight: ``poll_returned`` drops that poll's records of those partitions and names
    them, to be sought to the rewind offset again. ``clear`` (a rebalance) drops everything:
    positions restart from the committed offsets. aiokafka hands out no record between the start
    of a reassignment and its end, and the revocation callback runs inside it, so whatever is
    buffered when it runs was read under the old assignment, and whatever comes after, the new."""

    def __init__(self) -> None:
        self.records: list[ConsumedRecord] = []
        self.prepared: list[Any] = []
        self.dropped = 0  # records let go (read again from their partition's position)
        self._changed = asyncio.Event()
        self._polling = False
        self._stale: dict[TopicPartition, int] = {}  # rewound during the poll in flight -> offset

    def poll_started(self) -> None:
        self._polling = True

    def poll_returned(self, polled: Polled) -> dict[TopicPartition, int]:
        """Buffer a poll's records; returns the partitions to seek again (rewound meanwhile)."""
        stale, self._stale, self._polling = self._stale, {}, False
        for record, value in zip(*polled, strict=True):
            if TopicPartition(record.topic, record.partition) in stale:
                self.dropped += 1
                continue
            self.records.append(record)
            self.prepared.append(value)
        self._changed.set()
        return stale

    def clear(self) -> None:
        self._drop(lambda _: True)
        self._stale = {}

    def rewound(self, rewinds: dict[TopicPartition, int]) -> None:
        self._drop(lambda tp: tp in rewinds)
        if self._polling:
            self._stale.update(rewinds)

    def _drop(self, gone: Callable[[TopicPartition], bool]) -> None:
        keep = [i for i, r in enumerate(self.records) if not gone(TopicPartition(r.topic, r.partition))]
        if len(keep) < len(self.records):
            self.dropped += len(self.records) - len(keep)
            self.records = [self.records[i] for i in keep]
            self.prepared = [self.prepared[i] for i in keep]
            self._changed.set()

    async def room(self, limit: int) -> int:
        """Wait until the buffer holds fewer than ``limit`` records; how many more fit."""
        while len(self.records) >= limit:
            self._changed.clear()
            await self._changed.wait()
        return limit - len(self.records)

    async def take(self, limit: int, poller: asyncio.Task[None]) -> Polled | None:
        """Up to ``limit`` buffered records, waiting for the first; None once the poller ended."""
        while not self.records:
            if poller.done():
                poller.result()  # its error, if any
                return None
            self._changed.clear()
            waiter = asyncio.create_task(self._changed.wait())
            try:
                await asyncio.wait({waiter, poller}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        taken = self.records[:limit], self.prepared[:limit]
        del self.records[:limit], self.prepared[:limit]
        self._changed.set()
        return taken


class BatchConsumer:
    def __init__(
        self,
        host: object,
        topics: list[str],
        group_id: str,
        apply: ApplyBatch,
        settings: KafkaSettings,
        *,
        max_records: int,
        prepare: Prepare = lambda records: [None] * len(records),
        prefetch: bool = False,
        **consumer_options: Any,
    ) -> None:
        attach = getattr(host, "attach", None)
        if attach is None:
            raise TypeError("consumers need a broker from leadflow_common.kafka.broker.make_broker")
        self.group_id = group_id
        self.topics = topics
        self._apply = apply
        self._prepare = prepare
        self._prefetch = prefetch
        self._settings = settings
        self._max_records = max(max_records, 1)
        self._options: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "group_id": namespaced(group_id),
            "client_id": f"{settings.client_id_prefix}-{group_id}",
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_interval_ms": settings.max_poll_interval_ms,
            # A topic created just before the consumer joined is unknown to its first metadata:
            # it then owns no partition until the next refresh (5 min by default; seen as a test
            # consumer idle for 40 s). 5 s bounds that at a metadata request per 5 s.
            "metadata_max_age_ms": 5_000,
            **settings.security_options(),
            **consumer_options,
        }
        # One batch, retries included, never outlasts the poll interval (kafka/budget.py).
        self.budget_s = handling_budget_s(
            self._options["max_poll_interval_ms"], settings.handling_budget_share
        )
        self._poll_size = PollSize(self._max_records)
        self._backoff: PauseBackoff[TopicPartition] = PauseBackoff(
            settings.retry_backoff_s, settings.pause_max_s
        )
        self._paused: dict[TopicPartition, float] = {}  # partition -> when to resume (monotonic)
        self.assignments = 0  # partition assignments received: one per rebalance this member saw
        self.revocations = 0  # partition revocations (release) seen
        self._inflight = asyncio.Lock()
        self._ahead: ReadAhead | None = None  # the read-ahead buffer (prefetch)
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer
        self._committer: OffsetCommitter
        attach(self)

    async def start(self) -> None:
        # aiokafka clients belong to the running loop: made here, not where the wiring runs.
        self._consumer = AIOKafkaConsumer(**self._options)
        s = self._settings
        self._committer = OffsetCommitter(self._consumer, s.commit_every, s.commit_interval_ms)
        await self._consumer.start()
        self._consumer.subscribe(self.topics, listener=_Rebalance(self))
        self._task = asyncio.create_task(self._run(), name=f"consume-{self.group_id}")

    async def stop(self) -> None:
        """Let the in-flight batch finish, commit what was applied, leave the group."""
        if self._task is None:
            return
        async with self._inflight:
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self._committer.close()
        await self._consumer.stop()

    async def release(self, revoked: set[TopicPartition]) -> None:
        """Rebalance: finish the in-flight batch, commit it while the partitions are still ours."""
        async with self._inflight:
            self.revocations += 1
            if self._ahead is not None:
                self._ahead.clear()  # read under this assignment: read again under the next
            await self._committer.flush()
            self._committer.forget(revoked)
            for tp in revoked:  # a partition assigned again starts unpaused (aiokafka's state too)
                self._paused.pop(tp, None)
                self._backoff.reset(tp)

    @property
    def options(self) -> dict[str, Any]:
        """The aiokafka consumer's options (what this consumer is configured with)."""
        return dict(self._options)

    @property
    def assigned(self) -> set[TopicPartition]:
        """The partitions this member owns now (empty before its first assignment)."""
        return set(self._consumer.assignment()) if self._task is not None else set()

    @property
    def paused(self) -> dict[TopicPartition, float]:
        """Partitions paused now, and when each is resumed (monotonic seconds)."""
        return dict(self._paused)

    def _resume_due(self) -> float:
        """Resume the partitions whose pause is over; the seconds until the next one is due."""
        now = time.monotonic()
        due = [tp for tp, at in self._paused.items() if at <= now]
        if due:
            owned = self._consumer.assignment()
            self._consumer.resume(*(tp for tp in due if tp in owned))
            for tp in due:
                del self._paused[tp]
            log.info(
                "partitions_resumed",
                group=self.group_id,
                partitions=[f"{t.topic}:{t.partition}" for t in due],
            )
        return min((at - now for at in self._paused.values()), default=float("inf"))

    async def _fetch(self, max_records: int | None = None) -> Polled | None:
        """The next poll, converted and prepared; None once the consumer is stopped."""
        # A paused partition is not fetched, but the poll goes on: it is what keeps the member in
        # its group (aiokafka measures max_poll_interval_ms between getmany calls).
        next_resume_ms = self._resume_due() * 1000
        timeout_ms = int(max(min(self._settings.poll_timeout_ms, next_resume_ms), 1))
        try:
            polled = await self._consumer.getmany(
                timeout_ms=timeout_ms, max_records=max_records or self._poll_size.current
            )
        except ConsumerStoppedError:
            return None
        except KafkaError as exc:
            raise_if_cancelling(exc)  # a cancelled poll surfaced as a Kafka error: end the loop
            log.warning("consumer_poll_failed", group=self.group_id, error=repr(exc))
            await asyncio.sleep(1.0)
            return [], []
        records = [consumed(r) for rs in polled.values() for r in rs]
        return records, self._prepare(records) if records else []

    async def _run(self) -> None:
        if self._prefetch:
            await self._run_prefetching()
            return
        # One poll at a time, applied before the next (per-partition order is simplest this way).
        while True:
            polled = await self._fetch()
            if polled is None:
                return
            if polled[0]:
                await self._handle(*polled)

    async def _run_prefetching(self) -> None:
        """Read ahead: a poller task keeps polling (and preparing) into a bounded buffer while
        batches are applied, and each batch takes everything buffered. A record arriving while a
        batch runs is fetched then, and is in the very next batch: aiokafka sends a node's next
        fetch only once its buffered records are drained, so with one poll per batch it waited for
        the batch after next. One batch is still applied at a time, in poll order.

        A rewind is where reading ahead lost records before: a poll in flight had already moved
        the rewound partition's position past the records the rewind must read again. So the
        buffered records of a partition the batch rewound are dropped, those the poll in flight at
        the rewind returns are dropped too, and the partition is sought to the rewind offset again
        once that poll has returned; a rebalance empties the buffer (positions restart from the
        committed offsets)."""
        ahead = self._ahead = ReadAhead()
        poller = asyncio.create_task(self._poll_ahead(ahead), name=f"poll-ahead-{self.group_id}")
        try:
            while True:
                taken = await ahead.take(self._poll_size.current, poller)
                if taken is None:
                    return
                rewinds = await self._handle(*taken, read_under=self.revocations)
                if rewinds:
                    ahead.rewound(rewinds)
        finally:
            self._ahead = None
            await cancel_and_wait(poller)

    async def _poll_ahead(self, ahead: ReadAhead) -> None:
        while True:
            room = await ahead.room(self._poll_size.current)
            ahead.poll_started()
            polled = await self._fetch(room)
            if polled is None:
                return
            for tp, offset in ahead.poll_returned(polled).items():
                self._consumer.seek(tp, offset)  # again: this poll may have moved it on

    async def _handle(
        self, records: list[ConsumedRecord], prepared: list[Any], read_under: int | None = None
    ) -> dict[TopicPartition, int]:
        """Apply one poll's records; returns the partitions it rewound (and where to).
        ``read_under``: the revocation count when the records were taken; a rebalance since then
        (waited for here) restarted the positions, so they are read again instead."""
        async with self._inflight:
            if read_under is not None and read_under != self.revocations:
                log.info("prefetch_dropped", group=self.group_id, records=len(records))
                return {}
            owned = self._consumer.assignment()
            # Records of a partition revoked since the poll are its new owner's to apply.
            keep = [i for i, r in enumerate(records) if TopicPartition(r.topic, r.partition) in owned]
            if not keep:
                return {}
            if len(keep) < len(records):
                records, prepared = [records[i] for i in keep], [prepared[i] for i in keep]
            with consume_span(self.group_id, records):
                result = await self._apply(records, prepared, Budget.start(self.budget_s))
            for tp, offset in result.rewinds.items():
                self._consumer.seek(tp, offset)
            self._pause(result.pauses)
            for tp in result.next_offsets.keys() - result.pauses.keys():
                self._backoff.reset(tp)
            self._resize(result)
            self._committer.mark(result.next_offsets, result.count)
            return dict(result.rewinds)

    def _pause(self, pauses: dict[TopicPartition, float | None]) -> None:
        """Rewound partitions whose records must wait stop being fetched for a while; the
        consumer keeps polling the others (and the paused ones keep their assignment)."""
        if not pauses:
            return
        now = time.monotonic()
        for tp, after_s in pauses.items():
            wait_s = self._backoff.next(tp) if after_s is None else max(after_s, 0.0)
            self._paused[tp] = now + wait_s
            log.warning("partition_paused", group=self.group_id, topic=tp.topic, partition=tp.partition,
                        pause_s=round(wait_s, 3), failures=self._backoff.failures(tp))  # fmt: skip
        self._consumer.pause(*pauses)

    def _resize(self, result: BatchResult) -> None:
        before = self._poll_size.current
        if result.over_budget:
            after = self._poll_size.over_budget()
            log.warning("batch_over_budget", group=self.group_id, budget_s=self.budget_s, max_records=after)
        elif not result.rewinds and before < self._poll_size.ceiling:
            self._poll_size.fitted()

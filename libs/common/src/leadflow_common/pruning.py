"""The processed_events retention job: each service with a ``processed_events`` table prunes it on
a schedule, never below the time its events can still be delivered again.

An event can come back as long as Kafka keeps it: a consumer group whose offsets expired or were
reset re-reads its topics from the earliest record kept (``retention.ms``), and ``dlt replay``
re-publishes what a dead-letter topic keeps. A dedup row pruned before then lets that event
apply twice. So the retention is at least the longest ``retention.ms`` of the source topics and
of their DLTs (read from the broker at start-up), plus a margin; a shorter configured retention
is refused, none configured means exactly that bound. Compacted source topics do not bound it:
they keep the latest value of each key for ever, and their consumers upsert that state, which a
repeat leaves unchanged (docs/decisions/dead-letter-replay-and-pruning.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from prometheus_client import Counter, Gauge
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import prune_processed_events
from leadflow_common.kafka.admin import TopicDescription, describe_topics
from leadflow_common.logging import get_logger
from leadflow_common.periodic import PeriodicTask
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import DLT_RETENTION_MS, TopicSpec

log = get_logger(__name__)

PRUNED = Counter(
    "leadflow_processed_events_pruned_total",
    "processed_events rows deleted by the retention job",
    ["service"],
)
RETENTION = Gauge(
    "leadflow_processed_events_retention_seconds",
    "Age beyond which processed_events rows are pruned",
    ["service"],
)


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g}h"


class RetentionTooShort(RuntimeError):
    """The configured retention would let a redelivered event apply twice."""


class PruneSettings(Protocol):
    """The settings every service with a processed_events table declares (``<SVC>_…``)."""

    @property
    def processed_events_retention_h(self) -> float | None: ...
    @property
    def processed_events_retention_margin_h(self) -> float: ...
    @property
    def processed_events_prune_interval_s(self) -> float: ...
    @property
    def processed_events_prune_batch(self) -> int: ...
    @property
    def kafka(self) -> KafkaSettings: ...


@dataclass(frozen=True, slots=True)
class Bound:
    """The longest time an event of these topics can be delivered again, and which topic sets it
    (``longest`` None: a topic keeps records for ever)."""

    longest: timedelta | None
    topic: str


def redelivery_bound(sources: Sequence[TopicSpec], described: Mapping[str, TopicDescription]) -> Bound:
    """Pure: the bound over the source topics (compacted ones excepted) and their DLTs, from the
    broker's descriptions; a topic the broker does not have yet counts with its declared config."""
    candidates: list[tuple[str, int | None]] = []
    for spec in sources:
        declared = {spec.name: None if spec.compacted else spec.retention_ms, spec.dlt_name: DLT_RETENTION_MS}
        for name, declared_ms in declared.items():
            found = described.get(name)
            if name == spec.name and (spec.compacted or (found is not None and found.compacted)):
                continue
            candidates.append((name, found.retention_ms if found is not None else declared_ms))
    forever = [name for name, ms in candidates if ms is None]
    if forever:
        return Bound(None, forever[0])
    name, ms = max(candidates, key=lambda c: c[1] or 0)
    return Bound(timedelta(milliseconds=ms or 0), name)


def effective_retention(
    configured: timedelta | None, bound: Bound, margin: timedelta, variable: str
) -> timedelta | None:
    """Pure: the retention to prune with (None: never prune), or RetentionTooShort."""
    if bound.longest is None:
        if configured is not None:
            raise RetentionTooShort(
                f"{variable}={_hours(configured)} is unsafe: {bound.topic} keeps "
                "records for ever, so no processed_events row may be pruned (unset it)"
            )
        return None
    needed = bound.longest + margin
    if configured is None:
        return needed
    if configured < needed:
        raise RetentionTooShort(
            f"{variable}={_hours(configured)} is shorter than {bound.topic}'s retention "
            f"({_hours(bound.longest)}) plus the margin ({_hours(margin)}): a redelivered or replayed "
            f"event would apply twice; set at least {_hours(needed)}"
        )
    return configured


async def read_bound(sources: Sequence[TopicSpec], kafka: KafkaSettings) -> Bound:
    names: Iterable[str] = [n for s in sources for n in (s.name, s.dlt_name)]
    return redelivery_bound(sources, await describe_topics(kafka.bootstrap_servers, names, kafka))


class ProcessedEventsPruner:
    """Checks the retention at start (raises RetentionTooShort), then prunes every interval."""

    def __init__(
        self,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        sources: Sequence[TopicSpec],
        settings: PruneSettings,
    ) -> None:
        self.service = service
        self._sessions = sessions
        self._table = table
        self._sources = sources
        self._settings = settings
        self.retention: timedelta | None = None
        self._task: PeriodicTask | None = None

    async def check(self) -> timedelta | None:
        s = self._settings
        configured = s.processed_events_retention_h
        self.retention = effective_retention(
            timedelta(hours=configured) if configured is not None else None,
            await read_bound(self._sources, s.kafka),
            timedelta(hours=s.processed_events_retention_margin_h),
            f"{self.service.upper()}_PROCESSED_EVENTS_RETENTION_H",
        )
        return self.retention

    async def start(self) -> None:
        try:
            retention = await self.check()
        except RetentionTooShort as exc:  # one plain line in the logs before uvicorn's traceback
            log.error("processed_events_retention_refused", service=self.service, reason=str(exc))
            raise
        if retention is None:
            log.warning(
                "processed_events_never_pruned", service=self.service, reason="a topic keeps records for ever"
            )
            return
        assert self.retention is not None
        RETENTION.labels(self.service).set(self.retention.total_seconds())
        log.info(
            "processed_events_pruning",
            service=self.service,
            retention_h=self.retention.total_seconds() / 3600,
        )
        self._task = PeriodicTask(
            f"prune-{self.service}", self._settings.processed_events_prune_interval_s, self.run_once,
            "processed_events_prune_failed", service=self.service,
        )  # fmt: skip
        self._task.start()

    async def run_once(self) -> int:
        if self.retention is None:
            return 0
        deleted, batches = await prune_processed_events(
            self._sessions, self._table, self.retention, self._settings.processed_events_prune_batch
        )
        PRUNED.labels(self.service).inc(deleted)
        if deleted:
            log.info("processed_events_pruned", service=self.service, rows=deleted, batches=batches)
        return deleted

    async def stop(self) -> None:
        if self._task is not None:
            await self._task.stop()
            self._task = None

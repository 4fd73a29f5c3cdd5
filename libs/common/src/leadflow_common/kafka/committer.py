"""Committing consumed offsets after their effects, without a broker round trip on the hot path.

The consumer loop marks the offsets whose effects are durable (``mark``: no I/O); a commit goes
out at most every ``commit_every`` records or ``commit_interval_ms``, in a background task, so the
next batch is read while the previous offsets travel; 0 ms commits as soon as a batch is done.
A commit lost to a crash or a rebalance only means those records are read again, and every effect
is idempotent (docs/decisions/0003-consumer-error-policy.md), so nothing is lost or applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Protocol

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from leadflow_common.logging import get_logger

log = get_logger(__name__)


class Committable(Protocol):
    async def commit(self, offsets: dict[TopicPartition, int]) -> None: ...


class OffsetCommitter:
    def __init__(self, consumer: Committable, commit_every: int, commit_interval_ms: int) -> None:
        self._consumer = consumer
        self._every = max(commit_every, 1)
        self._interval_s = max(commit_interval_ms, 0) / 1000
        self._pending: dict[TopicPartition, int] = {}
        self._count = 0
        self._last_flush = time.monotonic()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> Mapping[TopicPartition, int]:
        return self._pending

    def mark(self, offsets: Mapping[TopicPartition, int], records: int) -> None:
        """``offsets``: per partition, the next offset to read (last applied + 1). No I/O here:
        the commit goes out from a background task."""
        if not offsets:
            return
        for tp, offset in offsets.items():
            if offset > self._pending.get(tp, -1):
                self._pending[tp] = offset
        self._count += records
        due = (
            self._interval_s == 0
            or self._count >= self._every
            or time.monotonic() - self._last_flush >= self._interval_s
        )
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_soon(due), name="offset-commit")

    def forget(self, partitions: set[TopicPartition]) -> None:
        """Drop pending offsets of partitions this consumer no longer owns."""
        for tp in partitions:
            self._pending.pop(tp, None)

    async def _flush_soon(self, now: bool) -> None:
        # Keep going while records finish during a flush: mark() saw this task running and
        # started no other, and the last record of a partition must not wait for the next one.
        if not now:
            await asyncio.sleep(self._interval_s)
        while self._pending:
            await self.flush()
            if self._pending:
                await asyncio.sleep(self._interval_s)

    async def flush(self) -> None:
        async with self._lock:
            if not self._pending:
                return
            offsets, self._pending = self._pending, {}
            self._count = 0
            self._last_flush = time.monotonic()
            try:
                await self._consumer.commit(offsets)
            except (KafkaError, AssertionError, RuntimeError) as exc:
                # Rebalanced away or stopping: the next owner reads these records again.
                log.warning("offset_commit_failed", error=repr(exc), partitions=len(offsets))

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

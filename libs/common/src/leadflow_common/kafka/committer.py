"""Committing consumed offsets after their effects, without paying a broker round trip per message.

Offsets are committed explicitly (only records whose handler finished), at most every
``commit_every`` records or ``commit_interval_ms``, whichever comes first; 0 commits each record.
A commit lost to a crash or a rebalance only means those records are read again, and every effect
is idempotent (docs/decisions/0003-consumer-error-policy.md), so nothing is lost or applied twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from leadflow_common.logging import get_logger

log = get_logger(__name__)


class OffsetCommitter:
    def __init__(self, commit_every: int, commit_interval_ms: int) -> None:
        self._every = max(commit_every, 1)
        self._interval_s = max(commit_interval_ms, 0) / 1000
        self._pending: dict[TopicPartition, int] = {}
        self._count = 0
        self._last_flush = time.monotonic()
        self._consumer: Any = None
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None

    async def processed(self, consumer: Any, topic: str, partition: int, offset: int) -> None:
        """Record that the effect of ``offset`` is durable; commit now or soon."""
        self._consumer = consumer
        self._pending[TopicPartition(topic, partition)] = offset + 1
        self._count += 1
        due = self._interval_s == 0 or self._count >= self._every
        if due or time.monotonic() - self._last_flush >= self._interval_s:
            await self.flush()
        elif self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._flush_later(), name="offset-commit-timer")

    async def _flush_later(self) -> None:
        # Keep going while records finished during a flush: processed() saw this timer running
        # and scheduled no other, and the last record of a partition must not wait for the next.
        while True:
            await asyncio.sleep(self._interval_s)
            await self.flush()
            if not self._pending:
                return

    async def flush(self) -> None:
        async with self._lock:
            if not self._pending or self._consumer is None:
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
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        await self.flush()

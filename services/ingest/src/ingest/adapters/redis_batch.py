"""Coalescing the Redis commands of concurrent requests into one pipeline per event-loop turn.

Each round trip from redis-py costs far more client CPU than the command itself (connection
checkout, socket write, wake-up, parse); under load dozens of requests claim or confirm in the
same turn, so one pipeline serves them all. Commands whose reply nobody waits for (``submit``)
do not start a pipeline of their own: they ride along with the next awaited command's, or go
out after ``ride_along_s`` when none comes (under load there always is one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from leadflow_common.logging import get_logger

log = get_logger(__name__)

Queue = Callable[[Pipeline], object]


class PipelineBatcher:
    def __init__(self, redis: Redis, ride_along_s: float = 0.002) -> None:
        self._redis = redis
        self._ride_along_s = ride_along_s
        self._pending: list[tuple[Queue, asyncio.Future[Any] | None]] = []
        self._flush_soon = False  # a flush is scheduled for this turn
        self._flush_later: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, queue: Queue) -> Any:
        """``queue`` adds one command to the pipeline; returns that command's reply (or raises)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((queue, future))
        if not self._flush_soon:
            self._flush_soon = True
            loop.call_soon(self._flush)
        return await future

    def submit(self, queue: Queue) -> None:
        """Like ``run`` without waiting: sent with the next pipeline, a failure only logged."""
        self._pending.append((queue, None))
        if not self._flush_soon and self._flush_later is None:
            self._flush_later = asyncio.get_running_loop().call_later(self._ride_along_s, self._flush)

    async def drain(self) -> None:
        """Send what is queued and wait for every pipeline in flight (shutdown)."""
        self._flush()
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _flush(self) -> None:
        self._flush_soon = False
        if self._flush_later is not None:
            self._flush_later.cancel()
            self._flush_later = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        task = asyncio.get_running_loop().create_task(self._execute(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, batch: list[tuple[Queue, asyncio.Future[Any] | None]]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for queue, _ in batch:
                    queue(pipe)
                replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:
            error = exc if isinstance(exc, Exception) else ConnectionError(repr(exc))
            for _, future in batch:
                _settle(future, error)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if isinstance(reply, Exception):
                _settle(future, reply)
            elif future is not None and not future.done():
                future.set_result(reply)


def _settle(future: asyncio.Future[Any] | None, error: Exception) -> None:
    if future is None:
        log.warning("redis_unawaited_command_failed", error=repr(error))
    elif not future.done():
        future.set_exception(error)

"""One background job run at a fixed interval for the life of a service (lag export, dedup
pruning, pause expiry, the router's timers): a failed run is logged and retried at the next
interval, never fatal; ``stop`` cancels it and waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from leadflow_common.logging import get_logger

log = get_logger(__name__)
Job = Callable[[], Awaitable[object]]


def raise_if_cancelling(error: BaseException) -> None:
    """Raise CancelledError if the running task is being cancelled: for a loop that catches
    ``Exception`` to carry on, where a library may have turned the cancellation into ``error``."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error


async def run_every(
    interval_s: float, job: Job, failed_event: str, /, *, first_now: bool = True, **log_fields: Any
) -> None:
    """Run ``job`` forever, ``interval_s`` apart (the first run at once, or after one interval)."""
    if not first_now:
        await asyncio.sleep(interval_s)
    while True:
        try:
            await job()
        except Exception as exc:
            # A job may turn our cancellation into an error (a driver that maps a cancelled read
            # to a connection error does). Logging it and sleeping on would make stop() and a
            # service's shutdown wait a whole interval: seen as a router lifespan timing out.
            raise_if_cancelling(exc)
            log.warning(failed_event, error=repr(exc), **log_fields)
        await asyncio.sleep(interval_s)


class PeriodicTask:
    def __init__(self, name: str, interval_s: float, job: Job, failed_event: str, **log_fields: Any) -> None:
        self._name = name
        self._interval_s = interval_s
        self._job = job
        self._failed_event = failed_event
        self._log_fields = log_fields
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            run = run_every(self._interval_s, self._job, self._failed_event, **self._log_fields)
            self._task = asyncio.create_task(run, name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            await cancel_and_wait(task)


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has ended; a cancellation of the caller itself (a
    timeout around a shutdown) is not swallowed on the way."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise

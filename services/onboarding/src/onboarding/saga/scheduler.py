"""Runs up to N sagas at once on this replica, leasing them in the store so replicas never
drive the same saga together and a crashed replica's sagas are picked up once its lease expires.

A runner that was paused past its lease (GC, SIGSTOP, a slow GHL call) finds out at its next
renewal or write: the claim of another runner moved the lease generation on, the write is refused
(LeaseLost) and this runner drops the saga without writing anything more."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from leadflow_common.logging import get_logger
from leadflow_common.periodic import raise_if_cancelling
from onboarding import metrics
from onboarding.domain.errors import LeaseLost
from onboarding.domain.saga import Lease
from onboarding.saga import blocking
from onboarding.saga.context import SagaContext
from onboarding.saga.fencing import FencedStore
from onboarding.saga.runner import run_saga

log = get_logger(__name__)


class SagaScheduler:
    def __init__(
        self, ctx: SagaContext, concurrency: int = 5, lease_s: float = 30.0, poll_s: float = 2.0
    ) -> None:
        self._ctx = ctx
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._poll_s = poll_s
        self.owner = f"onboarding-{uuid.uuid4().hex[:10]}"
        self._running: dict[str, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    @property
    def running(self) -> int:
        return len(self._running)

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self._claim_loop(), name="saga-scheduler")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop = None

    async def _claim_loop(self) -> None:
        while True:
            blocking.forget_expired()
            free = self._concurrency - len(self._running)
            if free > 0:
                try:
                    for lease in await self._ctx.store.claim_runnable(self.owner, free, self._lease_s):
                        if lease.location_id not in self._running:
                            task = asyncio.create_task(self._drive(lease))
                            self._running[lease.location_id] = task
                except Exception as exc:  # the store is down: try again on the next tick
                    raise_if_cancelling(exc)
                    log.warning("saga_claim_failed", error=repr(exc))
            self._wakeup.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel that arrives
            # as the wake-up fires (a _drive finishing during stop() sets it), and stop() then waits
            # for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_s):
                    await self._wakeup.wait()

    async def _drive(self, lease: Lease) -> None:
        metrics.IN_PROGRESS.inc()
        fenced = FencedStore(self._ctx.store, lease)
        heartbeat = asyncio.create_task(self._heartbeat(fenced))
        try:
            await run_saga(self._ctx, lease.location_id, fenced)
        except LeaseLost as exc:  # another runner holds the saga: it is not ours to touch any more
            log.warning("saga_lease_lost", location_id=lease.location_id, token=lease.token, error=str(exc))
        except Exception as exc:  # infrastructure trouble: the saga stays runnable, retried later
            log.warning("saga_interrupted", location_id=lease.location_id, error=repr(exc))
            await asyncio.sleep(self._poll_s)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            with contextlib.suppress(Exception):
                if fenced.parked_s is not None and not fenced.lost:
                    # parked (credentials refused): held until the wait is over, then free again
                    await self._ctx.store.renew(lease, fenced.parked_s)
                else:
                    await self._ctx.store.release(lease)
            self._running.pop(lease.location_id, None)
            metrics.IN_PROGRESS.dec()
            self.wake()

    async def _heartbeat(self, fenced: FencedStore) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            try:
                renewed = await self._ctx.store.renew(fenced.lease, self._lease_s)
            except Exception as exc:  # the store is down: the next write will tell
                raise_if_cancelling(exc)
                log.warning("saga_renew_failed", location_id=fenced.lease.location_id, error=repr(exc))
                continue
            if not renewed:
                fenced.lost = True  # the runner stops before its next GHL call or write
                log.warning(
                    "saga_lease_taken", location_id=fenced.lease.location_id, token=fenced.lease.token
                )
                return

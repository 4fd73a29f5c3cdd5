"""The simulator's webhook delivery queue: deliveries run in the background like GHL's, each one
sending its signed bytes again after every 429 on the ``WebhookClock``; their attempt history
stays readable (admin API ``/admin/webhooks/deliveries``)."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx

from ghl_simulator.webhook_clock import WebhookClock
from ghl_simulator.webhooks import (
    Delivery,
    DeliveryState,
    Now,
    Scheme,
    Sleep,
    WebhookSigner,
    prepare,
    run_attempts,
    ssl_context,
)
from leadflow_common.logging import get_logger

log = get_logger(__name__)


class DeliveryScheduler:
    """``enqueue`` returns at once; the delivery's attempts run in a task of their own. Sends are
    bounded by ``concurrency`` (the waits between attempts are not); the history keeps the last
    ``history`` deliveries, in order, by id."""

    def __init__(
        self,
        signer: WebhookSigner,
        clock: WebhookClock,
        concurrency: int = 64,
        history: int = 100_000,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Now = time.time,
    ) -> None:
        self.signer = signer
        self.clock = clock
        self._concurrency = concurrency
        self._history = history
        self._timeout_s = timeout_s
        self._transport = transport
        self._sleep = sleep
        self._now = now
        self._ids = itertools.count(1)
        self._deliveries: dict[int, Delivery] = {}
        self._tasks: set[asyncio.Task[Delivery]] = set()
        self._client: httpx.AsyncClient | None = None
        self._gate: asyncio.Semaphore | None = None

    def enqueue(
        self,
        url: str,
        payload: dict[str, Any],
        scheme: Scheme = "ed25519",
        clock: WebhookClock | None = None,
    ) -> Delivery:
        """Sign the delivery now (its stamp and bytes are fixed from here) and start it."""
        clock = clock or self.clock
        delivery = prepare(self.signer, next(self._ids), url, payload, scheme, clock, self._now())
        self._deliveries[delivery.id] = delivery
        while len(self._deliveries) > self._history:
            del self._deliveries[next(iter(self._deliveries))]
        task = asyncio.get_running_loop().create_task(self._run(delivery), name=f"webhook-{delivery.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _run(self, delivery: Delivery) -> Delivery:
        if self._client is None or self._gate is None:
            size = self._concurrency
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            self._client = httpx.AsyncClient(
                timeout=self._timeout_s, limits=limits, transport=self._transport, verify=ssl_context()
            )
            self._gate = asyncio.Semaphore(size)
        await run_attempts(delivery, self._client, self._sleep, self._now, self._gate)
        log.info(
            "webhook_delivery_final",
            delivery_id=delivery.id,
            webhook_id=delivery.webhook_id,
            state=delivery.state.value,
            statuses=delivery.statuses,
        )
        return delivery

    def get(self, delivery_id: int) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    def since(
        self, after_id: int = 0, webhook_id: str | None = None, state: DeliveryState | None = None
    ) -> list[Delivery]:
        return [
            d
            for d in self._deliveries.values()
            if d.id > after_id
            and (webhook_id is None or d.webhook_id == webhook_id)
            and (state is None or d.state is state)
        ]

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys((s.value for s in DeliveryState), 0)
        for delivery in self._deliveries.values():
            counts[delivery.state.value] += 1
        return counts

    def reset(self) -> None:
        """Cancel every pending delivery and forget the history."""
        for task in list(self._tasks):
            task.cancel()
        self._deliveries.clear()

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

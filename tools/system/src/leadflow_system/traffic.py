"""Delivering webhook streams to ingest, GHL-style (signed, retried only on 429), concurrently."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from ghl_simulator.webhooks import DeliveryResult, WebhookSender


async def deliver_all(
    ingest_url: str,
    bodies: list[dict[str, Any]],
    concurrency: int = 16,
    retry_interval_s: float = 1.0,
    on_done: Callable[[DeliveryResult], None] | None = None,
) -> Counter[int]:
    """Send every body; returns the final status counts. Each body keeps its own webhookId."""
    sender = WebhookSender.with_test_keys(retry_interval_s=retry_interval_s, max_retries=30)
    gate = asyncio.Semaphore(concurrency)
    statuses: Counter[int] = Counter()

    async def one(index: int, body: dict[str, Any]) -> None:
        async with gate:
            result = await sender.deliver(ingest_url, body, scheme="ed25519" if index % 5 else "rsa")
        statuses[result.status] += 1
        if on_done:
            on_done(result)

    await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
    return statuses

"""Runs the analytics app in-process (lifespan, real Kafka/Postgres/Redis) and feeds it events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from asgi_lifespan import LifespanManager

from analytics.consumer import CONSUMED_TOPICS
from analytics.main import create_app
from analytics.settings import AnalyticsSettings
from leadflow_common.events.envelope import encode_envelope
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.topics import namespaced
from tests.integration.analytics.event_stream import Item
from tests.support.kafka_io import produce

TOKEN = "test-token"


async def wait_for_topics(bootstrap: str, timeout_s: float = 20.0) -> None:
    """Until the broker's metadata lists the consumed topics with a leader for every partition.

    The module's topics are created just before its first test; a consumer that subscribes
    while the broker's metadata still lacks them is assigned nothing until aiokafka's next
    metadata refresh (minutes), so the test would wait for events that are never read."""
    names = {t.name for t in CONSUMED_TOPICS}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            described = await admin.describe_topics(sorted(names))
            ready = {
                t["topic"]
                for t in described
                if t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
            }
            if ready == names:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"topics not ready in {timeout_s}s: {sorted(names)}")
    finally:
        await admin.close()


@asynccontextmanager
async def running_app(settings: AnalyticsSettings) -> AsyncIterator[httpx.AsyncClient]:
    await wait_for_topics(settings.kafka.bootstrap_servers)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://analytics", headers=headers
        ) as client:
            yield client


async def produce_items(bootstrap: str, items: list[Item]) -> None:
    by_topic: dict[str, list[tuple[str, bytes | None]]] = {}
    for item in items:
        value = encode_envelope(item.envelope) if item.envelope is not None else None
        by_topic.setdefault(item.topic, []).append((item.key, value))
    for topic, records in by_topic.items():
        await produce(bootstrap, topic, records)


async def wait_for_applied(
    client: httpx.AsyncClient,
    expected: int,
    settled: AnalyticsSettings | None = None,
    timeout_s: float = 40.0,
) -> dict[str, Any]:
    """Poll /overview until the projector applied ``expected`` events and, with ``settled``, until
    its group has no lag left (the session's topics also carry other tests' events)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    body: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        body = (await client.get("/overview")).json()
        if body.get("events_applied", 0) >= expected and (settled is None or await _caught_up(settled)):
            return dict((await client.get("/overview")).json())
        await asyncio.sleep(0.3)
    raise AssertionError(f"only {body.get('events_applied')} of {expected} events applied in {timeout_s}s")


async def _caught_up(settings: AnalyticsSettings) -> bool:
    lags = await read_consumer_lag(settings.kafka.bootstrap_servers, namespaced(settings.consumer_group))
    return bool(lags) and sum(p.lag for p in lags) == 0

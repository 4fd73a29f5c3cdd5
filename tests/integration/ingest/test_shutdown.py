"""Graceful shutdown: readiness goes false first, the in-flight request finishes and is published."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from redis.asyncio import Redis

from leadflow_common.topics import GHL_EVENTS
from tests.integration.ingest.conftest import ingest_settings
from tests.integration.ingest.support import by_event_id, read_topic, serving
from tests.support.infra import Infra
from tests.unit.ingest.signing import contact_body, signed_request

pytestmark = pytest.mark.integration


async def test_stop_signal_drains_the_in_flight_request(infra: Infra) -> None:
    raw, headers = signed_request(contact_body())
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield raw[:10]
        await release.wait()
        yield raw[10:]

    with serving(ingest_settings(infra)) as (url, server):
        app = server.config.app
        async with httpx.AsyncClient(base_url=url, timeout=20) as client:
            request = asyncio.create_task(client.post("/webhooks/ghl", content=slow_body(), headers=headers))
            deadline = asyncio.get_running_loop().time() + 10
            while app.state.in_flight.count == 0:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.02)

            server.handle_exit(signal.SIGTERM, None)
            assert app.state.readiness.draining
            release.set()
            response = await request

    assert response.status_code == 200, response.text
    event_id = response.json()["event_id"]
    assert len(by_event_id(await read_topic(infra.kafka, GHL_EVENTS.name), event_id)) == 1
    # The unawaited confirmation went out before Redis was closed (the lifespan drains it).
    redis = Redis.from_url(infra.redis_url)
    try:
        assert await redis.get(f"ingest:wh:{orjson.loads(raw)['webhookId']}") == b"published"
    finally:
        await redis.aclose()

"""Ingest served on uvicorn against the session's real Kafka and Redis, trusting the test keys."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ingest.settings import IngestSettings
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.settings import KafkaSettings, RedisSettings
from leadflow_common.topics import GHL_EVENTS
from tests.integration.ingest.support import running_ingest
from tests.support.infra import Infra
from tests.unit.ingest.signing import trusted_public_keys


def ingest_settings(infra: Infra, **overrides: Any) -> IngestSettings:
    fields: dict[str, Any] = {
        "public_keys": trusted_public_keys(),
        "kafka": KafkaSettings(bootstrap_servers=infra.kafka),
        "redis": RedisSettings(url=infra.redis_url, socket_timeout_s=0.5),
        "produce_timeout_s": 5.0,
        "retry_after_s": 7,
        "shutdown_drain_s": 5.0,
    }
    fields.update(overrides)
    return IngestSettings(**fields)


@pytest.fixture(scope="module", autouse=True)
def ingest_topic_namespace(infra: Infra) -> Iterator[str]:
    """A sub-namespace of the session's, so the test webhooks (fuzzed ones included) never reach
    other suites' consumers of ghl.events.v1; the session teardown drops it with the rest."""
    namespace = f"{infra.namespace}.ingest"
    previous = os.environ["KAFKA_TOPIC_NAMESPACE"]
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace
    try:
        asyncio.run(ensure_topics(infra.kafka, [GHL_EVENTS]))
        yield namespace
    finally:
        os.environ["KAFKA_TOPIC_NAMESPACE"] = previous


@pytest.fixture(scope="module")
def ingest_url(infra: Infra) -> Iterator[str]:
    with running_ingest(ingest_settings(infra)) as url:
        yield url


@pytest.fixture
async def client(ingest_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ingest_url, timeout=20) as c:
        yield c

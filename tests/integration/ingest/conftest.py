"""Ingest served on uvicorn against the session's real Kafka and Redis, trusting the test keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from ingest.settings import IngestSettings
from leadflow_common.settings import KafkaSettings, RedisSettings
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


@pytest.fixture(scope="session")
def ingest_url(infra: Infra) -> Iterator[str]:
    with running_ingest(ingest_settings(infra)) as url:
        yield url


@pytest.fixture
async def client(ingest_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ingest_url, timeout=20) as c:
        yield c

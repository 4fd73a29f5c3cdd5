"""Fixtures of the GHL client tests: the simulator (module scope) and a client wired to real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from leadflow_common.ghl import GhlClient
from leadflow_common.redis import make_redis
from leadflow_common.settings import RedisSettings
from tests.support.ghl import GhlSim, ghl_sim
from tests.support.infra import Infra

__all__ = ["ghl_sim"]


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = make_redis(RedisSettings(url=infra.redis_url))
    yield client
    await client.aclose()


@pytest.fixture
async def client(ghl_sim: GhlSim, redis: Redis) -> AsyncIterator[GhlClient]:
    ghl_sim.reset()
    ghl = GhlClient(ghl_sim.settings(), redis)
    yield ghl
    await ghl.aclose()

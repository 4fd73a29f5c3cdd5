"""The module-scoped router fixtures: a migrated schema and a running router on it. The router
tests get them from their conftest; tests of other services that need a real router import them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, running_router
from tests.support.infra import Infra, migrated_schema


@pytest.fixture(scope="module")
def router_schema(infra: Infra) -> Iterator[str]:
    yield from migrated_schema(infra, "router")


@pytest.fixture(scope="module")
async def router(infra: Infra, router_schema: str) -> AsyncIterator[RunningRouter]:
    await asyncio.to_thread(default_gazetteer)
    async with running_router(infra, router_schema) as running:
        yield running

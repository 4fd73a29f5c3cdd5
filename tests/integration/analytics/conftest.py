"""Fixtures of the analytics integration tests: a migrated throwaway schema and its sessions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.settings import AnalyticsSettings
from leadflow_common.db import make_engine, make_sessionmaker
from tests.support.infra import Infra, migrated_schema


@pytest.fixture
def analytics_schema(infra: Infra) -> Iterator[str]:
    yield from migrated_schema(infra, "analytics")


@pytest.fixture
async def sessions(infra: Infra, analytics_schema: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(infra.service_db_url("analytics"), analytics_schema)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def settings(infra: Infra, analytics_schema: str) -> AnalyticsSettings:
    return AnalyticsSettings(
        database_url=infra.service_db_url("analytics"),
        db_schema=analytics_schema,
        consumer_group=f"analytics-{uuid.uuid4().hex[:8]}",
        redis_prefix=f"analytics-test-{infra.namespace}-{uuid.uuid4().hex[:6]}",
        api_token="test-token",  # type: ignore[arg-type]
    )

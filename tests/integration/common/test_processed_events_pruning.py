"""processed_events pruning on the real Postgres and Kafka: only rows older than the retention go,
in bounded batches; the retention is checked against the broker's own retention.ms of the source
topics and their DLTs, and a service refuses to start with a shorter one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.main import create_app
from analytics.settings import AnalyticsSettings
from leadflow_common.db import make_engine, make_sessionmaker, prune_processed_events, transaction
from leadflow_common.kafka.admin import describe_topics, ensure_topics
from leadflow_common.pruning import ProcessedEventsPruner, RetentionTooShort
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import DAY_MS, GHL_EVENTS, TopicSpec, dlt_name
from tests.support.effects_worker import create_tables, processed
from tests.support.infra import Infra, drop_schema

HOUR_MS = DAY_MS // 24


@pytest.fixture
async def sessions(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    schema = f"prune_{uuid.uuid4().hex[:8]}"
    await create_tables(infra.service_db_url("router"), schema)
    engine = make_engine(infra.service_db_url("router"), schema)
    yield make_sessionmaker(engine)
    await engine.dispose()
    await asyncio.to_thread(drop_schema, infra, schema)


@dataclass
class Prune:
    """The settings a service declares (``<SVC>_PROCESSED_EVENTS_…``)."""

    kafka: KafkaSettings
    processed_events_retention_h: float | None = None
    processed_events_retention_margin_h: float = 24.0
    processed_events_prune_interval_s: float = 3600.0
    processed_events_prune_batch: int = 5


async def add_rows(sessions: async_sessionmaker[AsyncSession], age: timedelta, n: int) -> set[uuid.UUID]:
    ids = {uuid.uuid4() for _ in range(n)}
    at = datetime.now(UTC) - age
    async with transaction(sessions) as session:
        rows = [{"consumer_group": "g", "event_id": i, "processed_at": at} for i in ids]
        await session.execute(insert(processed), rows)
    return ids


async def remaining(sessions: async_sessionmaker[AsyncSession]) -> set[uuid.UUID]:
    async with sessions() as session:
        return set((await session.execute(select(processed.c.event_id))).scalars())


async def test_only_rows_older_than_the_retention_are_deleted_in_batches(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_rows(sessions, timedelta(days=450), 23)
    kept = await add_rows(sessions, timedelta(days=399), 4) | await add_rows(sessions, timedelta(0), 3)

    assert await prune_processed_events(sessions, processed, timedelta(days=401), batch_size=5) == (23, 5)
    assert await remaining(sessions) == kept
    assert await prune_processed_events(sessions, processed, timedelta(days=401), batch_size=5) == (0, 1)


def pruned_total() -> float:
    value = REGISTRY.get_sample_value("leadflow_processed_events_pruned_total", {"service": "prune-test"})
    return value or 0.0


async def test_pruner_uses_the_topics_retention_and_counts_what_it_pruned(
    infra: Infra, sessions: async_sessionmaker[AsyncSession]
) -> None:
    settings = Prune(KafkaSettings(bootstrap_servers=infra.kafka))
    pruner = ProcessedEventsPruner("prune-test", sessions, processed, (GHL_EVENTS,), settings)
    # ghl.events.v1 keeps 400 days on the broker (its DLT 30): 400 days + the 24 h margin
    assert await pruner.check() == timedelta(days=401)
    await add_rows(sessions, timedelta(days=402), 12)
    kept = await add_rows(sessions, timedelta(days=400), 2)
    before = pruned_total()

    assert await pruner.run_once() == 12
    assert await remaining(sessions) == kept
    assert pruned_total() - before == 12


async def until_described(bootstrap: str, names: list[str], timeout_s: float = 30) -> None:
    """A topic created a moment ago may be missing from the broker's answers for a while."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(await describe_topics(bootstrap, names)) < len(names):
        assert asyncio.get_running_loop().time() < deadline, f"{names} not described in time"
        await asyncio.sleep(0.2)


async def test_retention_shorter_than_the_brokers_is_refused(infra: Infra) -> None:
    # The broker keeps this topic 2 days and its DLT 3 hours, whatever the code declares.
    declared = TopicSpec(f"prune.{uuid.uuid4().hex[:8]}", key="k", partitions=1)
    on_broker = TopicSpec(declared.base_name, key="k", partitions=1, retention_ms=2 * DAY_MS)
    dlt = TopicSpec(dlt_name(declared.base_name), key="k", partitions=1, retention_ms=3 * HOUR_MS)
    await ensure_topics(infra.kafka, [on_broker, dlt])
    await until_described(infra.kafka, [on_broker.name, dlt.name])
    kafka = KafkaSettings(bootstrap_servers=infra.kafka)
    engine = make_engine(infra.service_db_url("router"), "public")
    try:
        unused = make_sessionmaker(engine)
        fits = Prune(kafka, processed_events_retention_h=50.0, processed_events_retention_margin_h=1.0)
        pruner = ProcessedEventsPruner("prune-test", unused, processed, (declared,), fits)
        assert await pruner.check() == timedelta(hours=50)
        short = Prune(kafka, processed_events_retention_h=48.5, processed_events_retention_margin_h=1.0)
        with pytest.raises(
            RetentionTooShort, match=rf"shorter than .*{declared.base_name}'s retention \(48h\)"
        ):
            await ProcessedEventsPruner("prune-test", unused, processed, (declared,), short).start()
    finally:
        await engine.dispose()


async def test_a_service_refuses_to_start_with_a_retention_below_the_topics(infra: Infra) -> None:
    settings = AnalyticsSettings(
        database_url=infra.service_db_url("analytics"),
        kafka=KafkaSettings(bootstrap_servers=infra.kafka),
        processed_events_retention_h=24 * 30,
    )
    app = create_app(settings)
    with pytest.raises(RetentionTooShort, match="ANALYTICS_PROCESSED_EVENTS_RETENTION_H=720h is shorter"):
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=10):
            pass
    await app.state.service.engine.dispose()
    await app.state.service.redis.aclose()

"""The batch consumer engine on the real broker and database: a poison record is isolated and
dead-lettered without losing its neighbours, a transient failure rewinds and applies once, and a
rebalance (a second consumer joining, the first leaving) loses nothing and applies nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import claim_events, make_engine, make_sessionmaker, transaction
from leadflow_common.events.envelope import Envelope
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.consumer import subscribe_batches
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import TransientError
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec, dlt_name, namespaced
from tests.support.effects_worker import create_tables, effects, processed
from tests.support.infra import Infra, drop_schema
from tests.support.kafka_io import make_envelope, produce_envelopes, read_all

Batch = list[tuple[ConsumedRecord, Envelope | None]]


@pytest.fixture
async def topic(infra: Infra) -> TopicSpec:
    spec = TopicSpec(f"batches.{uuid.uuid4().hex[:8]}", key="contact id", partitions=4)
    await ensure_topics(infra.kafka, [spec, TopicSpec(dlt_name(spec.base_name), key="same", partitions=4)])
    return spec


@pytest.fixture
async def sessions(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    schema = f"batches_{uuid.uuid4().hex[:8]}"
    await create_tables(infra.service_db_url("router"), schema)
    engine = make_engine(infra.service_db_url("router"), schema)
    yield make_sessionmaker(engine)
    await engine.dispose()
    await asyncio.to_thread(drop_schema, infra, schema)


@pytest.fixture(params=[False, True], ids=["one-poll-at-a-time", "prefetch"])
def prefetch(request: pytest.FixtureRequest) -> bool:
    """Each rewind path runs both ways: the next poll fetched only after a batch, and fetched
    while it is applied (BatchConsumer(prefetch=True), the analytics consumer's mode)."""
    return bool(request.param)


def settings(infra: Infra) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=infra.kafka, retry_backoff_s=0.01, transient_retries=1)


class Effects:
    """A batch handler whose effect is a row per event, claimed in one transaction per batch."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], group: str) -> None:
        self.sessions = sessions
        self.group = group
        self.batches: list[int] = []
        self.applied = 0  # effects written, duplicates included
        self.fail_transiently = 0

    async def handle(self, batch: Batch) -> None:
        self.batches.append(len(batch))
        if any(e is not None and e.payload.get("poison") for _, e in batch):
            raise ValueError("poison payload")
        if self.fail_transiently > 0:
            self.fail_transiently -= 1
            raise TransientError("database briefly away")
        ids = [e.event_id for _, e in batch if e is not None]
        async with transaction(self.sessions) as session:
            new = await claim_events(session, processed, self.group, ids)
            if new:
                await session.execute(insert(effects), [{"event_id": str(i)} for i in new])
        self.applied += len(ids)
        await asyncio.sleep(0.002 * len(batch))  # some work per record, so a rebalance lands mid-batch


async def effect_ids(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        rows = await session.execute(effects.select())
        return [r.event_id for r in rows]


async def drained(infra: Infra, group: str, timeout_s: float = 60, partitions: int = 4) -> None:
    """Every partition committed up to its end (a partition not committed yet is not listed at
    all: one paused while the others finished must not pass for drained)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        lags = await read_consumer_lag(infra.kafka, namespaced(group))
        if len(lags) >= partitions and sum(p.lag for p in lags) == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"group {group} still has lag")


async def test_poison_record_is_isolated_and_neighbours_applied_in_batches(
    infra: Infra, topic: TopicSpec, sessions: async_sessionmaker[AsyncSession]
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    envelopes = [make_envelope(n=i, poison=(i == 137)) for i in range(400)]
    await produce_envelopes(infra.kafka, topic.name, envelopes)
    handler = Effects(sessions, group)
    broker = make_broker(settings(infra), "batch-test")
    subscribe_batches(broker, [topic], group, handler.handle, settings(infra), max_records=200)
    await broker.start()
    try:
        await drained(infra, group)
    finally:
        await broker.stop()
    ids = await effect_ids(sessions)
    expected = {str(e.event_id) for i, e in enumerate(envelopes) if i != 137}
    assert len(ids) == len(set(ids)) == 399 and set(ids) == expected
    assert max(handler.batches) > 1  # really consumed in batches
    dead = await read_all(infra.kafka, dlt_name(topic.name), 1)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers["error.class"] == b"builtins.ValueError"
    assert headers["original.topic"] == topic.name.encode()


async def test_transient_failure_rewinds_and_applies_once(
    infra: Infra, topic: TopicSpec, sessions: async_sessionmaker[AsyncSession], prefetch: bool
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    envelopes = [make_envelope(n=i) for i in range(300)]
    await produce_envelopes(infra.kafka, topic.name, envelopes)
    handler = Effects(sessions, group)
    handler.fail_transiently = 5  # more than the in-process retries: the partitions are rewound
    broker = make_broker(settings(infra), "batch-test")
    subscribe_batches(
        broker, [topic], group, handler.handle, settings(infra), max_records=100, prefetch=prefetch
    )
    await broker.start()
    try:
        await drained(infra, group)
    finally:
        await broker.stop()
    ids = await effect_ids(sessions)
    assert sorted(ids) == sorted(str(e.event_id) for e in envelopes)
    assert handler.fail_transiently == 0


async def test_rebalance_mid_stream_loses_nothing_and_applies_each_event_once(
    infra: Infra, topic: TopicSpec, sessions: async_sessionmaker[AsyncSession], prefetch: bool
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    first, second = Effects(sessions, group), Effects(sessions, group)
    brokers = [make_broker(settings(infra), f"rebalance-{n}") for n in (1, 2)]
    for broker, handler in zip(brokers, (first, second), strict=True):
        subscribe_batches(
            broker, [topic], group, handler.handle, settings(infra), max_records=50, prefetch=prefetch
        )
    envelopes = [make_envelope(n=i) for i in range(3000)]
    await brokers[0].start()
    try:
        await produce_envelopes(infra.kafka, topic.name, envelopes[:1500])
        await asyncio.sleep(0.5)
        await brokers[1].start()  # joins while the first is mid-batch
        await produce_envelopes(infra.kafka, topic.name, envelopes[1500:])
        await asyncio.sleep(1.0)
        await brokers[0].stop()  # leaves while work is pending: its partitions move
        await drained(infra, group)
    finally:
        for broker in brokers:
            await broker.stop()
    ids = await effect_ids(sessions)
    assert len(ids) == len(set(ids)) == 3000  # every event applied, none twice
    assert first.applied > 0 and second.applied > 0


async def test_a_failed_dead_letter_write_rewinds_instead_of_skipping(
    infra: Infra, sessions: async_sessionmaker[AsyncSession], prefetch: bool
) -> None:
    """No DLT topic yet (the broker does not auto-create topics): the poison record must not be
    passed over; once the DLT exists it lands there and everything after it is applied."""
    spec = TopicSpec(f"nodlt.{uuid.uuid4().hex[:8]}", key="contact id", partitions=1)
    await ensure_topics(infra.kafka, [spec])
    group = f"g-{uuid.uuid4().hex[:8]}"
    envelopes = [make_envelope(n=i, poison=(i == 3)) for i in range(10)]
    await produce_envelopes(infra.kafka, spec.name, envelopes)
    handler = Effects(sessions, group)
    quick = KafkaSettings(bootstrap_servers=infra.kafka, retry_backoff_s=0.01, transient_retries=1,
                          request_timeout_ms=1500)  # fmt: skip
    broker = make_broker(quick, "nodlt-test")
    subscribe_batches(broker, [spec], group, handler.handle, quick, max_records=100, prefetch=prefetch)
    await broker.start()
    try:
        await asyncio.sleep(6)  # several DLT attempts fail meanwhile
        applied_before = await effect_ids(sessions)
        lags = await read_consumer_lag(infra.kafka, namespaced(group))
        assert [p.lag for p in lags] == [7]  # committed up to the poison record, not past it
        assert sorted(applied_before) == sorted(str(e.event_id) for e in envelopes[:3])
        await ensure_topics(infra.kafka, [TopicSpec(dlt_name(spec.base_name), key="same", partitions=1)])
        await drained(infra, group, partitions=1)
    finally:
        await broker.stop()
    ids = await effect_ids(sessions)
    assert sorted(ids) == sorted(str(e.event_id) for i, e in enumerate(envelopes) if i != 3)
    dead = await read_all(infra.kafka, dlt_name(spec.name), 1)
    assert len(dead) == 1 and dict(dead[0].headers)["original.offset"] == b"3"

"""``dlt list`` / ``dlt replay`` on the real broker: records dead-lettered by the real consumer are
listed, a dry run sends nothing, a filtered replay re-drives exactly the matching records to the
original topic with their original key and headers (the fixed consumer then applies them once),
a second replay sends nothing, and one from the beginning changes no effect (dedup by event id)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from analytics.cli import app as analytics_cli
from leadflow_common.db import claim_event, make_engine, make_sessionmaker, transaction
from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.consumer import subscribe_records
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.dlt_records import REPLAYED_FROM
from leadflow_common.kafka.errors import PermanentError
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.settings import KafkaSettings
from leadflow_common.telemetry import setup_tracing
from leadflow_common.topics import GHL_EVENTS, namespaced
from onboarding.cli import app as onboarding_cli
from router.cli import app as router_cli
from tests.support.effects_worker import create_tables, effects, processed
from tests.support.infra import Infra, drop_schema
from tests.support.kafka_io import make_envelope, read_all


@pytest.fixture
async def sessions(infra: Infra) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    schema = f"dlt_{uuid.uuid4().hex[:8]}"
    await create_tables(infra.service_db_url("router"), schema)
    engine = make_engine(infra.service_db_url("router"), schema)
    yield make_sessionmaker(engine)
    await engine.dispose()
    await asyncio.to_thread(drop_schema, infra, schema)


class Handler:
    """Fails on ``poison`` payloads until fixed (a bug: ValueError) and on ``bad`` ones always
    (PermanentError); otherwise writes one effect per event id."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], group: str) -> None:
        self.sessions, self.group, self.fixed = sessions, group, False

    async def handle(self, record: ConsumedRecord, envelope: Envelope | None) -> None:
        assert envelope is not None
        if envelope.payload.get("bad"):
            raise PermanentError("unsupported contract: bad")
        if envelope.payload.get("poison") and not self.fixed:
            raise ValueError("poison payload")
        async with transaction(self.sessions) as session:
            if await claim_event(session, processed, self.group, envelope.event_id):
                await session.execute(insert(effects).values(event_id=str(envelope.event_id)))


async def effect_ids(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return [r.event_id for r in await session.execute(effects.select())]


async def wait_for_effects(sessions: async_sessionmaker[AsyncSession], n: int, timeout_s: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(await effect_ids(sessions)) < n:
        assert asyncio.get_running_loop().time() < deadline, "effects not applied in time"
        await asyncio.sleep(0.2)


async def drained(infra: Infra, group: str, timeout_s: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        lags = await read_consumer_lag(infra.kafka, namespaced(group))
        if lags and sum(p.lag for p in lags) == 0:
            return
        assert asyncio.get_running_loop().time() < deadline, f"group {group} still has lag"
        await asyncio.sleep(0.2)


async def cli(app: Any, *args: str) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, app, ["dlt", *args])
    assert result.exit_code == 0, result.output
    return str(result.output)


async def produce_with_headers(producer: AIOKafkaProducer, topic: str, envelopes: list[Envelope]) -> None:
    for e in envelopes:
        trace = f"00-{e.event_id.hex}-00f067aa0ba902b7-01".encode()
        headers = [("traceparent", trace), ("x-k", b"v")]
        key = f"c-{e.event_id}".encode()
        await producer.send_and_wait(topic, encode_envelope(e), key=key, headers=headers)


def headers_of(record: Any) -> dict[str, bytes]:
    return {k: bytes(v) for k, v in record.headers}


def redriven_as_originals(records: list[Any]) -> list[bytes]:
    """The values of the replayed records, each checked against its original: same key, same
    headers plus the replay marker."""
    redriven = [r for r in records if REPLAYED_FROM in headers_of(r)]
    by_value = {r.value: r for r in records if REPLAYED_FROM not in headers_of(r)}
    for r in redriven:
        original = by_value[r.value]
        assert r.key == original.key
        headers = headers_of(r)
        assert {k: v for k, v in headers.items() if k != REPLAYED_FROM} == headers_of(original)
        assert headers[REPLAYED_FROM].startswith(GHL_EVENTS.dlt_name.encode())
    assert len(records) == len(by_value) + len(redriven)
    return [r.value for r in redriven]


async def test_dead_letters_listed_dry_run_replayed_once(
    infra: Infra, sessions: async_sessionmaker[AsyncSession]
) -> None:
    setup_tracing("dlt-test")  # as in a service: FastStream's publish spans write their traceparent
    settings = KafkaSettings(bootstrap_servers=infra.kafka, retry_backoff_s=0.01, transient_retries=1)
    poison = [make_envelope(poison=True, n=i) for i in range(2)]
    bad = make_envelope(bad=True)
    good = [make_envelope(n=i) for i in range(3)]
    topic = GHL_EVENTS.name
    originals = {e.event_id: e for e in [*poison, bad, *good]}

    group = f"g-{uuid.uuid4().hex[:8]}"
    handler = Handler(sessions, group)
    broker = make_broker(settings, "dlt-test")
    subscribe_records(broker, GHL_EVENTS, group, handler.handle, settings)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, acks="all")
    await broker.start()
    await producer.start()
    try:
        await produce_with_headers(producer, topic, list(originals.values()))
        await wait_for_effects(sessions, 3)
        dead = await read_all(infra.kafka, GHL_EVENTS.dlt_name, 3)
        assert len(dead) == 3
        # with a tracer provider the DLT write carries its own traceparent; the original is kept
        assert all(headers_of(d)["original.traceparent"].endswith(b"-00f067aa0ba902b7-01") for d in dead)

        listed = await cli(router_cli, "list", "--topic", "ghl.events.v1")
        assert "3 dead letter(s)" in listed
        assert "builtins.ValueError" in listed and "leadflow_common.kafka.errors.PermanentError" in listed
        assert "3 dead letter(s)" in await cli(analytics_cli, "list", "--topic", "ghl.events.v1")
        assert "0 dead letter(s)" in await cli(onboarding_cli, "list")

        dry = await cli(router_cli, "replay", "--error-class", "ValueError", "--dry-run")
        assert "dry run: 2 of 3" in dry and str(poison[0].event_id) in dry
        assert len(await read_all(infra.kafka, topic, 7, timeout_s=5)) == 6  # nothing produced

        long_ago = "2026-01-01T00:00"  # before every dead letter: stops each partition at once
        assert "replayed 0 of 0" in await cli(
            router_cli, "replay", "--error-class", "ValueError", "--until", long_ago
        )
        assert "dry run: 2 of 3" in await cli(
            router_cli, "replay", "--error-class", "ValueError", "--since", "1h", "--dry-run"
        )

        handler.fixed = True
        replayed = await cli(router_cli, "replay", "--error-class", "ValueError")
        assert "replayed 2 of 3" in replayed
        await wait_for_effects(sessions, 5)

        redriven = redriven_as_originals(await read_all(infra.kafka, topic, 8))
        assert sorted(redriven) == sorted(encode_envelope(e) for e in poison)
        assert sorted(await effect_ids(sessions)) == sorted(str(e.event_id) for e in [*poison, *good])

        assert "replayed 0 of 0" in await cli(router_cli, "replay", "--error-class", "ValueError")
        again = await cli(router_cli, "replay", "--error-class", "ValueError", "--from-beginning")
        assert "replayed 2 of 3" in again
        assert len(await read_all(infra.kafka, topic, 10)) == 10
        await drained(infra, group)  # the consumer read them again; its dedup kept one effect each
        ids = await effect_ids(sessions)
        assert len(ids) == len(set(ids)) == 5
    finally:
        await producer.stop()
        await broker.stop()


async def test_compacted_topic_and_unknown_topic_refused_with_one_line() -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, router_cli, ["dlt", "replay", "--topic", "locations.v1"]
    )
    assert result.exit_code == 2
    assert "locations.v1 is compacted" in result.output
    result = await asyncio.to_thread(CliRunner().invoke, router_cli, ["dlt", "list", "--topic", "nope.v1"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "router: unknown topic nope.v1: this service consumes ghl.events.v1, leads.assigned.v1, locations.v1"
    ]

"""Delivery semantics of the shared Kafka plumbing on the real broker and database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.topics import TopicSpec, dlt_name, namespaced
from tests.support.effects_worker import create_tables
from tests.support.infra import REPO, Infra, drop_schema
from tests.support.kafka_io import make_envelope, produce_envelopes, read_all


@pytest.fixture
async def topic(infra: Infra) -> TopicSpec:
    """A topic (and its DLT) of this test's own, with 3 partitions."""
    spec = TopicSpec(f"semantics.{uuid.uuid4().hex[:8]}", key="contact id", partitions=3)
    await ensure_topics(infra.kafka, [spec, TopicSpec(dlt_name(spec.base_name), key="same", partitions=3)])
    return spec


@pytest.fixture
async def schema(infra: Infra) -> AsyncIterator[str]:
    name = f"semantics_{uuid.uuid4().hex[:8]}"
    await create_tables(infra.service_db_url("router"), name)
    yield name
    await asyncio.to_thread(drop_schema, infra, name)


def run_worker(
    infra: Infra, topic: TopicSpec, schema: str, group: str, expected: int, kill_after: int | None = None
) -> int:
    env = {**os.environ, **infra.env, "TEST_DATABASE_URL": infra.service_db_url("router")}
    args = [
        sys.executable,
        "-m",
        "tests.support.effects_worker",
        topic.base_name,
        schema,
        group,
        str(expected),
    ]
    if kill_after is not None:
        args += ["--kill-after-effect", str(kill_after)]
    return subprocess.run(args, cwd=REPO, env=env, timeout=120, check=False).returncode


async def effect_rows(infra: Infra, schema: str) -> list[str]:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        rows = await conn.fetch(f'SELECT event_id FROM "{schema}".effects')
        return [r["event_id"] for r in rows]
    finally:
        await conn.close()


async def test_produce_consume_commit(infra: Infra, topic: TopicSpec, schema: str) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    envelopes = [make_envelope(n=i) for i in range(20)]
    await produce_envelopes(infra.kafka, topic.name, envelopes)

    assert await asyncio.to_thread(run_worker, infra, topic, schema, group, 20) == 0

    assert sorted(await effect_rows(infra, schema)) == sorted(str(e.event_id) for e in envelopes)
    lags = await read_consumer_lag(infra.kafka, namespaced(group))
    assert sum(p.lag for p in lags) == 0


async def test_kill_after_effect_before_commit_applies_once(
    infra: Infra, topic: TopicSpec, schema: str
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    envelopes = [make_envelope(n=i) for i in range(10)]
    # One key: one partition, so the kill point is deterministic.
    await produce_envelopes(infra.kafka, topic.name, envelopes, key="contact-1")

    code = await asyncio.to_thread(run_worker, infra, topic, schema, group, 10, 4)
    assert code == -9  # SIGKILL after the 4th effect, before its offset was committed
    assert len(await effect_rows(infra, schema)) == 4

    # The second run reads again from the last committed offset (at most the 4th message's
    # predecessor), re-handles what was already applied, and applies each effect once.
    assert await asyncio.to_thread(run_worker, infra, topic, schema, group, 10) == 0

    rows = await effect_rows(infra, schema)
    assert len(rows) == 10
    assert sorted(rows) == sorted(str(e.event_id) for e in envelopes)
    assert sum(p.lag for p in await read_consumer_lag(infra.kafka, namespaced(group))) == 0


async def test_poison_message_goes_to_dlt_and_consumer_keeps_going(
    infra: Infra, topic: TopicSpec, schema: str
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    before = make_envelope(n=1)
    poison = make_envelope(poison=True)
    after = make_envelope(n=2)
    await produce_envelopes(infra.kafka, topic.name, [before, poison, after], key="contact-poison")
    # Bytes that are not an envelope at all.
    from tests.support.kafka_io import produce

    await produce(infra.kafka, topic.name, [("contact-poison", b"{not json")])
    last = make_envelope(n=3)
    await produce_envelopes(infra.kafka, topic.name, [last], key="contact-poison")

    assert await asyncio.to_thread(run_worker, infra, topic, schema, group, 3) == 0

    assert sorted(await effect_rows(infra, schema)) == sorted(str(e.event_id) for e in (before, after, last))
    dlt = await read_all(infra.kafka, topic.dlt_name, expected=2)
    mine = [r for r in dlt if r.key == b"contact-poison"]
    assert len(mine) == 2
    headers = [{k: v.decode() for k, v in r.headers} for r in mine]
    assert {h["error.class"] for h in headers} == {
        "builtins.ValueError",
        "leadflow_common.kafka.errors.PermanentError",
    }
    for h in headers:
        assert h["original.topic"] == topic.name
        assert int(h["original.offset"]) >= 0
        assert h["error.message"]
    assert {r.value for r in mine} == {
        b"{not json",
        __import__("leadflow_common.events.envelope", fromlist=["x"]).encode_envelope(poison),
    }

"""One batch never outlasts the poll interval, on the real broker: a handler that hangs far longer
than ``max_poll_interval_ms`` is cut off at the budget, its partition is rewound and paused while
the consumer keeps polling, so the member keeps its assignment (no rebalance) and the record is
applied once, when the handler answers again; a ``RetryLater`` pauses without dead-lettering."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.kafka.batch_consumer import BatchConsumer
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.consumer import subscribe_batches, subscribe_records
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import RetryLater
from leadflow_common.kafka.lag import read_consumer_lag
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec, dlt_name, namespaced
from tests.support.infra import Infra
from tests.support.kafka_io import make_envelope, produce, produce_envelopes, read_all

POLL_INTERVAL_MS = 4_000  # small, so a hang of a few seconds would get the member kicked out
HANG_S = 3 * POLL_INTERVAL_MS / 1000


def quick(infra: Infra) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=infra.kafka, retry_backoff_s=0.05, transient_retries=1,
        max_poll_interval_ms=POLL_INTERVAL_MS, pause_max_s=0.5,
    )  # fmt: skip


async def new_topic(infra: Infra, partitions: int) -> TopicSpec:
    spec = TopicSpec(f"bounded.{uuid.uuid4().hex[:8]}", key="contact id", partitions=partitions)
    await ensure_topics(infra.kafka, [spec, TopicSpec(dlt_name(spec.base_name), key="same", partitions=1)])
    return spec


async def until(check: Callable[[], Awaitable[bool]], timeout_s: float = 25) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def committed_to_end(infra: Infra, group: str, partitions: int) -> bool:
    lags = await read_consumer_lag(infra.kafka, namespaced(group))
    return len(lags) >= partitions and sum(p.lag for p in lags) == 0


async def test_a_handler_hanging_past_the_poll_interval_keeps_the_assignment_and_applies_once(
    infra: Infra,
) -> None:
    spec = await new_topic(infra, partitions=2)
    group = f"g-{uuid.uuid4().hex[:8]}"
    envelopes = [make_envelope(n=i) for i in range(20)]
    applied: list[str] = []
    hangs = {"left": 2}  # the first two calls hang for three poll intervals each

    async def handle(batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        if hangs["left"] > 0:
            hangs["left"] -= 1
            await asyncio.sleep(HANG_S)
        applied.extend(str(e.event_id) for _, e in batch if e is not None)

    settings = quick(infra)
    broker = make_broker(settings, "bounded-test")
    consumer: BatchConsumer = subscribe_batches(broker, [spec], group, handle, settings, max_records=50)
    assert consumer.budget_s == POLL_INTERVAL_MS / 1000 / 2
    await produce_envelopes(infra.kafka, spec.name, envelopes)
    await broker.start()
    try:
        await until(lambda: committed_to_end(infra, group, 2))
        assert consumer.assignments == 1  # never left the group: no rebalance, same assignment
    finally:
        await broker.stop()
    assert hangs["left"] == 0
    assert sorted(applied) == sorted(str(e.event_id) for e in envelopes)  # each once, none lost


async def test_retry_later_pauses_only_its_partition_and_dead_letters_nothing(infra: Infra) -> None:
    """One key's records wait (its dependency refuses for a while, the handler says so): they are
    applied in order once it answers, every other record once, and nothing reaches the DLT."""
    spec = await new_topic(infra, partitions=2)
    group = f"g-{uuid.uuid4().hex[:8]}"
    blocked_key = "contact-blocked"
    refusals = {"left": 6}
    seen: list[tuple[str, int]] = []

    async def handle(record: ConsumedRecord, envelope: Envelope | None) -> None:
        assert envelope is not None
        if record.key_str == blocked_key and refusals["left"] > 0:
            refusals["left"] -= 1
            raise RetryLater("credentials refused")
        seen.append((record.key_str or "", int(envelope.payload["n"])))

    keys = [blocked_key] * 5 + [f"contact-{i}" for i in range(15)]
    envelopes = [make_envelope(n=i) for i in range(len(keys))]
    settings = quick(infra)
    broker = make_broker(settings, "retry-later-test")
    consumer = subscribe_records(broker, spec, group, handle, settings)
    await produce(
        infra.kafka, spec.name, [(k, encode_envelope(e)) for k, e in zip(keys, envelopes, strict=True)]
    )
    await broker.start()
    try:
        await until(lambda: committed_to_end(infra, group, 2))
        assert consumer.assignments == 1
    finally:
        await broker.stop()
    assert refusals["left"] == 0
    assert sorted(n for _, n in seen) == list(range(len(keys)))  # every record applied once
    assert [n for k, n in seen if k == blocked_key] == [0, 1, 2, 3, 4]  # in order
    assert await read_all(infra.kafka, dlt_name(spec.name), 1, timeout_s=1) == []

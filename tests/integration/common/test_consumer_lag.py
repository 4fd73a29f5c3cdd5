"""Our lag reader (and the /metrics gauge) agree with Kafka's own consumer-groups command on a
live group, partition by partition."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from devstack import kafka as devstack_kafka
from leadflow_common.kafka.admin import ensure_topics
from leadflow_common.kafka.lag import export_consumer_lag, read_consumer_lag
from leadflow_common.topics import TopicSpec
from tests.support.infra import Infra


def kafka_cli_lag(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    out = devstack_kafka.tool_output(
        devstack_kafka.GROUP_COMMAND, ["--bootstrap-server", bootstrap, "--describe", "--group", group]
    )
    lags: dict[tuple[str, int], int] = {}
    header: list[str] | None = None
    for line in out.splitlines():
        cols = line.split()
        if cols[:1] == ["GROUP"]:
            header = cols
        elif header and len(cols) >= len(header) - 3 and cols[0] == group:
            row = dict(zip(header, cols, strict=False))
            lags[(row["TOPIC"], int(row["PARTITION"]))] = int(row["LAG"])
    return lags


async def test_lag_reader_equals_kafka_consumer_groups_command(infra: Infra) -> None:
    spec = TopicSpec(f"lag.{uuid.uuid4().hex[:8]}", key="k", partitions=3)
    await ensure_topics(infra.kafka, [spec])
    # 10 messages on partition 0, 6 on 1, 3 on 2, written to explicit partitions.
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka, acks="all")
    await producer.start()
    try:
        for partition, count in ((0, 10), (1, 6), (2, 3)):
            for i in range(count):
                await producer.send_and_wait(spec.name, value=f"m{i}".encode(), partition=partition)
    finally:
        await producer.stop()

    group = f"lag-{uuid.uuid4().hex[:8]}"
    # A live group: the member stays joined (and assigned) while both readers look at it.
    consumer = AIOKafkaConsumer(
        spec.name, bootstrap_servers=infra.kafka, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        for _ in range(60):
            if len(consumer.assignment()) == spec.partitions:
                break
            await consumer.getmany(timeout_ms=250, max_records=1)
        assert len(consumer.assignment()) == spec.partitions
        committed = {
            TopicPartition(spec.name, 0): 4,
            TopicPartition(spec.name, 1): 6,
            TopicPartition(spec.name, 2): 1,
        }
        await consumer.commit(committed)

        ours = {(p.topic, p.partition): p.lag for p in await read_consumer_lag(infra.kafka, group)}
        theirs = await asyncio.to_thread(kafka_cli_lag, infra.kafka, group)
        exported = {(p.topic, p.partition): p.lag for p in await export_consumer_lag(infra.kafka, group)}
        gauge = {
            (spec.name, n): REGISTRY.get_sample_value(
                "leadflow_consumer_lag", {"group": group, "topic": spec.name, "partition": str(n)}
            )
            for n in range(spec.partitions)
        }
    finally:
        await consumer.stop()

    assert ours == {(spec.name, 0): 6, (spec.name, 1): 0, (spec.name, 2): 2}
    assert ours == theirs
    assert exported == ours
    assert gauge == {k: float(v) for k, v in ours.items()}  # what /metrics shows

"""Consumer lag per group and partition: log-end offset minus committed offset.

This is the number ``kafka-consumer-groups --describe`` prints and KEDA's Kafka scaler uses.
A partition with no committed offset counts its whole log (log-end − log-start), as KEDA does
with ``offsetResetPolicy: earliest``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadflow_common.metrics import CONSUMER_LAG


@dataclass(frozen=True, slots=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None
    log_end: int
    lag: int


async def read_consumer_lag(bootstrap_servers: str, group: str) -> list[PartitionLag]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = list(committed)
        if not partitions:
            return []
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        result = []
        for tp in sorted(partitions, key=lambda p: (p.topic, p.partition)):
            meta = committed[tp]
            offset = meta.offset if meta is not None and meta.offset >= 0 else None
            end = ends[tp]
            lag = end - (offset if offset is not None else starts[tp])
            result.append(PartitionLag(group, tp.topic, tp.partition, offset, end, max(lag, 0)))
        return result
    finally:
        await consumer.stop()
        await admin.close()


async def export_consumer_lag(bootstrap_servers: str, group: str) -> list[PartitionLag]:
    """Read the lag and publish it on the ``leadflow_consumer_lag`` gauge."""
    lags = await read_consumer_lag(bootstrap_servers, group)
    for item in lags:
        CONSUMER_LAG.labels(group, item.topic, str(item.partition)).set(item.lag)
    return lags


__all__ = ["PartitionLag", "TopicPartition", "export_consumer_lag", "read_consumer_lag"]

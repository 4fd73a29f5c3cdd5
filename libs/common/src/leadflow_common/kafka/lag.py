"""Consumer lag per group and partition: log-end offset minus committed offset.

This is the number ``kafka-consumer-groups --describe`` prints and KEDA's Kafka scaler uses.
A partition with no committed offset counts its whole log (log-end − log-start), as KEDA does
with ``offsetResetPolicy: earliest``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadflow_common.logging import get_logger
from leadflow_common.metrics import CONSUMER_LAG
from leadflow_common.periodic import PeriodicTask, raise_if_cancelling
from leadflow_common.topics import namespaced

log = get_logger(__name__)


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


__all__ = ["LagExporter", "PartitionLag", "TopicPartition", "export_consumer_lag", "read_consumer_lag"]


class LagExporter(PeriodicTask):
    """Background task: refresh ``leadflow_consumer_lag`` for the service's groups every few seconds."""

    def __init__(self, bootstrap_servers: str, groups: list[str], interval_s: float = 15.0) -> None:
        self._bootstrap = bootstrap_servers
        self._groups = groups
        super().__init__("lag-exporter", interval_s, self._export_all, "lag_export_failed")

    async def _export_all(self) -> None:
        for group in self._groups:
            try:
                await export_consumer_lag(self._bootstrap, namespaced(group))
            except Exception as exc:  # lag is best-effort telemetry, never fatal
                raise_if_cancelling(exc)  # but a stop is a stop
                log.warning("lag_export_failed", group=group, error=repr(exc))

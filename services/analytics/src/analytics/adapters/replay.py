"""Reads topics from offset 0 with manual partition assignment (no consumer group, no commits)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadflow_common.kafka.consumer import consumed_record
from leadflow_common.kafka.dead_letter import ConsumedRecord

ApplyRecords = Callable[[list[ConsumedRecord]], Awaitable[None]]


class TopicReplay:
    def __init__(self, bootstrap_servers: str, topics: list[str], batch_size: int) -> None:
        self._topics = topics
        self._bootstrap = bootstrap_servers
        self._batch_size = batch_size
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=batch_size,
        )
        self._partitions: list[TopicPartition] = []

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(self._topics)
        finally:
            await admin.close()
        self._partitions = sorted(
            TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
        )
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)

    async def stop(self) -> None:
        await self._consumer.stop()

    async def end_offsets(self) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = await self._consumer.end_offsets(self._partitions)
        return ends

    async def replay_until(self, ends: dict[TopicPartition, int], apply: ApplyRecords) -> int:
        """Apply batches until every partition reached ``ends``; returns the records applied."""
        applied = 0
        while await self._behind(ends):
            fetched = await self._consumer.getmany(timeout_ms=500, max_records=self._batch_size)
            records = [consumed_record(r) for batch in fetched.values() for r in batch]
            if records:
                await apply(records)
                applied += len(records)
        return applied

    async def _behind(self, ends: dict[TopicPartition, int]) -> bool:
        for tp, end in ends.items():
            if await self._consumer.position(tp) < end:
                return True
        return False

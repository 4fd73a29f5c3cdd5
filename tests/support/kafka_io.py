"""Producing and reading test events on the session's namespaced topics."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from leadflow_common.events.envelope import Envelope, encode_envelope


def make_envelope(event_type: str = "TestEvent", **payload: Any) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), event_type=event_type, source="tests", payload=payload)


async def produce(bootstrap: str, topic: str, items: list[tuple[str, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, value=value, key=key.encode())
    finally:
        await producer.stop()


async def produce_envelopes(
    bootstrap: str, topic: str, envelopes: list[Envelope], key: str | None = None
) -> None:
    await produce(bootstrap, topic, [(key or str(e.event_id), encode_envelope(e)) for e in envelopes])


async def read_all(
    bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0
) -> list[ConsumerRecord[Any, Any]]:
    """Read from the beginning until ``expected`` records arrived or the deadline passed."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for items in batch.values():
                records.extend(items)
        return records
    finally:
        await consumer.stop()

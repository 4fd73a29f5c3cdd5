"""Running ingest on uvicorn in a thread of the test process, and reading what it published."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from ingest.cli import DrainingServer, server_for
from ingest.settings import IngestSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_ingest(settings: IngestSettings) -> Iterator[str]:
    """Serve ingest with ``settings`` on a free loopback port; yields its base URL."""
    with serving(settings) as (url, _server):
        yield url


@contextmanager
def serving(settings: IngestSettings) -> Iterator[tuple[str, DrainingServer]]:
    """Like running_ingest, also yielding the uvicorn server (to signal it)."""
    port = free_port()
    server = server_for(settings, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, name=f"ingest-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("ingest did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(30)


async def read_topic(bootstrap: str, topic: str, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    """Every record now on ``topic`` (up to the end offsets at call time), decoded."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not (partitions := list(consumer.assignment())):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no partitions of {topic} assigned")
            await asyncio.sleep(0.05)
        ends = await consumer.end_offsets(partitions)
        records: list[dict[str, Any]] = []
        while not await _at_end(consumer, ends):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(_decode(r) for r in batch)
        return records
    finally:
        await consumer.stop()


async def _at_end(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


def _decode(record: Any) -> dict[str, Any]:
    value = orjson.loads(record.value)
    return {
        "key": record.key.decode() if record.key else None,
        "headers": {k: v.decode() for k, v in record.headers},
        **value,
    }


def by_event_id(records: list[dict[str, Any]], event_id: str) -> list[dict[str, Any]]:
    return [r for r in records if r["event_id"] == event_id]

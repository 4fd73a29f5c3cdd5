"""Readiness checks for Kafka."""

from __future__ import annotations

from faststream.kafka import KafkaBroker


async def kafka_ready(broker: KafkaBroker, timeout_s: float = 2.0) -> None:
    """Raises when the broker connection does not answer."""
    if not await broker.ping(timeout=timeout_s):
        raise ConnectionError("Kafka broker does not answer")

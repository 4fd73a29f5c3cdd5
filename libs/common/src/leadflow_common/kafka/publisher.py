"""Publishing envelopes: encoded once, keyed, with trace context and type in the headers."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from leadflow_common.events.envelope import Envelope, EventPayload, encode_envelope
from leadflow_common.telemetry import current_traceparent, inject_trace_headers
from leadflow_common.topics import TopicSpec


def envelope_headers(envelope: Envelope) -> dict[str, str]:
    headers: dict[str, str] = {
        "event_type": envelope.event_type,
        "event_id": str(envelope.event_id),
        "schema_version": str(envelope.schema_version),
        "source": envelope.source,
    }
    inject_trace_headers(headers)
    if "traceparent" not in headers and envelope.trace:
        headers["traceparent"] = envelope.trace
    return headers


class EventPublisher:
    """Publishes envelopes and waits for the broker's acknowledgement (acks=all)."""

    def __init__(self, broker: KafkaBroker, source: str) -> None:
        self._broker = broker
        self._source = source

    def envelope(self, payload: EventPayload, **kwargs: object) -> Envelope:
        return Envelope.wrap(payload, source=self._source, trace=current_traceparent(), **kwargs)  # type: ignore[arg-type]

    async def publish(self, topic: TopicSpec, key: str, envelope: Envelope) -> None:
        await self._broker.publish(
            encode_envelope(envelope),
            topic=topic.name,
            key=key.encode(),
            headers=envelope_headers(envelope),
        )

    async def publish_payload(self, topic: TopicSpec, key: str, payload: EventPayload) -> Envelope:
        envelope = self.envelope(payload)
        await self.publish(topic, key, envelope)
        return envelope

    async def publish_tombstone(self, topic: TopicSpec, key: str) -> None:
        """A null value on a compacted topic: the key is deleted."""
        await self._broker.publish(None, topic=topic.name, key=key.encode())

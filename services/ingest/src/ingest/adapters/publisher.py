"""Producing an accepted webhook to ghl.events.v1 and waiting for the broker's ack, within a deadline."""

from __future__ import annotations

import asyncio
import time

from aiokafka.errors import KafkaError

from ingest.domain.errors import BrokerUnavailable
from ingest.domain.webhook import Webhook
from ingest.metrics import PRODUCE_SECONDS
from leadflow_common.events.envelope import Envelope
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.telemetry import current_traceparent
from leadflow_common.topics import GHL_EVENTS

SOURCE = "ingest"


def to_envelope(webhook: Webhook) -> Envelope:
    fields: dict[str, object] = {}
    if webhook.occurred_at is not None:
        fields["occurred_at"] = webhook.occurred_at
    return Envelope(
        event_id=webhook.event_id,
        event_type=webhook.event_type,
        source=SOURCE,
        trace=current_traceparent(),
        payload=webhook.body,
        **fields,
    )


class WebhookPublisher:
    def __init__(self, publisher: EventPublisher, timeout_s: float) -> None:
        self._publisher = publisher
        self._timeout_s = timeout_s

    async def publish(self, webhook: Webhook) -> None:
        """Returns once acknowledged (acks=all); raises BrokerUnavailable otherwise.

        A send cut off by the deadline may still land later: the same event_id then reaches
        consumers twice, which they deduplicate; answering 429 makes GHL retry, so nothing is lost.
        """
        started = time.perf_counter()
        outcome = "ok"
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._publisher.publish(GHL_EVENTS, webhook.key, to_envelope(webhook))
        except TimeoutError as exc:
            outcome = "timeout"
            raise BrokerUnavailable(f"no ack within {self._timeout_s}s") from exc
        except (KafkaError, OSError) as exc:
            outcome = "error"
            raise BrokerUnavailable(f"produce failed: {exc!r}") from exc
        finally:
            PRODUCE_SECONDS.labels(outcome=outcome).observe(time.perf_counter() - started)

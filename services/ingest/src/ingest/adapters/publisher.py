"""Producing an accepted webhook to ghl.events.v1 and waiting for the broker's ack, within a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from ingest.domain.envelope import encode_webhook_envelope, envelope_headers
from ingest.domain.errors import BrokerUnavailable
from ingest.domain.webhook import Webhook
from ingest.metrics import BoundMetrics


class WebhookPublisher:
    """Sends through the broker's plain aiokafka producer (acks=all): FastStream's publish
    pipeline (command object, middlewares, codec) cost more CPU than the send itself."""

    def __init__(
        self,
        producer: Callable[[], AIOKafkaProducer],
        topic: str,
        timeout_s: float,
        metrics: BoundMetrics,
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_s = timeout_s
        self._metrics = metrics

    async def publish(self, webhook: Webhook, trace: str | None) -> None:
        """Returns once acknowledged (acks=all); raises BrokerUnavailable otherwise.

        A send cut off by the deadline may still land later: the same event_id then reaches
        consumers twice, which they deduplicate; answering 429 makes GHL retry, so nothing is lost.
        """
        now = datetime.now(UTC)
        value = encode_webhook_envelope(webhook, now, trace)
        headers = envelope_headers(webhook, now, trace)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                ack = await self._producer().send(
                    self._topic, value, key=webhook.key.encode(), headers=headers
                )
                await ack
        except TimeoutError as exc:
            self._metrics.produce_timeout.observe(time.perf_counter() - started)
            raise BrokerUnavailable(f"no ack within {self._timeout_s}s") from exc
        except (KafkaError, OSError, RuntimeError) as exc:  # RuntimeError: producer not started
            self._metrics.produce_error.observe(time.perf_counter() - started)
            raise BrokerUnavailable(f"produce failed: {exc!r}") from exc
        self._metrics.produce_ok.observe(time.perf_counter() - started)

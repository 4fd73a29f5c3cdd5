"""The one Kafka connection factory: acks=all (docs/decisions/0004 on idempotence), tracing and
metrics for FastStream publishing, plus what the hot paths use directly: the platform's batch
consumers and one aiokafka producer, started and stopped with the broker
(docs/decisions/kafka-batch-consumer.md)."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import REGISTRY, CollectorRegistry

from leadflow_common.settings import KafkaSettings

if TYPE_CHECKING:
    from leadflow_common.kafka.batch_consumer import BatchConsumer


def producer_options(settings: KafkaSettings, client_id: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        # Not the idempotent producer: aiokafka's gets stuck after a broker restart that expired
        # in-flight batches (OutOfOrderSequenceNumber on every later send, until the process
        # restarts: seen in tests/e2e/test_faults_kafka.py). Duplicates from retries are harmless,
        # every consumer dedupes on the envelope's event_id (docs/decisions/0004).
        "enable_idempotence": False,
        "request_timeout_ms": settings.request_timeout_ms,
        # A sequential publisher pays any linger on every message (2 ms capped one at ~350 msg/s
        # vs ~2,000 with 0); batch publishers send a whole batch before awaiting, and concurrent
        # ones (ingest) batch what accumulates while a request is in flight.
        "linger_ms": 0,
        # aiokafka's default (16 KiB, ~8 LeadAssigned events) made a batch publisher wait for
        # the sender after every few records of a partition: one produce request, one socket
        # write each (12 % of a router's CPU). Below the broker's 1 MiB message.max.bytes.
        "max_batch_size": 512 * 1024,
        **settings.security_options(),
    }


class LeadflowBroker(KafkaBroker):
    """FastStream's broker (publishing, AsyncAPI) that also runs the platform's consumers and a
    plain aiokafka producer for the hot paths."""

    def __init__(self, settings: KafkaSettings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._producer_options = producer_options(settings, f"{kwargs['client_id']}-direct")
        self._consumers: list[BatchConsumer] = []
        self._direct: AIOKafkaProducer | None = None
        self._consumers_running = False

    def attach(self, consumer: BatchConsumer) -> None:
        self._consumers.append(consumer)

    @property
    def consumers(self) -> tuple[BatchConsumer, ...]:
        return tuple(self._consumers)

    @property
    def direct_producer(self) -> AIOKafkaProducer:
        """The started aiokafka producer (acks=all); RuntimeError while not started."""
        if self._direct is None:
            raise RuntimeError("Kafka broker is not connected")
        return self._direct

    async def start(self) -> None:
        await super().start()
        if self._direct is None:
            producer = AIOKafkaProducer(**self._producer_options)
            await producer.start()
            self._direct = producer
        if not self._consumers_running:
            for consumer in self._consumers:
                await consumer.start()
            self._consumers_running = True

    async def stop(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> None:
        try:
            if self._consumers_running:
                self._consumers_running = False
                for consumer in self._consumers:
                    await consumer.stop()
        finally:
            if self._direct is not None:
                producer, self._direct = self._direct, None
                await producer.stop()
            await super().stop(exc_type, exc_val, exc_tb)


def faststream_security(settings: KafkaSettings) -> BaseSecurity | None:
    """The same TLS / SASL settings in FastStream's terms (its broker takes no aiokafka options)."""
    options = settings.security_options()
    if not options:
        return None
    ssl_context = options.get("ssl_context")
    use_ssl = settings.security_protocol in ("SSL", "SASL_SSL")
    if not settings.security_protocol.startswith("SASL"):
        return BaseSecurity(ssl_context=ssl_context, use_ssl=use_ssl)
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    kind = sasl[options["sasl_mechanism"]]
    user, password = options["sasl_plain_username"], options["sasl_plain_password"]
    return kind(user, password, ssl_context=ssl_context, use_ssl=use_ssl)


def make_broker(
    settings: KafkaSettings,
    service: str,
    registry: CollectorRegistry = REGISTRY,
) -> LeadflowBroker:
    client_id = f"{settings.client_id_prefix}-{service}"
    options = producer_options(settings, client_id)
    for name in ("bootstrap_servers", *settings.security_options()):
        options.pop(name)
    return LeadflowBroker(
        settings,
        bootstrap_servers=settings.bootstrap_servers,
        graceful_timeout=15.0,
        middlewares=(
            KafkaTelemetryMiddleware(),
            KafkaPrometheusMiddleware(registry=registry, app_name=service),
        ),
        logger=None,
        security=faststream_security(settings),
        **options,
    )


def broker_producer(broker: KafkaBroker) -> AIOKafkaProducer:
    """The started direct producer of a broker made by ``make_broker``."""
    if not isinstance(broker, LeadflowBroker):
        raise TypeError("brokers come from leadflow_common.kafka.broker.make_broker")
    return broker.direct_producer

"""The one Kafka broker factory: acks=all (see docs/decisions/0004 on idempotence), tracing and metrics."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry

from leadflow_common.settings import KafkaSettings


def make_broker(
    settings: KafkaSettings,
    service: str,
    registry: CollectorRegistry = REGISTRY,
) -> KafkaBroker:
    return KafkaBroker(
        settings.bootstrap_servers,
        client_id=f"{settings.client_id_prefix}-{service}",
        acks="all",
        # Not the idempotent producer: aiokafka's gets stuck after a broker restart that expired
        # in-flight batches (OutOfOrderSequenceNumber on every later send, until the process
        # restarts: seen in tests/e2e/test_faults_kafka.py). Duplicates from retries are harmless,
        # every consumer dedupes on the envelope's event_id (docs/decisions/0004).
        enable_idempotence=False,
        request_timeout_ms=settings.request_timeout_ms,
        # Consumers publish one awaited message at a time: any linger is paid on every message
        # (2 ms capped a sequential publisher at ~350 msg/s vs ~2,000 with 0); concurrent
        # producers (ingest) still batch what accumulates while a request is in flight.
        linger_ms=0,
        graceful_timeout=15.0,
        middlewares=(
            KafkaTelemetryMiddleware(),
            KafkaPrometheusMiddleware(registry=registry, app_name=service),
        ),
        logger=None,
    )


def broker_producer(broker: KafkaBroker) -> AIOKafkaProducer:
    """The started aiokafka producer behind ``broker`` (acks=all, idempotent, as configured above).

    For hot paths where FastStream's publish pipeline (command object, middlewares, codec) costs
    more than the send itself. Raises RuntimeError while the broker is not connected.
    """
    producer = getattr(getattr(broker.config.producer, "_producer", None), "producer", None)
    if not isinstance(producer, AIOKafkaProducer):
        raise RuntimeError("Kafka broker is not connected")
    return producer

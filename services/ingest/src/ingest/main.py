"""Wiring: settings → Redis, Kafka producer, verifier → FastAPI app. Nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from ingest.adapters.dedup import WebhookDeduplicator
from ingest.adapters.keys import load_verifier
from ingest.adapters.publisher import SOURCE, WebhookPublisher
from ingest.api import WebhookEndpoint, WebhookFastPath, webhook_router
from ingest.domain.signature import SignatureVerifier
from ingest.handlers import IngestDeps
from ingest.inflight import InFlight
from ingest.settings import IngestSettings
from leadflow_common.http import Readiness, ops_router
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.health import kafka_ready
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.logging import configure_logging, get_logger
from leadflow_common.redis import make_redis, redis_ready
from leadflow_common.telemetry import setup_tracing

log = get_logger(__name__)


def build_verifier(settings: IngestSettings) -> SignatureVerifier | None:
    if not settings.verify_signatures:
        log.warning("signature_verification_disabled", hint="every request is trusted; never in production")
        return None
    return load_verifier(settings.public_keys)


def create_app(settings: IngestSettings | None = None, *, configure: bool = True) -> FastAPI:
    settings = settings or IngestSettings()
    if configure:
        configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.log_json)
        setup_tracing(settings.service_name, settings.telemetry.exporter)
    broker: KafkaBroker = make_broker(settings.kafka, settings.service_name)
    redis: Redis = make_redis(settings.redis)
    in_flight = InFlight()
    readiness = Readiness({})
    if settings.readiness_requires_dependencies:
        readiness.add_check("kafka", lambda: kafka_ready(broker))
        readiness.add_check("redis", lambda: redis_ready(redis))
    deps = IngestDeps(
        verifier=build_verifier(settings),
        replay_store=WebhookDeduplicator(redis, settings.dedup_ttl_s, settings.inflight_ttl_s),
        publisher=WebhookPublisher(EventPublisher(broker, SOURCE, direct=True), settings.produce_timeout_s),
        tolerance=timedelta(seconds=settings.timestamp_tolerance_s),
        require_timestamp=settings.require_timestamp,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await broker.connect()
        readiness.started = True
        log.info("ingest_started", kafka=settings.kafka.bootstrap_servers, verify=settings.verify_signatures)
        try:
            yield
        finally:
            readiness.draining = True
            if not await in_flight.wait_idle(settings.shutdown_drain_s):
                log.warning("ingest_drain_timeout", in_flight=in_flight.count)
            await broker.stop()  # flushes the producer
            await redis.aclose()
            log.info("ingest_stopped")

    app = FastAPI(
        title="leadflow ingest",
        version="1",
        description="GHL webhooks → ghl.events.v1: verified, replay-safe, 200 only after the broker's ack.",
        lifespan=lifespan,
        # One route: the server span already is the operation; a second span per request costs CPU.
        # No OTel meter/logger provider is installed (Prometheus and structlog instead): skip the
        # per-request checks for them.
        telemetry={"operation_spans": False, "metrics": False, "logs": False},
    )
    app.state.readiness = readiness
    app.state.in_flight = in_flight
    app.include_router(webhook_router(deps, in_flight, settings.max_body_bytes, settings.retry_after_s))
    # The same endpoint without FastAPI's routing and dependency solving (about half the CPU of a request).
    endpoint = WebhookEndpoint(deps, in_flight, settings.max_body_bytes, settings.retry_after_s)
    app.add_middleware(WebhookFastPath, endpoint=endpoint)
    app.include_router(ops_router(readiness, REGISTRY))
    return app

"""Wiring: settings → Redis, Kafka producer, verifier → the served app. Nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from ingest.adapters.dedup import WebhookDeduplicator
from ingest.adapters.keys import load_verifier
from ingest.adapters.publisher import WebhookPublisher
from ingest.api import webhook_router
from ingest.domain.signature import SignatureVerifier
from ingest.domain.webhook import FreshnessWindow
from ingest.endpoint import WebhookEndpoint
from ingest.fastpath import IngestApp
from ingest.handlers import IngestDeps
from ingest.inflight import InFlight
from ingest.metrics import BoundMetrics
from ingest.settings import IngestSettings
from leadflow_common.http import Readiness, instrument_http, ops_router
from leadflow_common.kafka.broker import broker_producer, make_broker
from leadflow_common.kafka.health import kafka_ready
from leadflow_common.logging import configure_logging, get_logger
from leadflow_common.redis import make_redis, redis_ready
from leadflow_common.telemetry import setup_tracing
from leadflow_common.topics import GHL_EVENTS

log = get_logger(__name__)


def build_verifier(settings: IngestSettings) -> SignatureVerifier | None:
    if not settings.verify_signatures:
        log.warning("signature_verification_disabled", hint="every request is trusted; never in production")
        return None
    return load_verifier(settings.public_keys)


def freshness_window(settings: IngestSettings) -> FreshnessWindow:
    return FreshnessWindow(
        max_age=timedelta(seconds=settings.timestamp_max_age_s),
        future_skew=timedelta(seconds=settings.timestamp_future_skew_s),
        required=settings.require_timestamp,
    )


def create_app(settings: IngestSettings | None = None, *, configure: bool = True) -> IngestApp:
    settings = settings or IngestSettings()
    if configure:
        configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.log_json)
        setup_tracing(settings.service_name, settings.telemetry.exporter)
    broker = make_broker(settings.kafka, settings.service_name)
    redis: Redis = make_redis(settings.redis)
    in_flight = InFlight()
    metrics = BoundMetrics()
    readiness = Readiness({})
    if settings.readiness_requires_dependencies:
        readiness.add_check("kafka", lambda: kafka_ready(broker))
        readiness.add_check("redis", lambda: redis_ready(redis))
    replay_store = WebhookDeduplicator(redis, settings.dedup_ttl_s, settings.inflight_ttl_s)
    deps = IngestDeps(
        verifier=build_verifier(settings),
        replay_store=replay_store,
        publisher=WebhookPublisher(
            lambda: broker_producer(broker), GHL_EVENTS.name, settings.produce_timeout_s, metrics
        ),
        window=freshness_window(settings),
    )
    endpoint = WebhookEndpoint(deps, in_flight, settings.max_body_bytes, settings.retry_after_s, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await broker.start()  # no subscribers: connects the producers
        readiness.started = True
        log.info("ingest_started", kafka=settings.kafka.bootstrap_servers, verify=settings.verify_signatures)
        try:
            yield
        finally:
            readiness.draining = True
            if not await in_flight.wait_idle(settings.shutdown_drain_s):
                log.warning("ingest_drain_timeout", in_flight=in_flight.count)
            await replay_store.drain()  # confirmations not yet sent
            await broker.stop()  # flushes the producer
            await redis.aclose()
            log.info("ingest_stopped")

    api = FastAPI(
        title="leadflow ingest",
        version="1",
        description="GHL webhooks → ghl.events.v1: verified, replay-safe, 200 only after the broker's ack.",
        lifespan=lifespan,
        # Webhooks never reach this app's middlewares (IngestApp answers them first); for the ops
        # routes one server span is the operation, and no OTel meter/logger provider is installed.
        telemetry={"operation_spans": False, "metrics": False, "logs": False},
    )
    api.state.readiness = readiness
    api.state.in_flight = in_flight
    api.include_router(webhook_router(endpoint))
    api.include_router(ops_router(readiness, REGISTRY))
    instrument_http(api)  # ops and documented routes; IngestApp answers the webhook fast path first
    return IngestApp(api, endpoint)

"""Wiring: builds the adapters, the projector, the broker and the FastAPI app. Nothing runs at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.adapters.cache import ResponseCache
from analytics.adapters.projections import ProjectionStore
from analytics.adapters.queries import AnalyticsQueries
from analytics.adapters.read_pool import ReadPool
from analytics.adapters.tables import processed_events
from analytics.api import build_router
from analytics.consumer import CONSUMED_TOPICS, subscribe_projector
from analytics.dashboard import dashboard_router
from analytics.domain.performance import UnknownMetric
from analytics.handlers import BatchProjector
from analytics.ops_views import Upstream, UpstreamViews, ops_views_router
from analytics.paging import BadCursor
from analytics.reports import LocationNotFound
from analytics.runtime import tune_collector
from analytics.settings import AnalyticsSettings
from leadflow_common.db import make_engine, make_sessionmaker, ping
from leadflow_common.http import Readiness, instrument_http, ops_router
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.health import kafka_ready
from leadflow_common.kafka.lag import LagExporter
from leadflow_common.logging import configure_logging, get_logger
from leadflow_common.pruning import ProcessedEventsPruner
from leadflow_common.redis import make_redis, redis_ready
from leadflow_common.runtime import freeze_startup_heap
from leadflow_common.telemetry import setup_tracing

log = get_logger(__name__)


@dataclass
class Service:
    settings: AnalyticsSettings
    engine: AsyncEngine
    redis: Redis
    cache: ResponseCache
    broker: KafkaBroker
    projector: BatchProjector


def build_service(settings: AnalyticsSettings) -> Service:
    engine = make_engine(settings.database_url, settings.db_schema)
    sessions = make_sessionmaker(engine)
    redis = make_redis(settings.redis)
    cache = ResponseCache(redis, settings.redis_prefix, settings.cache_ttl_s)
    store = ProjectionStore(sessions, settings.consumer_group, replica=settings.replica_id)
    projector = BatchProjector(store)
    broker = make_broker(settings.kafka, settings.service_name)
    if settings.consume:
        subscribe_projector(broker, projector, settings)
        tune_collector(settings.gc_gen0_threshold)
    return Service(settings, engine, redis, cache, broker, projector)


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    settings = settings or AnalyticsSettings()
    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.log_json)
    setup_tracing(settings.service_name, settings.telemetry.exporter)
    service = build_service(settings)
    sessions = make_sessionmaker(service.engine)
    pruner = ProcessedEventsPruner("analytics", sessions, processed_events, CONSUMED_TOPICS, settings)
    readiness = Readiness(
        {
            "postgres": lambda: ping(service.engine),
            "redis": lambda: redis_ready(service.redis),
            "kafka": lambda: kafka_ready(service.broker),
        }
    )
    reads = ReadPool(settings.database_url, settings.db_schema)
    lag = LagExporter(settings.kafka.bootstrap_servers, [settings.consumer_group], settings.lag_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.consume:  # refuses to start with a retention below the topics' own
            await pruner.start()
        await reads.start()
        await service.broker.start()
        if settings.consume:
            lag.start()
        readiness.started = True
        # measured here too: full collections re-walking the start-up heap cost a third of a busy
        # consumer's CPU (docs/decisions/runtime-freeze-startup-heap.md)
        freeze_startup_heap()
        log.info("analytics_started", consume=settings.consume, schema=settings.db_schema)
        try:
            yield
        finally:
            readiness.draining = True
            await pruner.stop()
            await lag.stop()
            await service.broker.stop()
            await reads.close()
            await service.redis.aclose()
            await service.engine.dispose()
            await views.aclose()

    views = UpstreamViews(
        Upstream(
            "router",
            "ANALYTICS_ROUTER_URL",
            settings.router_url,
            settings.router_api_token.get_secret_value(),
        ),
        Upstream(
            "onboarding",
            "ANALYTICS_ONBOARDING_URL",
            settings.onboarding_url,
            settings.onboarding_api_token.get_secret_value(),
        ),
    )
    app = FastAPI(title="leadflow analytics", version="1", lifespan=lifespan)
    app.state.service = service
    app.include_router(ops_router(readiness))
    instrument_http(app)
    app.include_router(
        build_router(
            AnalyticsQueries(reads, settings.read_rollup),
            service.cache,
            settings.api_token.get_secret_value(),
        )
    )
    app.include_router(ops_views_router(views, settings.api_token.get_secret_value()))
    app.include_router(dashboard_router())
    _error_handlers(app)
    return app


def _error_handlers(app: FastAPI) -> None:
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"unknown location {exc}"}, status_code=404)

    async def bad_request(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"{type(exc).__name__}: {exc}"}, status_code=400)

    app.add_exception_handler(LocationNotFound, not_found)
    app.add_exception_handler(UnknownMetric, bad_request)
    app.add_exception_handler(BadCursor, bad_request)

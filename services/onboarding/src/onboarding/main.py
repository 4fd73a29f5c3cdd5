"""Wiring: builds the adapters, the saga context, the broker, the scheduler and the FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow_common.db import make_engine, make_sessionmaker, ping
from leadflow_common.ghl import GhlClient, GhlSettings
from leadflow_common.http import Readiness, instrument_http, ops_router
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.health import kafka_ready
from leadflow_common.kafka.lag import LagExporter
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.logging import configure_logging, get_logger
from leadflow_common.pruning import ProcessedEventsPruner
from leadflow_common.redis import make_redis, redis_ready
from leadflow_common.telemetry import setup_tracing
from leadflow_common.topics import ONBOARDING_COMMANDS
from onboarding.adapters.events import KafkaEventSink
from onboarding.adapters.ghl import GhlAdapter
from onboarding.adapters.store import PostgresSagaStore
from onboarding.adapters.tables import processed_events
from onboarding.api import build_router
from onboarding.consumer import subscribe_commands
from onboarding.directory.expiry import PauseExpiry
from onboarding.directory.http import build_directory_router
from onboarding.directory.service import LocationDirectory
from onboarding.domain.saga import RetryPolicy
from onboarding.saga.context import SagaConfig, SagaContext
from onboarding.saga.scheduler import SagaScheduler
from onboarding.settings import OnboardingSettings

log = get_logger(__name__)


def saga_config(settings: OnboardingSettings) -> SagaConfig:
    return SagaConfig(
        snapshot_id=settings.snapshot_id,
        default_timezone=settings.default_timezone,
        retry=RetryPolicy(settings.step_max_attempts, settings.step_backoff_s, settings.step_backoff_max_s),
        push_poll_initial_s=settings.push_poll_initial_s,
        push_poll_max_s=settings.push_poll_max_s,
        push_poll_budget_s=settings.push_poll_budget_s,
    )


@dataclass
class Service:
    """Everything the running service holds, so tests and the CLI can start and stop it."""

    settings: OnboardingSettings
    engine: AsyncEngine
    redis: Redis
    ghl: GhlClient
    broker: KafkaBroker
    ctx: SagaContext
    scheduler: SagaScheduler
    lag: LagExporter
    directory: LocationDirectory
    pause_expiry: PauseExpiry

    async def start(self) -> None:
        await self.broker.start()
        self.scheduler.start()
        self.pause_expiry.start()
        self.lag.start()
        log.info("onboarding_started", owner=self.scheduler.owner)

    async def stop(self) -> None:
        await self.lag.stop()
        await self.pause_expiry.stop()
        await self.broker.stop()  # no new commands first, then the sagas in flight stop
        await self.scheduler.stop()
        await self.ghl.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


def build_service(settings: OnboardingSettings, ghl_settings: GhlSettings | None = None) -> Service:
    # A runner paused inside a transaction must not hold its saga's row past the lease.
    idle_ms = int(settings.lease_s * 1000)
    engine = make_engine(settings.database_url, settings.db_schema, idle_in_transaction_timeout_ms=idle_ms)
    sessions = make_sessionmaker(engine)
    store = PostgresSagaStore(sessions)
    redis = make_redis(settings.redis)
    ghl_settings = ghl_settings or GhlSettings()
    client = GhlClient(ghl_settings, redis)
    broker = make_broker(settings.kafka, settings.service_name)
    events = KafkaEventSink(EventPublisher(broker, settings.service_name), settings.default_timezone)
    ctx = SagaContext(store, GhlAdapter(client, ghl_settings.app_id), events, saga_config(settings))
    scheduler = SagaScheduler(ctx, settings.concurrency, settings.lease_s, settings.scheduler_poll_s)
    subscribe_commands(broker, ctx, settings.consumer_group, settings.kafka, scheduler.wake)
    lag = LagExporter(settings.kafka.bootstrap_servers, [settings.consumer_group], settings.lag_interval_s)
    directory = LocationDirectory(sessions, events)
    expiry = PauseExpiry(directory)
    return Service(settings, engine, redis, client, broker, ctx, scheduler, lag, directory, expiry)


def create_app(settings: OnboardingSettings | None = None) -> FastAPI:
    settings = settings or OnboardingSettings()
    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.log_json)
    setup_tracing(settings.service_name, settings.telemetry.exporter)
    service = build_service(settings)
    sessions = make_sessionmaker(service.engine)
    pruner = ProcessedEventsPruner("onboarding", sessions, processed_events, (ONBOARDING_COMMANDS,), settings)
    readiness = Readiness(
        {
            "kafka": partial(kafka_ready, service.broker),
            "postgres": partial(ping, service.engine),
            "redis": partial(redis_ready, service.redis),
        }
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pruner.start()  # refuses to start with a retention below the topics' own
        await service.start()
        readiness.started = True
        try:
            yield
        finally:
            readiness.draining = True
            await pruner.stop()
            await service.stop()

    app = FastAPI(title="leadflow onboarding", lifespan=lifespan)
    app.include_router(ops_router(readiness))
    instrument_http(app)
    app.include_router(build_router(service.ctx.store, settings.api_token))
    app.include_router(build_directory_router(service.directory, settings.api_token))
    return app

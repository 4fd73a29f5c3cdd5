"""The router process: FastAPI app whose lifespan loads the directory, starts the consumers and
the background loops (directory watch, counter reconciliation, lag export)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI

from leadflow_common.db import ping
from leadflow_common.ghl import GhlSettings
from leadflow_common.http import Readiness, instrument_http, ops_router
from leadflow_common.kafka.health import kafka_ready
from leadflow_common.kafka.lag import LagExporter
from leadflow_common.logging import configure_logging, get_logger
from leadflow_common.periodic import run_every
from leadflow_common.pruning import ProcessedEventsPruner
from leadflow_common.redis import redis_ready
from leadflow_common.runtime import freeze_startup_heap
from leadflow_common.telemetry import setup_tracing
from leadflow_common.topics import GHL_EVENTS
from router.adapters.tables import processed_events
from router.api import api
from router.consumer import subscribe
from router.policy_api import policy_api
from router.policy_reload import policy_of
from router.pool_api import pool_api
from router.pool_wiring import build_pool, pool_of, subscribe_pool
from router.reconcile_worker import InProcess, in_process
from router.services import RouterServices, build_services
from router.settings import DIRECTORY_GROUP, ROUTING_GROUP, SYNC_GROUP, RouterSettings

log = get_logger(__name__)


async def every(interval_s: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
    """Run ``job`` forever at a fixed interval, the first time after one; a failure is logged."""
    await run_every(interval_s, job, "background_job_failed", first_now=False, job=name)


async def directory_ready(svc: RouterServices) -> None:
    if not await svc.redis_directory.is_loaded():
        raise RuntimeError("location directory not loaded in Redis")


def readiness_for(svc: RouterServices) -> Readiness:
    return Readiness(
        {
            "kafka": lambda: kafka_ready(svc.broker),
            "postgres": lambda: ping(svc.engine),
            "redis": lambda: redis_ready(svc.redis),
            "directory": lambda: directory_ready(svc),
        }
    )


@contextlib.asynccontextmanager
async def running(svc: RouterServices, readiness: Readiness) -> AsyncIterator[None]:
    settings = svc.settings
    # the routing group's dedup rows; refuses to start with a retention below the topics' own
    pruner = ProcessedEventsPruner("router", svc.sessions, processed_events, (GHL_EVENTS,), settings)
    await pruner.start()
    if not await svc.directory.ensure_loaded():
        await svc.directory.reconcile()
    await svc.decider.refresh_timezones()
    await svc.locations.refresh()
    await policy_of(svc).reload(force=True)  # the stored routing policy before the first lead
    subscribe(svc.broker, settings.kafka, svc.routing, svc.batch_routing, svc.directory, svc.sync)
    pool = pool_of(svc)
    subscribe_pool(svc.broker, svc, pool)
    freeze_startup_heap()
    await svc.broker.start()
    routes = settings.routing_enabled
    groups = ([ROUTING_GROUP] if routes else []) + [DIRECTORY_GROUP] + ([SYNC_GROUP] if svc.sync else [])
    groups += pool.groups
    lag = LagExporter(settings.kafka.bootstrap_servers, groups)
    lag.start()
    tasks = [
        asyncio.create_task(
            every(settings.directory_watch_interval_s, "directory", svc.directory.ensure_loaded)
        ),
        asyncio.create_task(every(settings.reconcile_interval_s, "reconcile", svc.directory.reconcile)),
        asyncio.create_task(
            every(settings.directory_watch_interval_s, "location-cache", svc.locations.refresh)
        ),
        asyncio.create_task(every(settings.policy_poll_interval_s, "policy", policy_of(svc).reload)),
    ]
    if svc.sla is not None and routes:
        tasks.append(asyncio.create_task(every(settings.sla_poll_interval_s, "sla", svc.sla.run_once)))
    if pool.settings.redrive_enabled and routes:  # pool leads routed again when their reason goes away
        tasks.append(asyncio.create_task(every(pool.settings.poll_interval_s, "pool", pool.redrive.run_once)))
    reconcile = svc.extras.get("contact_reconcile")
    if isinstance(reconcile, InProcess):  # leads whose webhook GHL never sent
        job = reconcile.reconciler.run_once
        tasks.append(
            asyncio.create_task(every(settings.contact_reconcile_interval_s, "contact-reconcile", job))
        )
    readiness.started = True
    log.info("router_started", groups=groups)
    try:
        yield
    finally:
        readiness.draining = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await lag.stop()
        await svc.broker.stop()
        await pruner.stop()
        if isinstance(reconcile, InProcess):
            await reconcile.aclose()
        await svc.aclose()


def create_app(settings: RouterSettings | None = None, ghl_settings: GhlSettings | None = None) -> FastAPI:
    settings = settings or RouterSettings()
    configure_logging("router", settings.telemetry.log_level, settings.telemetry.log_json)
    setup_tracing("router", settings.telemetry.exporter)
    svc = build_services(settings, ghl_settings)
    build_pool(svc)
    svc.extras["contact_reconcile"] = in_process(svc, ghl_settings)
    readiness = readiness_for(svc)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(svc, readiness):
            yield

    app = FastAPI(title="leadflow router", lifespan=lifespan)
    app.state.services = svc
    app.include_router(ops_router(readiness))
    instrument_http(app)
    app.include_router(api)
    app.include_router(pool_api)
    app.include_router(policy_api)
    return app

"""Wiring of the contact reconciler: inside the router process (a background loop next to the
consumers) or on its own (``router reconcile [--once]``)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.ghl import GhlClient, GhlSettings
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.logging import get_logger
from leadflow_common.periodic import run_every
from leadflow_common.redis import make_redis
from router.adapters.reconcile_store import ReconcileStore
from router.handlers.ports import Publisher
from router.handlers.reconcile import AccountReport, ContactReconciler, ContactSearch
from router.services import RouterServices
from router.settings import RouterSettings

log = get_logger(__name__)


def replica_id() -> str:
    """The lease owner: unique per process, readable in the table (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def build_reconciler(
    settings: RouterSettings,
    sessions: async_sessionmaker[AsyncSession],
    ghl: ContactSearch,
    publisher: Publisher,
) -> ContactReconciler:
    store = ReconcileStore(sessions, replica_id(), settings.contact_reconcile_lease_s)
    return ContactReconciler(settings, store, ghl, publisher)


def ghl_settings_or_none(explicit: GhlSettings | None) -> GhlSettings | None:
    if explicit is not None:
        return explicit
    try:
        return GhlSettings()
    except ValidationError:
        return None  # no GHL credentials in the environment


@dataclass
class InProcess:
    reconciler: ContactReconciler
    owned_ghl: GhlClient | None  # a client the router built only for the reconciler

    async def aclose(self) -> None:
        if self.owned_ghl is not None:
            await self.owned_ghl.aclose()


def in_process(svc: RouterServices, ghl_settings: GhlSettings | None) -> InProcess | None:
    """The reconciler of a router process, or None (disabled, nothing to list, or no GHL access)."""
    settings = svc.settings
    if not settings.contact_reconcile_enabled:
        return None
    if not settings.intake_location_ids:
        log.warning("contact_reconcile_off", reason="no intake location ids to list")
        return None
    owned: GhlClient | None = None
    ghl = svc.ghl
    if ghl is None:
        resolved = ghl_settings_or_none(ghl_settings)
        if resolved is None:
            log.warning("contact_reconcile_off", reason="no GHL settings (GHL_AGENCY_TOKEN, ...)")
            return None
        ghl = owned = GhlClient(resolved, svc.redis)
    publisher = EventPublisher(svc.broker, "router")
    return InProcess(build_reconciler(settings, svc.sessions, ghl, publisher), owned)


@asynccontextmanager
async def standalone(settings: RouterSettings, ghl_settings: GhlSettings) -> AsyncIterator[ContactReconciler]:
    """A reconciler with its own connections (the CLI): Postgres, Redis (limiter), Kafka producer."""
    engine = make_engine(settings.database_url, settings.db_schema, pool_size=2)
    redis = make_redis(settings.redis)
    broker = make_broker(settings.kafka, "router-reconcile")
    ghl = GhlClient(ghl_settings, redis)
    try:
        await broker.start()
        yield build_reconciler(settings, make_sessionmaker(engine), ghl, EventPublisher(broker, "router"))
    finally:
        await broker.stop()
        await ghl.aclose()
        await redis.aclose()
        await engine.dispose()


async def run_forever(reconciler: ContactReconciler, interval_s: float) -> None:
    """Run now, then every ``interval_s``; a failed run is logged and the next one tried."""
    await run_every(interval_s, reconciler.run_once, "contact_reconcile_failed")


def summary(reports: list[AccountReport]) -> list[dict[str, object]]:
    return [{**r.as_log(), "recovered_ids": r.recovered} for r in reports]

"""The sync's batch consumer wired the way production wires it (``subscribe_batches`` on
leads.assigned.v1 with ``SyncHandler.handle_batch``), next to a router or alone, plus helpers to
publish LeadAssigned events and read what the simulator saw."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.events.leads import LeadAssigned, LeadContact
from leadflow_common.ghl import GhlClient, GhlSettings
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.consumer import subscribe_batches, subscribe_records
from leadflow_common.kafka.publisher import EventPublisher
from leadflow_common.redis import make_redis
from leadflow_common.settings import KafkaSettings, RedisSettings
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters.ghl_sync import GhlLeadSync
from router.handlers.sync import SyncHandler
from router.settings import SYNC_GROUP
from tests.support.ghl import GhlSim
from tests.support.infra import Infra
from tests.support.kafka_io import produce

SYNC_MAX_RECORDS = 500  # what production wires (services/router/README.md, GHL sync)


@dataclass
class RunningSync:
    handler: SyncHandler
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    client: GhlClient


@asynccontextmanager
async def running_sync(
    infra: Infra,
    schema: str,
    ghl: GhlSettings,
    *,
    tag_source: bool = True,
    per_record: bool = False,
    max_records: int = SYNC_MAX_RECORDS,
    group: str = SYNC_GROUP,
) -> AsyncIterator[RunningSync]:
    """``per_record``: the former path (``SyncHandler.handle``, one record per call)."""
    kafka = KafkaSettings(bootstrap_servers=infra.kafka, retry_backoff_s=0.05, transient_retries=2)
    engine = make_engine(infra.service_db_url("router"), schema)
    sessions = make_sessionmaker(engine)
    redis = make_redis(RedisSettings(url=infra.redis_url))
    broker = make_broker(kafka, "router-sync-test", registry=CollectorRegistry())
    client = GhlClient(ghl, redis)
    publisher = EventPublisher(broker, "router")
    handler = SyncHandler(sessions, GhlLeadSync(client), publisher, tag_source=tag_source)
    if per_record:
        subscribe_records(broker, LEADS_ASSIGNED, group, handler.handle, kafka)
    else:
        subscribe_batches(
            broker, [LEADS_ASSIGNED], group, handler.handle_batch, kafka, max_records=max_records
        )
    await broker.start()
    try:
        yield RunningSync(handler, engine, sessions, client)
    finally:
        await broker.stop()
        await client.aclose()
        await redis.aclose()
        await engine.dispose()


def lead_assigned(
    lead_id: str,
    location_id: str,
    ghl_location_id: str,
    intake: str,
    contact: LeadContact | None = None,
    rule: str = "radius_25",
) -> Envelope:
    payload = LeadAssigned(
        lead_id=lead_id, source_location_id=intake, location_id=location_id,
        ghl_location_id=ghl_location_id, rule=rule, score=50.0, geocode_method="postal_code",
        capacity_date=date.today(), decided_at=datetime.now(UTC), contact=contact,
    )  # fmt: skip
    return Envelope.wrap(payload, source="tests")


async def publish_assigned(infra: Infra, envelopes: list[Envelope]) -> None:
    items: list[tuple[str, bytes | None]] = [
        (str(e.payload["lead_id"]), encode_envelope(e)) for e in envelopes
    ]
    await produce(infra.kafka, LEADS_ASSIGNED.name, items)


def new_contact(i: int) -> LeadContact:
    return LeadContact(
        firstName=f"Lead{i}", lastName="Tester", email=f"lead{i}-{uuid.uuid4().hex[:6]}@example.com",
        phone=f"+1512555{i:04d}", postalCode="78701", source="website", tags=["trial"],
    )  # fmt: skip


@asynccontextmanager
async def intake_and_franchise(
    ghl_sim: GhlSim, infra: Infra, intake_name: str, franchise_name: str, first_name: str
) -> AsyncIterator[dict[str, str]]:
    """An intake and a franchise sub-account in the simulator, the app installed on both, and one
    source contact on the intake: {"intake", "franchise", "contact"} ids."""
    client = GhlClient(ghl_sim.settings(), make_redis(RedisSettings(url=infra.redis_url)))
    try:
        intake = await client.create_location(name=intake_name)
        franchise = await client.create_location(name=franchise_name)
        for location in (intake, franchise):
            ghl_sim.admin.post(f"/locations/{location.id}/install").raise_for_status()
        email = f"{first_name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
        source = await client.upsert_contact(intake.id, {"firstName": first_name, "email": email})
        yield {"intake": intake.id, "franchise": franchise.id, "contact": source.id}
    finally:
        await client.aclose()

"""Applying assignments in GHL (the simulator): contact copied, source tagged, LeadSynced published."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from leadflow_common.events.envelope import decode_envelope
from leadflow_common.ghl import GhlClient
from leadflow_common.redis import make_redis
from leadflow_common.settings import RedisSettings
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, eventually, running_router
from tests.support.ghl import GhlSim
from tests.support.infra import Infra
from tests.support.kafka_io import read_all


@pytest.fixture(scope="module")
async def ghl_world(ghl_sim: GhlSim, infra: Infra) -> AsyncIterator[dict[str, Any]]:
    client = GhlClient(ghl_sim.settings(), make_redis(RedisSettings(url=infra.redis_url)))
    try:
        intake = await client.create_location(name="Corporate intake")
        franchise = await client.create_location(name="Fit Austin")
        for location in (intake, franchise):
            ghl_sim.admin.post(f"/locations/{location.id}/install").raise_for_status()
        source = await client.upsert_contact(
            intake.id, {"firstName": "Dana", "email": f"dana-{uuid.uuid4().hex[:6]}@example.com"}
        )
        yield {"intake": intake.id, "franchise": franchise.id, "contact": source.id}
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
async def sync_router(
    infra: Infra,
    router_schema: str,
    ghl_sim: GhlSim,
    ghl_world: dict[str, Any],
) -> AsyncIterator[RunningRouter]:
    await asyncio.to_thread(default_gazetteer)
    async with running_router(
        infra, router_schema, ghl=ghl_sim.settings(), sync_enabled=True,
        intake_location_ids=[ghl_world["intake"]],
    ) as running:  # fmt: skip
        yield running


async def test_assignment_is_applied_in_ghl_and_lead_synced_published(
    sync_router: RunningRouter,
    ghl_sim: GhlSim,
    ghl_world: dict[str, Any],
    infra: Infra,
) -> None:
    place = default_gazetteer().by_postal_code("78701")
    assert place is not None
    await sync_router.publish_location(
        "ATX-9", "78701", place.lat, place.lon, 10, "TX", ghl_location_id=ghl_world["franchise"]
    )
    await sync_router.wait_location("ATX-9", "active")
    lead = ghl_world["contact"]
    await sync_router.publish_contact(lead, location_id=ghl_world["intake"], postalCode="78702")

    async def synced() -> dict[str, Any] | None:
        route = await sync_router.route_of(lead)
        return route if route["ghl_sync"] else None

    route = await eventually(synced, 30)
    copied_id = route["ghl_sync"]["location_contact_id"]
    assert route["ghl_sync"]["ghl_location_id"] == ghl_world["franchise"]
    assert copied_id in {c["id"] for c in ghl_sim.contacts(ghl_world["franchise"])}
    source = next(c for c in ghl_sim.contacts(ghl_world["intake"]) if c["id"] == lead)
    assert "routed:ATX-9" in source["tags"]

    records = await read_all(infra.kafka, LEADS_ASSIGNED.name, 10_000, timeout_s=3)
    types = [decode_envelope(r.value).event_type for r in records if r.key == lead.encode()]
    assert types == ["LeadAssigned", "LeadSynced"]

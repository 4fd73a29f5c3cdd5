"""Applying assignments in GHL (the simulator) through the batch sync consumer next to a running
router: contact copied, source tagged, LeadSynced published; SLA re-routes move the contact."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadflow_common.events.envelope import decode_envelope
from leadflow_common.ghl import GhlClient
from leadflow_common.redis import make_redis
from leadflow_common.settings import RedisSettings
from leadflow_common.topics import LEADS_ASSIGNED
from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, eventually, running_router
from tests.integration.router.sync_harness import intake_and_franchise, running_sync
from tests.support.ghl import GhlSim
from tests.support.infra import Infra
from tests.support.kafka_io import read_all


@pytest.fixture(scope="module")
async def ghl_world(ghl_sim: GhlSim, infra: Infra) -> AsyncIterator[dict[str, Any]]:
    async with intake_and_franchise(ghl_sim, infra, "Corporate intake", "Fit Austin", "Dana") as world:
        yield world


@pytest.fixture(scope="module")
async def sync_router(
    infra: Infra,
    router_schema: str,
    ghl_sim: GhlSim,
    ghl_world: dict[str, Any],
) -> AsyncIterator[RunningRouter]:
    await asyncio.to_thread(default_gazetteer)
    async with (
        running_router(infra, router_schema, intake_location_ids=[ghl_world["intake"]]) as running,
        running_sync(infra, router_schema, ghl_sim.settings()),
    ):
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
    # the contact came with the event: the only intake call was the tag
    intake_calls = [r for r in ghl_sim.requests() if r["resource"] == ghl_world["intake"]
                    and r["path"].startswith(f"/contacts/{lead}")]  # fmt: skip
    assert [(r["method"], r["path"]) for r in intake_calls] == [("POST", f"/contacts/{lead}/tags")]

    records = await read_all(infra.kafka, LEADS_ASSIGNED.name, 10_000, timeout_s=3)
    types = [decode_envelope(r.value).event_type for r in records if r.key == lead.encode()]
    assert types == ["LeadAssigned", "LeadSynced"]


async def test_sla_reassignment_moves_the_contact_in_ghl(
    sync_router: RunningRouter, ghl_sim: GhlSim, ghl_world: dict[str, Any], infra: Infra
) -> None:
    client = GhlClient(ghl_sim.settings(), make_redis(RedisSettings(url=infra.redis_url)))
    try:
        first = await client.create_location(name="Fit San Antonio Downtown")
        second = await client.create_location(name="Fit San Antonio Alamo Heights")
        for location in (first, second):
            ghl_sim.admin.post(f"/locations/{location.id}/install").raise_for_status()
        source = await client.upsert_contact(
            ghl_world["intake"], {"firstName": "Sam", "email": f"sam-{uuid.uuid4().hex[:6]}@example.com"}
        )
    finally:
        await client.aclose()
    for location_id, zip_code, ghl_id in (("SAT-7", "78205", first.id), ("SAT-8", "78209", second.id)):
        place = default_gazetteer().by_postal_code(zip_code)
        assert place is not None
        await sync_router.publish_location(location_id, zip_code, place.lat, place.lon, 10, "TX",
                                           ghl_location_id=ghl_id)  # fmt: skip
        await sync_router.wait_location(location_id, "active")
    lead = source.id
    await sync_router.publish_contact(lead, location_id=ghl_world["intake"], postalCode="78205")

    async def synced_to(location_id: str) -> dict[str, Any] | None:
        route = await sync_router.route_of(lead)
        sync = route["ghl_sync"]
        return route if sync and sync["location_id"] == location_id else None

    await eventually(lambda: synced_to("SAT-7"), 30)
    svc = sync_router.services
    assert svc is not None and svc.sla is not None
    svc.sla.clock = lambda: datetime.now(UTC) + timedelta(hours=2)  # the 15 minutes are long over
    assert await svc.sla.fire_due() >= 1
    route = await eventually(lambda: synced_to("SAT-8"), 30)
    assert route["ghl_sync"]["ghl_location_id"] == second.id
    assert route["ghl_sync"]["location_contact_id"] in {c["id"] for c in ghl_sim.contacts(second.id)}
    tags = next(c for c in ghl_sim.contacts(ghl_world["intake"]) if c["id"] == lead)["tags"]
    assert {"routed:SAT-7", "routed:SAT-8", "sla-reassigned"} <= set(tags)

    records = await read_all(infra.kafka, LEADS_ASSIGNED.name, 10_000, timeout_s=3)
    types = Counter(decode_envelope(r.value).event_type for r in records if r.key == lead.encode())
    assert types == {"LeadAssigned": 2, "LeadSynced": 2, "LeadReassigned": 1}

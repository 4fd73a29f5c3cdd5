"""The unassigned pool in GHL (the simulator), with the router's sync running: a pool lead's source
contact is tagged ``leadflow:unassigned``; when a ContactUpdate gives it an address the pool re-drive
routes it, the sync copies the contact into the location's sub-account and the tag comes off."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, eventually, running_router
from tests.integration.router.sync_harness import intake_and_franchise
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

TAG = "leadflow:unassigned"


@pytest.fixture(scope="module")
async def ghl_world(ghl_sim: GhlSim, infra: Infra) -> AsyncIterator[dict[str, str]]:
    async with intake_and_franchise(ghl_sim, infra, "Corporate intake (pool)", "Fit Boise", "Pat") as world:
        yield world


@pytest.fixture(scope="module")
async def router(
    infra: Infra, router_schema: str, ghl_sim: GhlSim, ghl_world: dict[str, str]
) -> AsyncIterator[RunningRouter]:
    await asyncio.to_thread(default_gazetteer)
    os.environ["ROUTER_POOL_POLL_INTERVAL_S"] = "3600"
    try:
        async with running_router(infra, router_schema, ghl_sim.settings(), sync_enabled=True,
                                  intake_location_ids=[ghl_world["intake"]]) as running:  # fmt: skip
            yield running
    finally:
        os.environ.pop("ROUTER_POOL_POLL_INTERVAL_S", None)


def source_tags(ghl_sim: GhlSim, intake: str, contact_id: str) -> list[str]:
    return list(next(c for c in ghl_sim.contacts(intake) if c["id"] == contact_id)["tags"])


async def test_pool_lead_is_tagged_then_routed_synced_and_untagged(
    router: RunningRouter, ghl_sim: GhlSim, ghl_world: dict[str, str]
) -> None:
    place = default_gazetteer().by_postal_code("83702")
    assert place is not None and place.state is not None
    await router.publish_location("PG-BOI", "83702", place.lat, place.lon, 10, place.state,
                                  ghl_location_id=ghl_world["franchise"])  # fmt: skip
    await router.wait_location("PG-BOI", "active")
    lead, intake = ghl_world["contact"], ghl_world["intake"]
    await router.publish_contact(lead, location_id=intake, firstName="Pat")

    async def tagged() -> bool | None:
        return True if TAG in source_tags(ghl_sim, intake, lead) else None

    await eventually(tagged, 30)
    assert (await router.route_of(lead))["assignment"]["reason"] == "unroutable_address"

    await router.publish_contact(
        lead, "ContactUpdate", location_id=intake, firstName="Pat", postalCode="83702"
    )

    async def synced() -> dict[str, Any] | None:
        route = await router.route_of(lead)
        untagged = TAG not in source_tags(ghl_sim, intake, lead)
        return route if route["ghl_sync"] and untagged else None

    route = await eventually(synced, 30)
    assert (route["assignment"]["location_id"], route["assignment"]["rule"]) == ("PG-BOI", "pool_redrive")
    assert route["ghl_sync"]["ghl_location_id"] == ghl_world["franchise"]
    copied = {c["id"]: c for c in ghl_sim.contacts(ghl_world["franchise"])}[
        route["ghl_sync"]["location_contact_id"]
    ]
    assert copied["postalCode"] == "83702"  # from the ContactUpdate's snapshot, not read back from GHL
    assert "routed:PG-BOI" in source_tags(ghl_sim, intake, lead)

"""The router never routes a contact it created: the copies it puts into franchise sub-accounts come
back from GHL as ContactCreate webhooks, and must not loop, even when every sub-account is routed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, running_router
from tests.support.infra import Infra


@pytest.fixture(scope="module")
async def router_routing_everything(infra: Infra, router_schema: str) -> AsyncIterator[RunningRouter]:
    await asyncio.to_thread(default_gazetteer)
    async with running_router(infra, router_schema, accept_all_locations=True) as running:
        yield running


async def test_contacts_of_franchise_sub_accounts_are_never_routed(
    router_routing_everything: RunningRouter,
) -> None:
    router = router_routing_everything
    place = default_gazetteer().by_postal_code("80202")
    assert place is not None and place.state is not None
    await router.publish_location("DEN-OWN", "80202", place.lat, place.lon, 10, place.state,
                                  ghl_location_id="ghlDenOwn")  # fmt: skip
    await router.wait_location("DEN-OWN", "active")
    copy = f"copy-{uuid.uuid4().hex[:8]}"
    await router.publish_contact(copy, location_id="ghlDenOwn", postalCode="80203")  # the sync's copy
    lead = f"lead-{uuid.uuid4().hex[:8]}"
    await router.publish_contact(lead, location_id="someOtherIntake", postalCode="80203")
    assert (await router.route_of(lead))["assignment"]["location_id"] == "DEN-OWN"
    await asyncio.sleep(2)  # the copy was read by now (same poll or earlier)
    assert (await router.http.get(f"/routes/{copy}")).status_code == 404
    assert await router.reserved("DEN-OWN") == 1

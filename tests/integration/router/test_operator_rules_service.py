"""Territories, round robin and returning leads through the running router (real Kafka, Postgres,
Redis): locations.v1 carries the territory, the directory keeps the zip → owner map, a Redis wipe
rebuilds it from Postgres, and every decision is stored with its rule and note."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.topics import LOCATIONS
from router.adapters.gazetteer import default_gazetteer
from tests.integration.router.harness import RunningRouter, delete_prefix, eventually, running_router
from tests.support.infra import Infra
from tests.support.kafka_io import produce


@pytest.fixture(scope="module")
async def rules_router(infra: Infra, router_schema: str) -> AsyncIterator[RunningRouter]:
    await asyncio.to_thread(default_gazetteer)
    async with running_router(infra, router_schema, territory_fallback="pool", returning_enabled=True,
                              tie_policy="round_robin", fair_band_miles=3.0) as running:  # fmt: skip
        yield running


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}".upper()


async def add_location(router: RunningRouter, location_id: str, zip_code: str, capacity: int,
                       territory: list[str] | None = None) -> None:  # fmt: skip
    place = default_gazetteer().by_postal_code(zip_code)
    assert place is not None
    profile = LocationProfile(
        location_id=location_id, ghl_location_id=f"ghl-{location_id}", name=location_id,
        franchise_code=location_id, status=LocationStatus.ACTIVE, lat=place.lat, lon=place.lon,
        timezone="America/Denver", daily_capacity=capacity, state=place.state, postal_code=zip_code,
        territory_zips=territory or [],
    )  # fmt: skip
    envelope = Envelope.wrap(profile, source="tests")
    await produce(router.infra.kafka, LOCATIONS.name, [(location_id, encode_envelope(envelope))])
    await router.wait_location(location_id, "active")


async def route(router: RunningRouter, **fields: str) -> dict[str, object]:
    lead = f"c-{uuid.uuid4().hex[:10]}"
    await router.publish_contact(lead, **fields)
    assignment: dict[str, object] = (await router.route_of(lead))["assignment"]
    return assignment


async def test_territory_survives_a_redis_wipe_and_a_full_owner_pools(rules_router: RunningRouter) -> None:
    router = rules_router
    owner, near = unique("own"), unique("near")
    await add_location(router, owner, "80302", 2, territory=["80301"])  # Boulder owns 80301
    await add_location(router, near, "80301", 50)  # a location inside the owner's territory
    first = await route(router, postalCode="80301")
    assert (first["rule"], first["location_id"]) == ("territory", owner)

    assert await delete_prefix(router.redis, router.settings.redis_prefix) > 0

    assert router.services is not None
    directory = router.services.redis_directory

    async def rebuilt() -> bool | None:  # the directory watcher rebuilt the map from Postgres
        return True if await directory.territory_owner("80301") == owner else None

    await eventually(rebuilt, timeout_s=60)  # the rebuild SCANs the shared Redis: seconds when loaded
    second = await route(router, postalCode="80301")
    assert (second["rule"], second["location_id"]) == ("territory", owner)
    pooled = await route(router, postalCode="80301")  # limit 2 reached: the fallback is the pool
    assert (pooled["rule"], pooled["location_id"], pooled["reason"]) == ("unassigned", None, "territory_full")
    assert await router.reserved(owner) == 2 and await router.reserved(near) == 0


async def test_round_robin_and_returning_contact(rules_router: RunningRouter) -> None:
    router = rules_router
    a, b = unique("rr-a"), unique("rr-b")
    await add_location(router, a, "85004", 40)  # Phoenix, two locations ~1 mi apart
    await add_location(router, b, "85003", 40)
    picks = [await route(router, postalCode="85012") for _ in range(6)]
    assert Counter(p["location_id"] for p in picks) == Counter({a: 3, b: 3})
    assert all("tie round_robin" in str(p["hours_note"]) for p in picks)

    email = f"{uuid.uuid4().hex[:8]}@example.com"
    first = await route(router, postalCode="85012", email=email)
    back = await route(router, postalCode="85003", email=email.upper(), phone="")
    assert back["rule"] == "returning" and back["location_id"] == first["location_id"]

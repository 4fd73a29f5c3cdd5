"""A change made through location management reaches the real router (in-process, consuming
locations.v1 on real Kafka, Redis and Postgres) within 2 s, and leads follow it: a paused
location's next lead goes elsewhere, after the resume it comes back, a lowered capacity fills it,
a radius override shorter than the lead's distance sends it elsewhere until it is removed."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.events.onboarding import LocationDraft
from leadflow_common.kafka.broker import make_broker
from leadflow_common.kafka.publisher import EventPublisher
from onboarding.adapters.events import KafkaEventSink
from onboarding.adapters.store import PostgresSagaStore
from onboarding.directory.service import LocationDirectory
from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus
from router.adapters.gazetteer import default_gazetteer
from tests.integration.onboarding.support import onboarding_settings
from tests.integration.router import fixtures as router_fixtures
from tests.integration.router.harness import RunningRouter
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
router_schema, router = router_fixtures.router_schema, router_fixtures.router  # a real router
APPLY_BUDGET_S = 2.0  # issue 16: the router applies a change within 2 s
DEADLINE_S = 20.0  # the polls' limit before failing (a loaded machine may be slow; measured below)
NEAR, FAR = ("AUS-LM", "78701"), ("RRK-LM", "78664")  # Austin and Round Rock, ~18 miles apart


@pytest.fixture
async def directory(infra: Infra, schema: str) -> AsyncIterator[LocationDirectory]:
    settings = onboarding_settings(infra, schema, "unused")
    engine = make_engine(settings.database_url, schema)
    broker = make_broker(settings.kafka, "location-routing-test")
    await broker.start()
    sink = KafkaEventSink(EventPublisher(broker, "onboarding"), "America/Chicago")
    sessions = make_sessionmaker(engine)
    store = PostgresSagaStore(sessions)
    for code, zip_code in (NEAR, FAR):
        place = default_gazetteer().by_postal_code(zip_code)
        assert place is not None
        draft = LocationDraft(
            name=f"FitNation {code}", address="1 Main St", city="Austin", state="TX", postal_code=zip_code,
            phone="+15125550100", email="a@fitnation.example.com", manager_name="Ana Ruiz",
            manager_email="ana@fitnation.example.com", daily_capacity=50, franchise_code=code,
        )  # fmt: skip
        location = Location(code, draft, status=SagaStatus.ACTIVE, ghl_location_id=f"ghl-{code}",
                            lat=place.lat, lon=place.lon, timezone="America/Chicago")  # fmt: skip
        await store.create(location)
        await sink.profile(location)  # what the saga publishes when the location goes live
    try:
        yield LocationDirectory(sessions, sink)
    finally:
        await broker.stop()
        await engine.dispose()


async def chosen(router: RunningRouter, zip_code: str) -> str | None:
    """Where the router would send a lead from ``zip_code`` now (its decision script, no booking)."""
    answer = await router.http.post("/routes/preview", json={"postal_code": zip_code})
    answer.raise_for_status()
    location: str | None = answer.json()["outcome"]["location_id"]
    return location


async def seconds_until(router: RunningRouter, zip_code: str, location_id: str, wanted: bool) -> float:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        if (await chosen(router, zip_code) == location_id) is wanted:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"the router did not apply the change of {location_id} within {DEADLINE_S}s")


async def seconds_until_owner(router: RunningRouter, zip_code: str, owner: str | None) -> float:
    """Until the router's zip → owner map says ``owner`` (the preview skips the territory rule)."""
    assert router.services is not None
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_S:
        if await router.services.redis_directory.territory_owner(zip_code) == owner:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"the router's territory map did not give {zip_code} to {owner} in {DEADLINE_S}s")


async def route_lead(router: RunningRouter, zip_code: str) -> str | None:
    lead = f"c-lm-{uuid.uuid4().hex[:10]}"
    await router.publish_contact(lead, postalCode=zip_code, email=f"{lead}@example.com")
    location: str | None = (await router.route_of(lead))["assignment"]["location_id"]
    return location


async def test_pause_resume_and_capacity_reach_the_router(
    router: RunningRouter, directory: LocationDirectory
) -> None:
    near, zip_code = NEAR
    await seconds_until(router, zip_code, near, wanted=True)  # both locations are live in the router
    await seconds_until(router, FAR[1], FAR[0], wanted=True)
    assert await route_lead(router, zip_code) == near

    latencies: dict[str, float] = {}
    await directory.pause(near, "ops@fitnation", reason="holiday")
    latencies["pause"] = await seconds_until(router, zip_code, near, wanted=False)
    assert await route_lead(router, zip_code) == FAR[0]  # the next lead near it goes elsewhere

    await directory.resume(near, "ops@fitnation")
    latencies["resume"] = await seconds_until(router, zip_code, near, wanted=True)
    assert await route_lead(router, zip_code) == near  # and comes back

    # Two leads booked today: with a capacity of 2 (threshold 0.9 → 1.8) it is full.
    await directory.update(near, {"daily_capacity": "2"}, "ops@fitnation")
    latencies["capacity"] = await seconds_until(router, zip_code, near, wanted=False)
    assert await route_lead(router, zip_code) == FAR[0]
    await directory.update(near, {"daily_capacity": "50"}, "ops@fitnation")
    latencies["capacity back"] = await seconds_until(router, zip_code, near, wanted=True)

    print("router applied the change after " + ", ".join(f"{k} {v:.2f} s" for k, v in latencies.items()))
    assert max(latencies.values()) <= APPLY_BUDGET_S, latencies


async def test_a_territory_changed_through_the_api_moves_the_next_lead_to_its_owner(
    router: RunningRouter, directory: LocationDirectory
) -> None:
    (near, zip_code), (far, _) = NEAR, FAR
    await seconds_until(router, zip_code, near, wanted=True)  # the nearest owns no territory yet
    try:
        outcome = await directory.update(far, {"territory_zips": zip_code}, "ops@fitnation")
        assert [(c.field, c.new) for c in outcome.changes] == [("territory_zips", zip_code)]
        applied = await seconds_until_owner(router, zip_code, far)
        lead = f"c-lm-{uuid.uuid4().hex[:10]}"
        await router.publish_contact(lead, postalCode=zip_code, email=f"{lead}@example.com")
        assignment = (await router.route_of(lead))["assignment"]
        assert (assignment["location_id"], assignment["rule"]) == (far, "territory")
        print(f"router applied the territory after {applied:.2f} s")
        assert applied <= APPLY_BUDGET_S
    finally:  # locations.v1 is shared: leave the compacted entry without the territory
        await directory.update(far, {"territory_zips": ""}, "ops@fitnation")
    await seconds_until_owner(router, zip_code, None)
    assert await route_lead(router, zip_code) == near  # given up: the nearest again


async def test_a_radius_override_keeps_a_farther_lead_away_until_it_is_removed(
    router: RunningRouter, directory: LocationDirectory
) -> None:
    near, lead_zip = NEAR[0], "78739"  # Austin south-west: ~10.6 mi from AUS-LM, ~27 from RRK-LM
    await seconds_until(router, lead_zip, near, wanted=True)  # the nearest, inside the 25 mi step
    try:
        outcome = await directory.update(near, {"radius_override_miles": "5"}, "ops@fitnation")
        assert [(c.field, c.old, c.new) for c in outcome.changes] == [("radius_override_miles", "", "5")]
        applied = await seconds_until(router, lead_zip, near, wanted=False)
        assert await route_lead(router, lead_zip) not in (near, None)  # RRK-LM (radius_50) or another
        assert await route_lead(router, NEAR[1]) == near  # a lead inside its 5 miles still goes to it
        print(f"router applied the radius override after {applied:.2f} s")
        assert applied <= APPLY_BUDGET_S
    finally:  # locations.v1 is shared: leave the compacted entry without the override
        cleared = await directory.update(near, {"radius_override_miles": ""}, "ops@fitnation")
        assert [(c.field, c.old, c.new) for c in cleared.changes] == [("radius_override_miles", "5", "")]
    await seconds_until(router, lead_zip, near, wanted=True)
    assert await route_lead(router, lead_zip) == near  # removed: the global steps again

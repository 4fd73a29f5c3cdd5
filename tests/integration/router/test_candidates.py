"""A radius step answers the nearest location WITH CAPACITY inside its radius, however many nearer
ones are full: decide.lua keeps searching inside the radius (growing COUNT) before widening, keeps
the tie window whole, and reports a bounded candidate list (real Redis)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from leadflow_common.events.locations import LocationProfile
from router.adapters.redis_decider import DecideRequest, HoursPolicy
from router.domain.directory import DirectoryEntry, InMemoryDirectory
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.ladder import route
from router.domain.open_rank import HoursRule
from router.domain.rules import RoutingPolicy
from tests.integration.router.redis_layer import LoadedDirectory, loaded_directory, profile
from tests.support.infra import Infra

NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)
DAY = "2026-06-10"
LAT, LON = 30.0, -97.0
LEAD = Geocode(GeocodeMethod.POSTAL_CODE, LAT, LON, "TX")
MILE_LAT = 1 / 69.05  # degrees of latitude per mile (close enough: the test reads real distances)


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


def north(location_id: str, miles: float, capacity: int = 10) -> LocationProfile:
    return profile(location_id, LAT + miles * MILE_LAT, LON, capacity)


async def fill(side: LoadedDirectory, *location_ids: str, used: int = 10) -> None:
    await side.redis.mset({side.keys.counter(loc, DAY): used for loc in location_ids})


async def test_seventh_nearest_inside_25_miles_is_chosen_by_radius_25(redis: Redis) -> None:
    full = [north(f"FULL{n}", 2.0 + n) for n in range(6)]  # 2..7 mi, the six nearest
    async with loaded_directory(redis, [*full, north("OPEN7", 20.0), north("OPEN40", 40.0)]) as side:
        await fill(side, *(p.location_id for p in full))
        outcome = await side.decider().decide("lead-7", LEAD, 0.0, NOW)
        assert (outcome.rule, outcome.location_id) == ("radius_25", "OPEN7")
        assert outcome.distance_miles is not None and 19.5 < outcome.distance_miles < 20.5
        assert [c.location_id for c in outcome.candidates] == [*(p.location_id for p in full), "OPEN7"]
        assert await side.counters() == {f"FULL{n}:{DAY}": 10 for n in range(6)} | {f"OPEN7:{DAY}": 1}


async def test_many_full_nearer_locations_and_a_bounded_report(redis: Redis) -> None:
    """90 full locations inside 25 mi: the one open location at 24 mi still wins radius_25, found
    after three COUNT growths, and the reply reports only the 15 nearest plus the chosen one."""
    full = [north(f"F{n:03d}", 1.0 + n * 0.25) for n in range(90)]  # 1 .. 23.25 mi
    async with loaded_directory(redis, [*full, north("LAST", 24.0), north("R50", 30.0)]) as side:
        await fill(side, *(p.location_id for p in full))
        policy = RoutingPolicy()
        outcome = await side.decider(policy).decide("lead-90", LEAD, 0.0, NOW)
        assert (outcome.rule, outcome.location_id) == ("radius_25", "LAST")
        assert len(outcome.candidates) == policy.report_candidates + 1
        assert outcome.candidates[-1].location_id == "LAST"
        # when LAST is full too, radius_50 answers (the 25-mile step saw everything inside 25 mi)
        await fill(side, "LAST")
        wider = await side.decider(policy).decide("lead-91", LEAD, 0.0, NOW)
        assert (wider.rule, wider.location_id) == ("radius_50", "R50")
        await fill(side, "R50")
        none = await side.decider(policy).decide("lead-92", LEAD, 0.0, NOW)
        assert none.location_id is None and none.reason == "all_nearby_locations_at_capacity"
        assert len(none.candidates) == policy.report_candidates


async def test_tie_window_is_not_cut_by_the_count(redis: Redis) -> None:
    """The nearest open location (5.0 mi) shows up in the first COUNT, but the one 0.8 mi farther
    with more room left sits behind 16 full ones: the search grows until the tie window is whole,
    and the tie-break (most remaining within ``tie_miles``) picks it, as the reference ladder does."""
    profiles = [north(f"NEARFULL{n}", 1.0 + n * 0.1) for n in range(4)]
    profiles += [north("OPEN5", 5.0, capacity=2)]
    profiles += [north(f"BAND{n:02d}", 5.05 + n * 0.03) for n in range(16)]
    profiles += [north("ROOMY", 5.8, capacity=50)]
    async with loaded_directory(redis, profiles) as side:
        await fill(
            side, *(p.location_id for p in profiles if "FULL" in p.location_id or "BAND" in p.location_id)
        )
        outcome = await side.decider().decide("lead-tie", LEAD, 0.0, NOW)
        assert (outcome.rule, outcome.location_id) == ("radius_25", "ROOMY")
        ids = [c.location_id for c in outcome.candidates]
        assert "OPEN5" in ids and ids[-1] == "ROOMY"


async def test_same_state_step_searches_past_its_count(redis: Redis) -> None:
    full = [profile(f"ST{n:02d}", 30.0, -97.0 + 0.5 * n, 5) for n in range(60)]  # state_count is 50
    centroid = Geocode(GeocodeMethod.STATE_CENTROID, 30.0, -97.0, "TX")
    async with loaded_directory(redis, [*full, profile("STOPEN", 30.0, -97.0 + 0.5 * 60, 5)]) as side:
        await fill(side, *(p.location_id for p in full))
        outcome = await side.decider().decide("lead-state", centroid, 0.0, NOW)
        assert (outcome.rule, outcome.location_id) == ("same_state", "STOPEN")


async def test_script_matches_the_reference_ladder_on_dense_directories(redis: Redis) -> None:
    """Random dense directories, most locations nearly full: every decision (booked one after the
    other) equals the pure reference ladder's on the same counters: same rule, same location."""
    rng = random.Random(25)
    profiles = [
        profile(f"D{n:03d}", 30.0 + rng.uniform(-0.8, 0.8), -97.0 + rng.uniform(-0.8, 0.8), rng.randint(1, 3))
        for n in range(300)
    ]
    reference = InMemoryDirectory([
        DirectoryEntry(p.location_id, p.lat, p.lon, p.daily_capacity, "active", p.state)  # type: ignore[arg-type]
        for p in profiles
    ])  # fmt: skip
    policy = RoutingPolicy()
    reserved: dict[str, int] = {}
    async with loaded_directory(redis, profiles) as side:
        decider = side.decider(policy, hours=HoursPolicy(HoursRule.IGNORE))
        spots = [(30.0 + rng.uniform(-1, 1), -97.0 + rng.uniform(-1, 1)) for _ in range(700)]
        geos = [Geocode(GeocodeMethod.POSTAL_CODE, lat, lon, "TX") for lat, lon in spots]
        outcomes = await decider.decide_many(
            [DecideRequest(f"d-{n}", g, 0.0) for n, g in enumerate(geos)], NOW
        )
        mismatches = []
        for geo, got in zip(geos, outcomes, strict=True):
            want = route(geo, 0.0, reference, reserved, policy)
            if (got.rule, got.location_id) != (want.rule, want.location_id):
                mismatches.append((geo, got.rule, got.location_id, want.rule, want.location_id))
        assert mismatches == []
        rules = Counter(o.rule for o in outcomes)  # seed 25: 493 / 83 / 17 / 1 same_state / 106
        assert {"radius_25", "radius_50", "radius_100", "unassigned"} <= set(rules), rules
        limits = {p.location_id: math.ceil(0.9 * p.daily_capacity) for p in profiles}
        assert await side.counters() == {f"{loc}:{DAY}": n for loc, n in reserved.items()}
        assert all(n <= limits[loc] for loc, n in reserved.items())


async def test_one_decision_looks_at_max_examined_locations_at_most(redis: Redis) -> None:
    """Each location looked at costs Redis an HMGET and a GET: past ``max_examined`` the decision
    ends unassigned, so a saturated dense area cannot stall Redis (a bound, not the rule)."""
    full = [north(f"X{n:03d}", 1.0 + n * 0.09) for n in range(250)]  # 1 .. 23.4 mi
    async with loaded_directory(redis, [*full, north("OPEN24", 24.0)]) as side:
        await fill(side, *(p.location_id for p in full))
        bounded = await side.decider(RoutingPolicy(max_examined=200)).decide("cap-1", LEAD, 0.0, NOW)
        assert bounded.location_id is None and bounded.reason == "all_nearby_locations_at_capacity"
        wider = await side.decider(RoutingPolicy(max_examined=300)).decide("cap-2", LEAD, 0.0, NOW)
        assert (wider.rule, wider.location_id) == ("radius_25", "OPEN24")

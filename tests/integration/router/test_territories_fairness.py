"""Territories, fair distribution among equals and returning leads in decide.lua (real Redis,
directory loaded by RedisDirectory): the owner of a zip first, then the fallback; round robin fair
across concurrent deciders; no over-booking with both enabled; a returning contact back to its
location inside the window only."""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from leadflow_common.events.locations import LocationProfile, LocationStatus
from router.adapters.redis_decider import DecideRequest
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.policies import TerritoryFallback, TiePolicy
from router.domain.returning import contact_keys
from router.domain.rules import RoutingPolicy
from tests.integration.router.redis_layer import loaded_directory, profile
from tests.support.infra import Infra

NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # noon in Chicago
DAY = "2026-06-10"
LEAD = Geocode(GeocodeMethod.POSTAL_CODE, 30.0, -97.0, "TX")
ZIP = "78701"


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


def owner(location_id: str, lat: float, lon: float, capacity: int, zips: list[str],
          status: LocationStatus = LocationStatus.ACTIVE, weight: float = 1.0,
          ) -> LocationProfile:  # fmt: skip
    base = profile(location_id, lat, lon, capacity, status=status)
    return base.model_copy(update={"territory_zips": zips, "routing_weight": weight})


def territory_directory() -> list[LocationProfile]:
    # NEAR is 0.7 mi from the lead; OWNER (owning the lead's zip) 14 mi, capacity 2 → limit 2
    return [profile("NEAR", 30.01, -97.0, 50), owner("OWNER", 30.2, -97.0, 2, [ZIP, "78702-1234"])]


async def test_territory_owner_gets_the_lead_over_a_nearer_location(redis: Redis) -> None:
    async with loaded_directory(redis, territory_directory()) as side:
        decider = side.decider()
        owned = await decider.decide("t-1", LEAD, 0.0, NOW, zip5=ZIP)
        assert (owned.rule, owned.location_id) == ("territory", "OWNER")
        assert owned.distance_miles == pytest.approx(13.8, abs=0.2)
        plus4 = await decider.decide("t-2", LEAD, 0.0, NOW, zip5="78702")  # stored from '78702-1234'
        assert (plus4.rule, plus4.location_id) == ("territory", "OWNER")
        outside = await decider.decide("t-3", LEAD, 0.0, NOW, zip5="78799")
        assert (outside.rule, outside.location_id) == ("radius_25", "NEAR")
        assert await side.counters() == {f"OWNER:{DAY}": 2, f"NEAR:{DAY}": 1}


async def test_full_owner_falls_back_to_the_nearest(redis: Redis) -> None:
    async with loaded_directory(redis, territory_directory()) as side:
        requests = [DecideRequest(f"f-{n}", LEAD, 0.0, zip5=ZIP) for n in range(4)]
        outcomes = await side.decider().decide_many(requests, NOW)
        assert [(o.rule, o.location_id) for o in outcomes] == [("territory", "OWNER")] * 2 + [
            ("radius_25", "NEAR")
        ] * 2
        assert "territory: OWNER territory_full, fallback nearest" in (outcomes[2].hours_note or "")
        assert outcomes[0].hours_note is None or "territory" not in outcomes[0].hours_note


async def test_full_or_paused_owner_sends_the_lead_to_the_pool(redis: Redis) -> None:
    policy = RoutingPolicy(territory_fallback=TerritoryFallback.POOL)
    paused = owner("PAUSED", 30.1, -97.0, 10, ["78750"], status=LocationStatus.PAUSED)
    async with loaded_directory(redis, [*territory_directory(), paused]) as side:
        decider = side.decider(policy)
        outcomes = await decider.decide_many(
            [DecideRequest(f"p-{n}", LEAD, 0.0, zip5=ZIP) for n in range(3)], NOW
        )
        assert [o.location_id for o in outcomes] == ["OWNER", "OWNER", None]
        assert (outcomes[2].rule, outcomes[2].reason) == ("unassigned", "territory_full")
        held = await decider.decide("p-paused", LEAD, 0.0, NOW, zip5="78750")
        assert (held.location_id, held.reason) == (None, "territory_owner_unavailable")
        assert await side.counters() == {f"OWNER:{DAY}": 2}  # the pool books nothing


async def test_directory_keeps_the_territory_map_current(redis: Redis) -> None:
    async with loaded_directory(redis, territory_directory()) as side:
        d, k = side.directory, side.keys
        assert await d.territory_owner("78702") == "OWNER"
        await d.apply(owner("OWNER", 30.2, -97.0, 2, ["78702", "78703"]))  # 78701 given up
        assert (await d.territory_owner("78701"), await d.territory_owner("78703")) == (None, "OWNER")
        # a second claim (validation refuses it; a hand-written event could) takes the zip, and
        # the first owner leaving does not take it from the new one
        await d.apply(owner("OTHER", 30.3, -97.0, 2, ["78703"]))
        await d.apply(owner("OWNER", 30.2, -97.0, 2, ["78702", "78703"], status=LocationStatus.OFFBOARDED))
        assert (await d.territory_owner("78702"), await d.territory_owner("78703")) == (None, "OTHER")
        await d.remove("OTHER")
        assert await redis.hgetall(k.territories) == {}
        # a full rebuild (Redis lost) clears the map and re-applies every profile
        await d.apply(owner("OWNER", 30.2, -97.0, 2, [ZIP]))
        await d.clear_index()
        assert await redis.exists(k.territories) == 0
        for p in territory_directory():
            await d.apply(p)
        assert await d.territory_owner(ZIP) == "OWNER"


def equals() -> list[LocationProfile]:
    """Four locations within 2 mi of the lead (the fair band is 5), one 15 mi away."""
    return [profile(f"E{n}", 30.0 + 0.007 * n, -97.0, 500) for n in range(4)] + [
        profile("FAR", 30.22, -97.0, 500)
    ]


async def test_round_robin_is_fair_across_three_concurrent_deciders(redis: Redis) -> None:
    policy = RoutingPolicy(tie_policy=TiePolicy.ROUND_ROBIN, fair_band_miles=5.0)
    async with loaded_directory(redis, equals()) as side:
        deciders = [side.decider(policy) for _ in range(3)]

        async def run(n: int) -> list[str]:
            chosen: list[str] = []
            for batch in range(5):  # batches of 10 interleave with the other deciders'
                requests = [DecideRequest(f"rr-{n}-{batch}-{i}", LEAD, 0.0) for i in range(10)]
                outcomes = await deciders[n].decide_many(requests, NOW)
                assert all(o.policy == "round_robin" and "tie round_robin" in (o.hours_note or "")
                           for o in outcomes)  # fmt: skip
                chosen += [o.location_id for o in outcomes if o.location_id]
            return chosen

        picks = Counter(loc for chosen in await asyncio.gather(*(run(n) for n in range(3))) for loc in chosen)
        assert sum(picks.values()) == 150
        assert set(picks) == {"E0", "E1", "E2", "E3"}  # FAR is outside the band
        assert max(picks.values()) - min(picks.values()) <= 1, picks
        # the default policy (nearest; within the 1-mile tie window the most remaining) notes nothing
        nearest = await side.decider().decide("rr-nearest", LEAD, 0.0, NOW)
        assert nearest.location_id in {"E0", "E1", "E2"} and nearest.policy is None
        assert nearest.hours_note is not None and "tie" not in nearest.hours_note


async def test_weighted_follows_the_routing_weights(redis: Redis) -> None:
    profiles = [owner("W2", 30.0, -97.0, 500, [], weight=2.0), owner("W1", 30.01, -97.0, 500, []),
                owner("W1B", 30.02, -97.0, 500, [])]  # fmt: skip
    async with loaded_directory(redis, profiles) as side:
        decider = side.decider(RoutingPolicy(tie_policy=TiePolicy.WEIGHTED))
        outcomes = await decider.decide_many([DecideRequest(f"w-{n}", LEAD, 0.0) for n in range(80)], NOW)
        picks = Counter(o.location_id for o in outcomes)
        assert abs(picks["W2"] - 40) <= 1 and abs(picks["W1"] - 20) <= 1 and abs(picks["W1B"] - 20) <= 1


async def test_weighted_capacity_favours_the_most_remaining(redis: Redis) -> None:
    profiles = [profile("BIG", 30.0, -97.0, 100), profile("SMALL", 30.01, -97.0, 20)]
    async with loaded_directory(redis, profiles) as side:
        decider = side.decider(RoutingPolicy(tie_policy=TiePolicy.WEIGHTED_CAPACITY))
        outcomes = await decider.decide_many([DecideRequest(f"c-{n}", LEAD, 0.0) for n in range(40)], NOW)
        picks = Counter(o.location_id for o in outcomes)
        assert picks["BIG"] + picks["SMALL"] == 40 and picks["BIG"] >= 3 * picks["SMALL"] > 0
        assert {o.policy for o in outcomes} == {"weighted_capacity"}


async def test_no_overbooking_with_territories_and_round_robin(redis: Redis) -> None:
    rng = random.Random(16)
    profiles = [owner(f"O{n:02d}", 30.0 + rng.uniform(0, 0.2), -97.0 + rng.uniform(0, 0.2), 5 + n % 7,
                      [f"787{n:02d}"] if n < 6 else []) for n in range(16)]  # fmt: skip
    limits = {p.location_id: math.ceil(0.9 * p.daily_capacity) for p in profiles}
    policy = RoutingPolicy(tie_policy=TiePolicy.ROUND_ROBIN, territory_fallback=TerritoryFallback.NEAREST)

    def requests(side: str) -> list[DecideRequest]:
        geos = [
            Geocode(GeocodeMethod.POSTAL_CODE, 30.1 + rng.uniform(-0.1, 0.1), -96.9, "TX") for _ in range(100)
        ]
        return [
            DecideRequest(f"{side}-{n}", g, 0.0, zip5=f"787{rng.randrange(10):02d}")
            for n, g in enumerate(geos)
        ]

    async with loaded_directory(redis, profiles) as side:
        deciders = [side.decider(policy) for _ in range(3)]
        batches = [requests(s) for s in "abc"]
        outcomes = await asyncio.gather(
            *(d.decide_many(b, NOW) for d, b in zip(deciders, batches, strict=True))
        )
        booked = Counter(o.location_id for batch in outcomes for o in batch if o.location_id)
        assert booked == Counter(limits)  # 300 leads want 16 locations: every one filled, none over
        assert await side.counters() == {f"{loc}:{DAY}": n for loc, n in limits.items()}
        rules = Counter(o.rule for batch in outcomes for o in batch)
        assert rules["territory"] > 0 and rules["radius_25"] > 0


def contacts(email: str) -> tuple[str, ...]:
    return contact_keys(email, None)


async def test_returning_contact_goes_back_to_its_location_inside_the_window(redis: Redis) -> None:
    policy = RoutingPolicy(returning_window_days=90)
    near_a = Geocode(GeocodeMethod.POSTAL_CODE, 30.0, -97.0, "TX")
    near_b = Geocode(GeocodeMethod.POSTAL_CODE, 30.2, -97.0, "TX")  # 14 mi from A, at B
    profiles = [profile("A", 30.0, -97.0, 3), profile("B", 30.2, -97.0, 50)]
    async with loaded_directory(redis, profiles) as side:
        decider = side.decider(policy)
        first = await decider.decide(
            "r-1", near_a, 0.0, NOW - timedelta(days=10), contacts=contacts("Ann@X.io")
        )
        assert (first.rule, first.location_id) == ("radius_25", "A")
        back = await decider.decide("r-2", near_b, 0.0, NOW, contacts=contacts(" ann@x.io "))
        assert (back.rule, back.location_id) == ("returning", "A")
        # by phone too (the map is per normalised e-mail and per normalised phone)
        phone = contact_keys(None, "+1 (512) 555-0100")
        await decider.decide("r-3", near_a, 0.0, NOW, contacts=phone)
        by_phone = await decider.decide("r-4", near_b, 0.0, NOW, contacts=contact_keys(None, "512.555.0100"))
        assert (by_phone.rule, by_phone.location_id) == ("returning", "A")
        # A is full now (limit 3): the contact takes the normal path, the log says why
        full = await decider.decide("r-5", near_b, 0.0, NOW, contacts=contacts("ann@x.io"))
        assert (full.rule, full.location_id) == ("radius_25", "B")
        assert "returning: A not eligible" in (full.hours_note or "")
        # and the map now points at B, where it went last
        again = await decider.decide("r-6", near_a, 0.0, NOW, contacts=contacts("ann@x.io"))
        assert (again.rule, again.location_id) == ("returning", "B")


async def test_returning_outside_the_window_takes_the_normal_path(redis: Redis) -> None:
    policy = RoutingPolicy(returning_window_days=90)
    near_b = Geocode(GeocodeMethod.POSTAL_CODE, 30.2, -97.0, "TX")
    profiles = [profile("A", 30.0, -97.0, 30), profile("B", 30.2, -97.0, 30)]
    async with loaded_directory(redis, profiles) as side:
        decider = side.decider(policy)
        old = NOW - timedelta(days=100)
        await decider.decide("o-1", LEAD, 0.0, old, contacts=contacts("bob@x.io"))
        later = await decider.decide("o-2", near_b, 0.0, NOW, contacts=contacts("bob@x.io"))
        assert (later.rule, later.location_id) == ("radius_25", "B")
        # a preview never writes the map
        await decider.decide("o-3", LEAD, 0.0, NOW, book=False, contacts=contacts("carol@x.io"))
        assert await redis.exists(side.keys.contact(contacts("carol@x.io")[0])) == 0
        # the key lives as long as the window
        ttl = await redis.ttl(side.keys.contact(contacts("bob@x.io")[0]))
        assert 89 * 86400 < ttl <= 90 * 86400
        # the rule off (window 0, the default): the map is neither read nor written
        await decider.decide("o-4", LEAD, 0.0, NOW, contacts=contacts("dave@x.io"))
        off = await side.decider().decide("o-5", near_b, 0.0, NOW, contacts=contacts("dave@x.io"))
        assert (off.rule, off.location_id) == ("radius_25", "B")
        on = await decider.decide("o-6", near_b, 0.0, NOW, contacts=contacts("dave@x.io"))
        assert (on.rule, on.location_id) == ("returning", "A")

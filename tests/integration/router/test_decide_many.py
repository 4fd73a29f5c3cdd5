"""``RedisDecider.decide_many``: a batch in one pipeline decides exactly like one ``decide()`` per
lead, and concurrent batches never over-book (real Redis, directory loaded by RedisDirectory)."""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from leadflow_common.events.locations import BusinessHours, DayHours
from leadflow_common.redis import eval_many
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import DecideRequest, DirectoryNotLoaded, RedisDecider
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.rules import RoutingPolicy
from tests.integration.router.redis_layer import TTL_S, ZONES, loaded_directory, profile, random_profiles
from tests.support.infra import Infra

NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # noon in Chicago: every zone on the same local day


@pytest.fixture
async def redis(infra: Infra) -> AsyncIterator[Redis]:
    client = Redis.from_url(infra.redis_url)
    yield client
    await client.aclose()


def random_requests(count: int, rng: random.Random) -> list[DecideRequest]:
    """Leads around the directory's area; some unroutable, some state centroids, some replays."""
    out: list[DecideRequest] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.03:
            geo = Geocode(GeocodeMethod.UNROUTABLE)
        elif roll < 0.08:
            geo = Geocode(GeocodeMethod.STATE_CENTROID, 31.0, -99.0, "TX")
        else:
            geo = Geocode(
                GeocodeMethod.POSTAL_CODE, 29.5 + rng.uniform(0, 4), -98.5 + rng.uniform(0, 4), "TX"
            )
        if out and rng.random() < 0.03:  # the same lead again: the replay returns the first booking
            out.append(rng.choice(out))
            continue
        out.append(DecideRequest(f"lead-{n}", geo, rng.choice((0.0, 50.0, 90.0))))
    return out


async def test_one_batch_equals_sequential_decides(redis: Redis) -> None:
    rng = random.Random(14)
    profiles = random_profiles(150, rng)
    requests = random_requests(1000, rng)
    async with loaded_directory(redis, profiles) as batch_side, loaded_directory(redis, profiles) as seq_side:
        batch_decider, decider = batch_side.decider(), seq_side.decider()
        # zones known up front: a ``needtz`` re-run would book those leads after the rest of the
        # batch (valid, but another order than one by one; see the next test)
        await batch_decider.refresh_timezones()
        await decider.refresh_timezones()
        batched = await batch_decider.decide_many(requests, NOW)
        sequential = [await decider.decide(r.lead_id, r.geo, r.score, NOW) for r in requests]
        assert batched == sequential
        assert await batch_side.counters() == await seq_side.counters()
        kinds = Counter(o.rule for o in batched)
        # the data exercises every path: each radius step, the state step, unassigned, replays
        assert {"radius_25", "same_state", "unassigned"} <= set(kinds)
        assert sum(o.replayed for o in batched) > 0
        assert sum(1 for o in batched if o.reason == "unroutable_address") > 0
        assert sum(1 for o in batched if o.reason == "all_nearby_locations_at_capacity") > 0


async def test_batch_learns_new_timezones(redis: Redis) -> None:
    """A fresh decider knows only its default zone: the batch re-runs just the ``needtz`` leads."""
    profiles = [profile(f"Z{n}", 30.0, -97.0 + n * 0.2, 5, timezone=tz) for n, tz in enumerate(ZONES)]
    geos = [Geocode(GeocodeMethod.POSTAL_CODE, 30.0, -97.0 + (n % 4) * 0.2, "TX") for n in range(8)]
    requests = [DecideRequest(f"z-{n}", geo, 0.0) for n, geo in enumerate(geos)]
    async with loaded_directory(redis, profiles) as side:
        outcomes = await side.decider().decide_many(requests, NOW)
        assert [o.location_id for o in outcomes] == [f"Z{n % 4}" for n in range(8)]
        assert [o.rule for o in outcomes] == ["radius_25"] * 8
        assert await side.counters() == {f"Z{n}:{'2026-06-10'}": 2 for n in range(4)}


async def test_concurrent_batches_never_overbook(redis: Redis) -> None:
    rng = random.Random(7)
    profiles = [profile(f"F{n:02d}", 30.0 + rng.uniform(0, 0.3), -97.0 + rng.uniform(0, 0.3), 10 + n % 5)
                for n in range(20)]  # fmt: skip
    limits = {p.location_id: math.ceil(0.9 * p.daily_capacity) for p in profiles}
    geos = [
        Geocode(GeocodeMethod.POSTAL_CODE, 30.15 + rng.uniform(-0.1, 0.1), -96.85, "TX") for _ in range(600)
    ]
    async with loaded_directory(redis, profiles) as side:
        first, second = side.decider(), side.decider()
        left = [DecideRequest(f"a-{n}", g, 0.0) for n, g in enumerate(geos[:300])]
        right = [DecideRequest(f"b-{n}", g, 0.0) for n, g in enumerate(geos[300:])]
        outcomes = await asyncio.gather(first.decide_many(left, NOW), second.decide_many(right, NOW))
        booked = Counter(o.location_id for batch in outcomes for o in batch if o.location_id)
        assert booked == Counter(limits)  # 600 leads want 20 locations: every one filled, none over
        day = "2026-06-10"
        assert await side.counters() == {f"{loc}:{day}": n for loc, n in limits.items()}
        again = await first.decide_many(left[:50], NOW)  # a redelivered batch books nothing more
        assert all(o.replayed for o in again if o.location_id)
        assert [o.location_id for o in again] == [o.location_id for o in outcomes[0][:50]]
        assert await side.counters() == {f"{loc}:{day}": n for loc, n in limits.items()}


async def test_business_hours_swaps_in_a_batch(redis: Redis) -> None:
    """At 20:55 Chicago the nearest location closes in 5 minutes: the batch moves those leads to the
    one staying open in the band (swap.lua, pipelined), and books the closing one when the open one
    is full, exactly as ``decide()`` does one by one."""
    evening = datetime(2026, 6, 10, 1, 55, tzinfo=UTC)
    closes_21 = BusinessHours(weekly={d: [DayHours(opens="06:00", closes="21:00")] for d in range(7)})
    profiles = [
        profile("NEAR", 30.0, -97.0, 10, hours=closes_21),
        profile("OPEN", 30.02, -97.0, 3),  # no hours: always open, 1.4 mi farther, 3 → limit 3
    ]
    geo = Geocode(GeocodeMethod.POSTAL_CODE, 29.99, -97.0, "TX")
    requests = [DecideRequest(f"h-{n}", geo, 0.0) for n in range(6)]
    async with loaded_directory(redis, profiles) as batch_side, loaded_directory(redis, profiles) as seq_side:
        batched = await batch_side.decider().decide_many(requests, evening)
        decider = seq_side.decider()
        sequential = [await decider.decide(r.lead_id, r.geo, r.score, evening) for r in requests]
        assert [o.location_id for o in batched] == ["OPEN"] * 3 + ["NEAR"] * 3
        assert [o.location_id for o in sequential] == [o.location_id for o in batched]
        assert all("preferred OPEN" in (o.hours_note or "") for o in batched[:3])
        assert await batch_side.counters() == await seq_side.counters() == {
            "OPEN:2026-06-09": 3, "NEAR:2026-06-09": 3
        }  # fmt: skip


async def test_unroutable_batch_makes_no_redis_call_and_missing_directory_raises(redis: Redis) -> None:
    decider = RedisDecider(redis, RedisKeys("rlayer-never-loaded"), RoutingPolicy(), TTL_S, TTL_S)
    none = Geocode(GeocodeMethod.UNROUTABLE)
    # an unloaded prefix would answer ``nodirectory``: unroutable leads never reach the script
    outcomes = await decider.decide_many(
        [DecideRequest("u-1", none, 0.0), DecideRequest("u-2", none, 0.0)], NOW
    )
    assert [o.reason for o in outcomes] == ["unroutable_address"] * 2
    routable = Geocode(GeocodeMethod.POSTAL_CODE, 30.0, -97.0, "TX")
    with pytest.raises(DirectoryNotLoaded):
        await decider.decide_many([DecideRequest("u-3", none, 0.0), DecideRequest("u-4", routable, 0.0)], NOW)


async def test_eval_many_loads_a_missing_script_and_reruns_only_those_calls(redis: Redis) -> None:
    # a script body no Redis has seen (what a restart or SCRIPT FLUSH leaves: NOSCRIPT), without
    # flushing the shared server's cache under the other tests
    key = f"rlayer-noscript-{uuid.uuid4().hex[:8]}"
    script = redis.register_script(f"-- {key}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
    try:
        assert await eval_many(redis, script, [([key], [n]) for n in (1, 2, 3)]) == [1, 3, 6]
        assert await eval_many(redis, script, [([key], [4])]) == [10]  # loaded now: one pass
        assert await eval_many(redis, script, []) == []
    finally:
        await redis.delete(key)


async def test_eval_many_raises_a_script_error_after_the_batch(redis: Redis) -> None:
    key = f"rlayer-error-{uuid.uuid4().hex[:8]}"
    script = redis.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    try:
        with pytest.raises(ResponseError):
            await eval_many(redis, script, [([key], [1]), ([key], ["x"]), ([key], [2])])
        assert int(await redis.get(key) or 0) == 3  # the calls around the failed one ran
    finally:
        await redis.delete(key)

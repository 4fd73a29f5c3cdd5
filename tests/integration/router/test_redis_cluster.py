"""The router's Redis layer, unchanged, on a real 3-master Redis Cluster (devstack's helper).

The decider and directory get a ``RedisCluster`` client from ``make_any_redis`` and nothing else
differs: every router key shares the prefix's hash tag (one slot), the scripts name their known
keys in KEYS, and decide_many's pipeline is redis-py's cluster pipeline. The GHL limiter's scripts
run there too (their keys share a per-resource tag)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from devstack.redis_cluster import RedisClusterState, running_cluster
from leadflow_common.events.locations import BusinessHours, DayHours
from leadflow_common.ghl import GhlSettings, RedisRateLimiter
from leadflow_common.redis import eval_many, make_any_redis, make_redis
from leadflow_common.settings import RedisSettings
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import DecideRequest
from router.domain.geocoding import Geocode, GeocodeMethod
from tests.integration.router.redis_layer import loaded_directory, profile, random_profiles
from tests.support.infra import Infra

NOW = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterState]:
    with running_cluster(Path(tmp_path_factory.mktemp("redis-cluster"))) as state:
        yield state


@pytest.fixture
async def client(cluster: RedisClusterState) -> AsyncIterator[RedisCluster]:
    redis = make_any_redis(RedisSettings(url=cluster.url))
    assert isinstance(redis, RedisCluster)
    yield redis
    await redis.aclose()


def leads(count: int, rng: random.Random) -> list[DecideRequest]:
    return [
        DecideRequest(f"c-{n}", Geocode(GeocodeMethod.POSTAL_CODE, 29.5 + rng.uniform(0, 4),
                                        -98.5 + rng.uniform(0, 4), "TX"), rng.choice((0.0, 90.0)))
        for n in range(count)
    ]  # fmt: skip


async def test_three_masters_and_one_slot_per_prefix(client: RedisCluster) -> None:
    await client.initialize()  # the client learns the slot map lazily
    assert len(client.get_primaries()) == 3
    for prefix in ("router", "rtest-1234", "{router}", "prod:router"):
        keys = RedisKeys(prefix)
        names = [
            keys.ready,
            keys.geo,
            keys.state_geo("TX"),
            keys.location("L1"),
            keys.counter("L1", "2026-06-10"),
        ]
        names += [keys.reservation("lead-1"), keys.released("lead-1#sla1"), keys.timezones, keys.zip("78701")]
        slots = {await client.cluster_keyslot(name) for name in names}
        assert len(slots) == 1, (prefix, slots)
        assert all(name.startswith(f"{prefix}:") for name in names)
    # different prefixes land on different slots (and so, spread over the masters)
    assert await client.cluster_keyslot(RedisKeys("router-a").geo) != await client.cluster_keyslot(
        RedisKeys("router-b").geo
    )


async def test_make_redis_url_builds_a_working_cluster_client(cluster: RedisClusterState) -> None:
    redis = make_redis(RedisSettings(url=f"{cluster.url}/0"))  # the /0 of a copied URL is ignored
    try:
        assert isinstance(redis, RedisCluster)
        keys = [f"plain-{uuid.uuid4().hex}" for _ in range(20)]  # twenty keys over all the slots
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, "1", nx=True, get=True, ex=60)  # ingest's dedup claim
            assert await pipe.execute() == [None] * 20
        assert await redis.mget_nonatomic(keys) == [b"1"] * 20
        for key in keys:
            await redis.delete(key)
    finally:
        await redis.aclose()


async def test_concurrent_first_commands_on_a_fresh_client(cluster: RedisClusterState) -> None:
    """redis-py 8.1 races its lazy initialization against commands started at once on a new
    client; make_any_redis's client initializes first (InitializingCluster)."""
    for _ in range(10):
        redis = make_any_redis(RedisSettings(url=cluster.url))
        try:
            replies = await asyncio.gather(*(redis.hmget(f"fresh-{n}", ["a"]) for n in range(100)))
            assert replies == [[None]] * 100
        finally:
            await redis.aclose()


async def test_two_thousand_leads_decided_on_the_cluster_as_on_one_node(
    client: RedisCluster, infra: Infra
) -> None:
    """decide_many over 2,000 leads gives the same answers on the cluster as on the single node, and
    four concurrent batches never over-book: counters equal the bookings, none above its limit."""
    rng = random.Random(3)
    profiles = random_profiles(120, rng, max_capacity=12)
    requests = leads(2000, rng)
    single = Redis.from_url(infra.redis_url)
    try:
        async with (
            loaded_directory(client, profiles) as on_cluster,
            loaded_directory(single, profiles) as on_node,
        ):
            cluster_decider, node_decider = on_cluster.decider(), on_node.decider()
            await cluster_decider.refresh_timezones()
            await node_decider.refresh_timezones()
            assert await cluster_decider.decide_many(requests, NOW) == await node_decider.decide_many(
                requests, NOW
            )
            assert await on_cluster.counters() == await on_node.counters()
    finally:
        await single.aclose()

    async with loaded_directory(client, profiles) as side:
        decider = side.decider()
        quarters = [requests[i::4] for i in range(4)]
        outcomes = await asyncio.gather(*(side.decider().decide_many(q, NOW) for q in quarters))
        booked = Counter(
            f"{o.location_id}:{o.capacity_date}" for batch in outcomes for o in batch if o.location_id
        )
        assert await side.counters() == dict(booked)
        # score 0 books up to ceil(0.9 x capacity), score 90 up to capacity: none past its capacity
        caps = {p.location_id: p.daily_capacity for p in profiles}
        assert all(n <= caps[key.split(":")[0]] for key, n in booked.items())
        assert any(n == caps[key.split(":")[0]] for key, n in booked.items())
        unassigned = sum(1 for batch in outcomes for o in batch if o.location_id is None)
        assert sum(booked.values()) > 500 and unassigned > 500  # demand well past the capacity
        assert sum(booked.values()) + unassigned == len(requests)
        replay = await decider.decide_many(quarters[0][:100], NOW)
        assert [o.location_id for o in replay] == [o.location_id for o in outcomes[0][:100]]
        assert await side.counters() == dict(booked)


async def test_directory_hours_swap_and_release_on_the_cluster(client: RedisCluster) -> None:
    evening = datetime(2026, 6, 10, 1, 55, tzinfo=UTC)  # 20:55 in Chicago
    closes_21 = BusinessHours(weekly={d: [DayHours(opens="06:00", closes="21:00")] for d in range(7)})
    near, open_ = profile("NEAR", 30.0, -97.0, 10, hours=closes_21), profile("OPEN", 30.02, -97.0, 2)
    async with loaded_directory(client, [near, open_]) as side:
        geo = Geocode(GeocodeMethod.POSTAL_CODE, 29.99, -97.0, "TX")
        decider = side.decider()
        outcomes = await decider.decide_many([DecideRequest(f"h-{n}", geo, 0.0) for n in range(3)], evening)
        assert [o.location_id for o in outcomes] == ["OPEN", "OPEN", "NEAR"]  # swap.lua, pipelined
        assert await side.counters() == {"OPEN:2026-06-09": 2, "NEAR:2026-06-09": 1}
        assert await decider.release("h-0#sla1", "OPEN", "2026-06-09")
        assert not await decider.release("h-0#sla1", "OPEN", "2026-06-09")  # once per reservation
        assert await side.directory.reserved("OPEN", date(2026, 6, 9)) == 1

        directory = side.directory
        await directory.set_counters(
            [("NEAR", date(2026, 6, 9), 5), ("OPEN", date(2026, 6, 9), 0)], only_raise=True
        )
        assert await side.counters() == {"OPEN:2026-06-09": 1, "NEAR:2026-06-09": 5}
        await directory.set_counters([("NEAR", date(2026, 6, 9), 2)], only_raise=False)
        assert await directory.reserved("NEAR", date(2026, 6, 9)) == 2
        assert await directory.try_lock_rebuild() and not await directory.try_lock_rebuild()
        await directory.unlock_rebuild()
        await directory.remove("OPEN")
        assert [m for m in await client.zrange(side.keys.geo, 0, -1)] == [b"NEAR"]
        await directory.clear_index()
        assert await client.zcard(side.keys.geo) == 0 and await directory.is_loaded()


async def test_eval_many_loads_scripts_on_every_master(client: RedisCluster) -> None:
    tag = uuid.uuid4().hex[:8]
    script = client.register_script(f"-- {tag}\nreturn redis.call('INCR', KEYS[1])")
    keys = [f"evm-{tag}-{n}" for n in range(30)]  # hashed over all three masters
    try:
        assert await eval_many(client, script, [([k], []) for k in keys]) == [1] * 30
        assert await eval_many(client, script, [([k], []) for k in keys]) == [2] * 30
    finally:
        for key in keys:
            await client.delete(key)


async def test_ghl_limiter_scripts_on_the_cluster(client: RedisCluster) -> None:
    prefix = f"rlc-{uuid.uuid4().hex[:6]}"
    values: dict[str, object] = {
        "agency_token": "t", "company_id": "c", "app_id": "app", "redis_prefix": prefix,
        "rate_limit_max": 5, "rate_limit_interval_ms": 200, "rate_limit_guard_ms": 0, "rate_limit_burst": 1,
    }  # fmt: skip
    settings = GhlSettings(**values)  # type: ignore[arg-type]
    limiter = RedisRateLimiter(client, settings)
    try:
        for resource in ("L1", "L2", "L3", "L4"):
            slot = await limiter.acquire(resource)
            headers = {"x-ratelimit-max": "5", "x-ratelimit-interval-milliseconds": "200",
                       "x-ratelimit-remaining": "2"}  # fmt: skip
            assert await limiter.observe(resource, headers, slot) == 2  # 3 used on GHL, 1 of them ours
            await limiter.pause(resource)
            k = limiter.keys(resource)
            assert len({await client.cluster_keyslot(x) for x in (k.slots, k.state, k.daily)}) == 1
    finally:
        async for key in client.scan_iter(match=f"{settings.redis_prefix}:*", count=1000):
            await client.delete(key)

"""Router decision benchmark: the one-round-trip Lua decision vs a naive multi-round-trip one.

Both run in the same process against the same local Redis and the same directory, at several
directory sizes; leads are drawn near random locations (±0.3°) so most decisions book within the
first radius (the path both implementations share). Prints p50/p99 latency (sequential calls) and
decisions/s (``--concurrency`` tasks), and the Lua/naive ratios.

    uv run python bench/router/run.py [--sizes 100,1000,10000] [--decisions 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from redis.asyncio import Redis

from leadflow_common.events.locations import LocationProfile, LocationStatus
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import RedisDecider
from router.adapters.redis_directory import RedisDirectory
from router.domain.capacity import capacity_date
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.rules import RoutingPolicy

STATES = ["TX", "CA", "NY", "FL", "IL", "OH", "GA", "WA", "CO", "AZ"]
Decide = Callable[[str, Geocode], Awaitable[str | None]]


def random_profiles(n: int, rng: random.Random) -> list[LocationProfile]:
    return [
        LocationProfile(
            location_id=f"B-{i:05d}",
            name=f"b{i}",
            franchise_code=f"B-{i:05d}",
            status=LocationStatus.ACTIVE,
            lat=rng.uniform(26, 48),
            lon=rng.uniform(-122, -72),
            timezone="America/Chicago",
            daily_capacity=1_000_000,
            state=rng.choice(STATES),
        )
        for i in range(n)
    ]


def naive_decider(redis: Redis, keys: RedisKeys, policy: RoutingPolicy) -> Decide:
    """What a straightforward implementation does: one round trip per step and per candidate."""

    async def decide(lead_id: str, geo: Geocode) -> str | None:
        if await redis.get(keys.reservation(lead_id)):
            return "replayed"
        for n, radius in enumerate(policy.radii_miles, start=1):
            found = await redis.geosearch(
                keys.geo, longitude=geo.lon, latitude=geo.lat, radius=radius, unit="mi",
                sort="ASC", count=policy.count * n, withdist=True,
            )  # fmt: skip
            for member, _dist in found:
                location_id = member.decode()
                status, cap, tz = await redis.hmget(keys.location(location_id), ["status", "cap", "tz"])
                day = capacity_date(datetime.now(UTC), tz.decode() if tz else None).isoformat()
                used = int(await redis.get(keys.counter(location_id, day)) or 0)
                if status == b"active" and used < policy.threshold * int(cap or 0):
                    await redis.incr(keys.counter(location_id, day))
                    await redis.expire(keys.counter(location_id, day), 48 * 3600)
                    await redis.set(keys.reservation(lead_id), location_id, ex=3600)
                    return location_id
        return None

    return decide


async def measure(decide: Decide, points: list[Geocode], concurrency: int) -> tuple[float, float, float]:
    latencies = []
    for geo in points:
        started = time.perf_counter()
        await decide(uuid.uuid4().hex, geo)
        latencies.append(time.perf_counter() - started)
    queue = list(points)

    async def worker() -> None:
        while queue:
            await decide(uuid.uuid4().hex, queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rate = len(points) / (time.perf_counter() - started)
    q = statistics.quantiles(latencies, n=100)
    return q[49] * 1000, q[98] * 1000, rate


async def bench_size(redis: Redis, size: int, decisions: int, concurrency: int) -> list[str]:
    rng = random.Random(size)
    keys = RedisKeys(f"bench-router-{uuid.uuid4().hex[:6]}")
    policy = RoutingPolicy()
    directory = RedisDirectory(redis, keys, 3600)
    try:
        profiles = random_profiles(size, rng)
        for start in range(0, size, 100):
            await asyncio.gather(*(directory.apply(p) for p in profiles[start : start + 100]))
        await directory.mark_loaded()
        points = []
        for _ in range(decisions):
            p = rng.choice(profiles)
            assert p.lat is not None and p.lon is not None
            points.append(Geocode(GeocodeMethod.POSTAL_CODE, p.lat + rng.uniform(-0.3, 0.3),
                                  p.lon + rng.uniform(-0.3, 0.3), p.state))  # fmt: skip
        lua = RedisDecider(redis, keys, policy, 3600, 3600)
        await lua.refresh_timezones()

        async def lua_decide(lead_id: str, geo: Geocode) -> str | None:
            return (await lua.decide(lead_id, geo, 0.0, datetime.now(UTC))).location_id

        naive = naive_decider(redis, keys, policy)
        results = {
            name: await measure(fn, points, concurrency)
            for name, fn in (("naive", naive), ("lua", lua_decide))
        }
        (n50, n99, nrate), (l50, l99, lrate) = results["naive"], results["lua"]
        return [
            f"{size:>7} {'naive':<6} {n50:>8.3f} {n99:>8.3f} {nrate:>10.0f}",
            f"{size:>7} {'lua':<6} {l50:>8.3f} {l99:>8.3f} {lrate:>10.0f}"
            f"   x{n50 / l50:.1f} p50, x{n99 / l99:.1f} p99, x{lrate / nrate:.1f} rate",
        ]
    finally:
        batch = [k async for k in redis.scan_iter(match=keys.pattern, count=5000)]
        for start in range(0, len(batch), 5000):
            await redis.delete(*batch[start : start + 5000])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    redis = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), max_connections=256)
    print(f"{'locs':>7} {'impl':<6} {'p50 ms':>8} {'p99 ms':>8} {'decide/s':>10}")
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            for line in await bench_size(redis, size, args.decisions, args.concurrency):
                print(line, flush=True)
    finally:
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())

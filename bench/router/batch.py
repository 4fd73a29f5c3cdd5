"""Batch decisions: ``RedisDecider.decide_many`` (one pipeline per batch) vs one ``decide()`` per lead.

Same process, same local Redis, one directory copy per variant (so each starts from empty counters),
the same leads in the same order. Baselines measured in the same run: ``decide()`` awaited one after
the other (what a consumer handling one record at a time does) and ``decide()`` from ``--concurrency``
tasks at once (the best the single-call API gets, one round trip per lead in flight).

    uv run python bench/router/batch.py [--locations 2000] [--decisions 5000] [--batch 500]
    REDIS_URL=redis+cluster://127.0.0.1:PORT uv run python bench/router/batch.py   # on a cluster
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.redis import AnyRedis, make_any_redis
from leadflow_common.settings import RedisSettings
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import DecideRequest, RedisDecider
from router.adapters.redis_directory import RedisDirectory
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.rules import RoutingPolicy

Run = Callable[[RedisDecider, list[DecideRequest]], Awaitable[None]]


def profiles(n: int, rng: random.Random) -> list[LocationProfile]:
    return [
        LocationProfile(
            location_id=f"BB-{i:05d}",
            name=f"b{i}",
            franchise_code=f"BB-{i:05d}",
            status=LocationStatus.ACTIVE,
            lat=rng.uniform(26, 48),
            lon=rng.uniform(-122, -72),
            timezone="America/Chicago",
            daily_capacity=1_000_000,
            state="TX",
        )
        for i in range(n)
    ]


def leads(locations: list[LocationProfile], count: int, rng: random.Random) -> list[DecideRequest]:
    out = []
    for n in range(count):
        p = rng.choice(locations)
        assert p.lat is not None and p.lon is not None
        geo = Geocode(
            GeocodeMethod.POSTAL_CODE, p.lat + rng.uniform(-0.3, 0.3), p.lon + rng.uniform(-0.3, 0.3), "TX"
        )
        out.append(DecideRequest(f"lead-{n}", geo, 0.0))
    return out


async def sequential(decider: RedisDecider, requests: list[DecideRequest]) -> None:
    for r in requests:
        await decider.decide(r.lead_id, r.geo, r.score, datetime.now(UTC))


def concurrent(tasks: int) -> Run:
    async def run(decider: RedisDecider, requests: list[DecideRequest]) -> None:
        queue = list(reversed(requests))

        async def worker() -> None:
            while queue:
                r = queue.pop()
                await decider.decide(r.lead_id, r.geo, r.score, datetime.now(UTC))

        await asyncio.gather(*(worker() for _ in range(tasks)))

    return run


def batched(size: int) -> Run:
    async def run(decider: RedisDecider, requests: list[DecideRequest]) -> None:
        for start in range(0, len(requests), size):
            await decider.decide_many(requests[start : start + size], datetime.now(UTC))

    return run


async def timed(redis: AnyRedis, locations: list[LocationProfile], requests: list[DecideRequest],
                run: Run, policy: RoutingPolicy | None = None) -> float:  # fmt: skip
    """Decisions/s of ``run`` over ``requests`` (after 5 warm-up ones) on a fresh directory copy of
    ``locations`` under its own key prefix, deleted afterwards."""
    keys = RedisKeys(f"bench-batch-{uuid.uuid4().hex[:6]}")
    directory = RedisDirectory(redis, keys, 3600)
    try:
        for start in range(0, len(locations), 100):
            await asyncio.gather(*(directory.apply(p) for p in locations[start : start + 100]))
        await directory.mark_loaded()
        decider = RedisDecider(redis, keys, policy or RoutingPolicy(), 3600, 3600)
        await decider.refresh_timezones()
        await decider.decide_many(requests[:5], datetime.now(UTC))  # scripts loaded, pool warm
        started = time.perf_counter()
        await run(decider, requests[5:])
        return (len(requests) - 5) / (time.perf_counter() - started)
    finally:
        async for key in redis.scan_iter(match=keys.pattern, count=5000):
            await redis.delete(key)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=2000)
    parser.add_argument("--decisions", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(14)
    locations = profiles(args.locations, rng)
    requests = leads(locations, args.decisions, rng)
    redis = make_any_redis(RedisSettings(url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")))
    variants: list[tuple[str, Run]] = [
        ("decide() sequential", sequential),
        (f"decide() x{args.concurrency} tasks", concurrent(args.concurrency)),
        (f"decide_many({args.batch})", batched(args.batch)),
    ]
    try:
        rates = [(name, await timed(redis, locations, requests, run)) for name, run in variants]
    finally:
        await redis.aclose()
    base = rates[0][1]
    print(f"{args.locations} locations, {args.decisions} decisions")
    print(f"{'variant':<24} {'decisions/s':>12} {'vs sequential':>14}")
    for name, rate in rates:
        print(f"{name:<24} {rate:>12.0f} {rate / base:>13.1f}x")


if __name__ == "__main__":
    asyncio.run(main())

"""What the operator rules cost decide.lua: ``decide_many`` throughput with the defaults (the
baseline, measured in the same run) against round robin, territories and returning leads.

Same process, same Redis, one directory copy per variant (each starts from empty counters and no
turns), the same leads in the same order, batches of ``--batch``. Locations sit ``--spacing`` mi apart
on a grid (2 mi: about 20 equals inside the default 5-mile fair band); with territories every lead's zip
is owned; with returning leads every lead carries two contact keys, half of them seen before.

    uv run python bench/router/operator_rules.py [--locations 1000] [--decisions 6000] [--batch 500]
        [--spacing 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
from dataclasses import replace

from batch import batched, timed  # bench/router/batch.py, beside this script

from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.redis import make_any_redis
from leadflow_common.settings import RedisSettings
from router.adapters.redis_decider import DecideRequest
from router.domain.geocoding import Geocode, GeocodeMethod
from router.domain.policies import TiePolicy
from router.domain.returning import contact_keys
from router.domain.rules import RoutingPolicy

MILE = 0.01449  # degrees of latitude


def profiles(n: int, owned: bool, step: float) -> list[LocationProfile]:
    side = int(n**0.5) + 1
    return [
        LocationProfile(
            location_id=f"OR-{i:05d}",
            name=f"o{i}",
            franchise_code=f"OR-{i:05d}",
            status=LocationStatus.ACTIVE,
            lat=30 + (i // side) * step,
            lon=-97 + (i % side) * step,
            timezone="America/Chicago",
            daily_capacity=1_000_000,
            state="TX",
            territory_zips=[f"{10000 + i}"] if owned else [],
        )
        for i in range(n)
    ]


def leads(n_locations: int, count: int, rng: random.Random, step: float) -> list[DecideRequest]:
    side = int(n_locations**0.5) + 1
    span = side * step
    out = []
    for n in range(count):
        geo = Geocode(GeocodeMethod.POSTAL_CODE, 30 + rng.uniform(0, span), -97 + rng.uniform(0, span), "TX")
        person = rng.randrange(count // 2)  # about half the contacts come back
        contacts = contact_keys(f"p{person}@example.com", f"512555{person:04d}")
        zip5 = f"{10000 + rng.randrange(n_locations)}"
        out.append(DecideRequest(f"lead-{n}", geo, 0.0, zip5=zip5, contacts=contacts))
    return out


def without_rules(requests: list[DecideRequest]) -> list[DecideRequest]:
    return [replace(r, zip5=None, contacts=()) for r in requests]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--decisions", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--spacing", type=float, default=2.0, help="miles between neighbouring locations")
    args = parser.parse_args()
    rng = random.Random(16)
    step = args.spacing * MILE
    plain, owned = profiles(args.locations, False, step), profiles(args.locations, True, step)
    requests = leads(args.locations, args.decisions, rng, step)
    bare = without_rules(requests)
    default = RoutingPolicy()
    variants = [
        ("defaults (baseline)", plain, bare, default),
        ("round_robin", plain, bare, replace(default, tie_policy=TiePolicy.ROUND_ROBIN)),
        ("weighted_capacity", plain, bare, replace(default, tie_policy=TiePolicy.WEIGHTED_CAPACITY)),
        ("territories", owned, [replace(r, contacts=()) for r in requests], default),
        ("returning (90 d)", plain, [replace(r, zip5=None) for r in requests],
         replace(default, returning_window_days=90)),
        ("all three", owned, requests,
         replace(default, tie_policy=TiePolicy.ROUND_ROBIN, returning_window_days=90)),
    ]  # fmt: skip
    redis = make_any_redis(RedisSettings(url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")))
    try:
        rates = [
            (name, await timed(redis, locs, reqs, batched(args.batch), policy))
            for name, locs, reqs, policy in variants
        ]
    finally:
        await redis.aclose()
    base = rates[0][1]
    print(f"{args.locations} locations {args.spacing:g} mi apart, {args.decisions} decisions, "
          f"decide_many({args.batch})")  # fmt: skip
    print(f"{'variant':<22} {'decisions/s':>12} {'vs baseline':>12}")
    for name, rate in rates:
        print(f"{name:<22} {rate:>12.0f} {rate / base:>11.2f}x")


if __name__ == "__main__":
    asyncio.run(main())

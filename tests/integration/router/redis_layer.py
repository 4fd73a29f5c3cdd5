"""Helpers of the router's Redis-layer tests: a directory loaded straight into Redis through the
real RedisDirectory (no Kafka, no service), and the capacity counters read back."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from leadflow_common.events.locations import BusinessHours, LocationProfile, LocationStatus
from leadflow_common.redis import AnyRedis
from router.adapters.keys import RedisKeys
from router.adapters.redis_decider import HoursPolicy, RedisDecider
from router.adapters.redis_directory import RedisDirectory
from router.domain.rules import RoutingPolicy

TTL_S = 3600
# Zones the directories use: the decider starts knowing only its default zone, so a batch has to
# discover the others through ``needtz`` replies.
ZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles")


def profile(location_id: str, lat: float, lon: float, capacity: int, state: str = "TX",
            timezone: str = "America/Chicago", status: LocationStatus = LocationStatus.ACTIVE,
            hours: BusinessHours | None = None) -> LocationProfile:  # fmt: skip
    return LocationProfile(
        location_id=location_id, name=location_id, franchise_code=location_id, status=status, lat=lat,
        lon=lon, timezone=timezone, daily_capacity=capacity, state=state, business_hours=hours,
    )  # fmt: skip


def random_profiles(count: int, rng: random.Random, max_capacity: int = 6) -> list[LocationProfile]:
    """``count`` locations around Texas (dense enough that radius steps overlap), a few inactive."""
    out = []
    for n in range(count):
        status = LocationStatus.PAUSED if rng.random() < 0.05 else LocationStatus.ACTIVE
        out.append(profile(f"L{n:04d}", 30.0 + rng.uniform(0, 3), -98.0 + rng.uniform(0, 3),
                           rng.randint(0, max_capacity), "TX", rng.choice(ZONES), status))  # fmt: skip
    return out


@dataclass
class LoadedDirectory:
    redis: AnyRedis
    keys: RedisKeys
    directory: RedisDirectory

    def decider(self, policy: RoutingPolicy | None = None, hours: HoursPolicy | None = None) -> RedisDecider:
        return RedisDecider(self.redis, self.keys, policy or RoutingPolicy(), TTL_S, TTL_S, hours)

    async def counters(self) -> dict[str, int]:
        """``location:day`` → reserved, from the counter keys themselves."""
        found: dict[str, int] = {}
        marker = self.keys.match("cap:")
        async for key in self.redis.scan_iter(match=f"{marker}*", count=1000):
            name = key.decode()
            found[name.removeprefix(marker)] = int(await self.redis.get(name) or 0)
        return found


@asynccontextmanager
async def loaded_directory(redis: AnyRedis, profiles: list[LocationProfile],
                           prefix: str | None = None) -> AsyncIterator[LoadedDirectory]:  # fmt: skip
    """``profiles`` applied and the directory marked loaded under a fresh prefix, deleted after."""
    keys = RedisKeys(prefix or f"rlayer-{uuid.uuid4().hex[:8]}")
    directory = RedisDirectory(redis, keys, TTL_S)
    try:
        for p in profiles:
            await directory.apply(p)
        await directory.mark_loaded()
        yield LoadedDirectory(redis, keys, directory)
    finally:
        batch = [k async for k in redis.scan_iter(match=keys.pattern, count=1000)]
        for k in batch:  # one by one: on a cluster the keys of a prefix need not share a slot
            await redis.delete(k)

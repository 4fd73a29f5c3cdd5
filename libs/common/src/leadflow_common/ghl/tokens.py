"""Location access tokens from ``POST /oauth/locationToken``, cached in process and in Redis until expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from leadflow_common.ghl.settings import GhlSettings

EXPIRY_MARGIN_S = 300  # refresh well before GHL would reject the token
Fetch = Callable[[str], Awaitable[tuple[str, int]]]  # location id -> (token, expires_in seconds)


class LocationTokens:
    def __init__(self, redis: Redis, settings: GhlSettings, fetch: Fetch) -> None:
        self._redis = redis
        self._settings = settings
        self._fetch = fetch
        self._local: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # bounded like the limiter's calls: a cold start of a batch touching a hundred
        # sub-accounts must not open a Redis connection per sub-account (the pool has a cap)
        self._redis_slots = asyncio.Semaphore(settings.redis_concurrency)

    def _key(self, location_id: str) -> str:
        return f"{self._settings.redis_prefix}:token:{self._settings.app_id}:{location_id}"

    async def get(self, location_id: str) -> str:
        cached = self._local.get(location_id)
        if cached and cached[1] > time.time():
            return cached[0]
        async with self._locks.setdefault(location_id, asyncio.Lock()):  # one fetch per process
            cached = self._local.get(location_id)
            if cached and cached[1] > time.time():
                return cached[0]
            key = self._key(location_id)
            async with self._redis_slots, self._redis.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                raw, ttl_ms = await pipe.execute()
            if raw is not None and ttl_ms > 0:
                token = raw.decode() if isinstance(raw, bytes) else str(raw)
                self._local[location_id] = (token, time.time() + ttl_ms / 1000)
                return token
            token, expires_in = await self._fetch(location_id)
            ttl = (
                max(1, expires_in - EXPIRY_MARGIN_S)
                if expires_in > 2 * EXPIRY_MARGIN_S
                else max(1, expires_in // 2)
            )
            async with self._redis_slots:
                await self._redis.set(key, token, ex=ttl)
            self._local[location_id] = (token, time.time() + ttl)
            return token

    async def invalidate(self, location_id: str) -> None:
        self._local.pop(location_id, None)
        async with self._redis_slots:
            await self._redis.delete(self._key(location_id))

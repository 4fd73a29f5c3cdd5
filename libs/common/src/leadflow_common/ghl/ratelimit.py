"""Distributed limiter per (app, resource) shared by every process through Redis.

A caller reserves the earliest send time that keeps the sliding window within GHL's limit and
sleeps exactly until then: one round trip, first come first served, no polling.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from leadflow_common.ghl.errors import GhlQuotaExhausted
from leadflow_common.ghl.metrics import THROTTLED_SECONDS
from leadflow_common.ghl.ratelimit_scripts import ACQUIRE, CONFIRM, OBSERVE, PAUSE
from leadflow_common.ghl.settings import GhlSettings
from leadflow_common.redis import AnyRedis

GRANTED, TOO_LONG, DAILY_SPENT = 0, 1, 2
MAX_CONFIRMS = 5  # re-checks after waking; each one only waits for sends already made


@dataclass(frozen=True)
class ResourceKeys:
    slots: str
    state: str
    daily: str


class RedisRateLimiter:
    def __init__(self, redis: AnyRedis, settings: GhlSettings) -> None:
        self._settings = settings
        self._acquire = redis.register_script(ACQUIRE)
        self._observe = redis.register_script(OBSERVE)
        self._confirm = redis.register_script(CONFIRM)
        self._pause = redis.register_script(PAUSE)
        # bounded so thousands of waiting callers never exhaust the shared Redis connection pool
        self._redis_slots = asyncio.Semaphore(settings.redis_concurrency)

    def keys(self, resource: str) -> ResourceKeys:
        s = self._settings
        # the hash tag keeps one resource's keys in one slot on a Redis Cluster
        base = f"{s.redis_prefix}:rl:{{{s.app_id}:{resource}}}"
        return ResourceKeys(
            f"{base}:slots", f"{base}:state", f"{base}:daily:{time.strftime('%Y%m%d', time.gmtime())}"
        )

    async def acquire(self, resource: str, endpoint: str = "") -> str:
        """Wait for this caller's slot; returns the slot's id (for ``observe``). Raises
        GhlQuotaExhausted when the daily quota is spent or the wait would exceed ``max_wait_s``."""
        s, k = self._settings, self.keys(resource)
        args: list[str | int] = [
            s.rate_limit_max,
            s.rate_limit_interval_ms,
            s.rate_limit_guard_ms,
            s.daily_limit,
        ]
        slot = uuid.uuid4().hex
        async with self._redis_slots:
            code, wait_ms = await self._acquire(
                keys=[k.slots, k.state, k.daily],
                args=[*args, int(s.max_wait_s * 1000), slot, s.rate_limit_burst],
            )
        if code == DAILY_SPENT:
            raise GhlQuotaExhausted(f"daily quota of {resource} spent", 429, endpoint)
        if code == TOO_LONG:
            raise GhlQuotaExhausted(
                f"no slot for {resource} within {s.max_wait_s}s ({wait_ms} ms)", 429, endpoint
            )
        waited = int(wait_ms) / 1000
        if waited > 0:
            THROTTLED_SECONDS.labels(endpoint).inc(waited)
            await asyncio.sleep(waited)
            await self._confirm_slot(k, slot, endpoint)
        return slot

    async def _confirm_slot(self, k: ResourceKeys, slot: str, endpoint: str) -> None:
        """A slot booked ahead is checked again on waking against the sends actually made since
        (see CONFIRM); a caller that slept in its queue pays one more round trip, one that was
        granted at once none."""
        s = self._settings
        args: list[str | int] = [slot, s.rate_limit_max, s.rate_limit_interval_ms, s.rate_limit_guard_ms]
        for _ in range(MAX_CONFIRMS):
            async with self._redis_slots:
                wait_ms = int(await self._confirm(keys=[k.slots, k.state], args=args))
            if wait_ms <= 0:
                return
            THROTTLED_SECONDS.labels(endpoint).inc(wait_ms / 1000)
            await asyncio.sleep(wait_ms / 1000)

    async def observe(self, resource: str, headers: Mapping[str, str], slot: str = "") -> int:
        """Learn from GHL's X-RateLimit-* headers; returns how many foreign requests were booked."""
        k = self.keys(resource)
        args: list[str | int] = [
            headers.get("x-ratelimit-max", ""),
            headers.get("x-ratelimit-interval-milliseconds", ""),
            headers.get("x-ratelimit-remaining", ""),
            headers.get("x-ratelimit-limit-daily", ""),
            headers.get("x-ratelimit-daily-remaining", ""),
            self._settings.rate_limit_guard_ms,
            uuid.uuid4().hex,
            slot,
        ]
        async with self._redis_slots:
            booked: int = await self._observe(keys=[k.slots, k.state, k.daily], args=args)
        return booked

    async def pause(self, resource: str) -> None:
        """After a 429: nobody sends to this resource for a while (one interval unless configured)."""
        s = self._settings
        pause_ms = s.rate_limit_pause_ms if s.rate_limit_pause_ms is not None else s.rate_limit_interval_ms
        async with self._redis_slots:
            await self._pause(keys=[self.keys(resource).state], args=[pause_ms])

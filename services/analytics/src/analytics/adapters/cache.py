"""Short-lived Redis cache of hot API responses: bounded staleness, not invalidation per batch.

An entry lives ``ttl_s`` (default 5 s), so a response is at most that much older than the
projections; the consumer does not touch the cache, so a steady stream of batches (several a
second under load) no longer empties it. Keys embed ``<prefix>:version``, which only
``analytics rebuild`` bumps (a swapped schema makes every older entry unreachable at once).
Single-key commands only (GET, SET, INCR): nothing here needs a Redis Cluster slot scan."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import orjson
from redis.asyncio import Redis

from analytics.metrics import CACHE_REQUESTS
from leadflow_common.logging import get_logger

log = get_logger(__name__)


class ResponseCache:
    def __init__(self, redis: Redis, prefix: str, ttl_s: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = int(ttl_s * 1000)
        self._inflight: dict[str, asyncio.Future[bytes]] = {}

    @property
    def version_key(self) -> str:
        return f"{self._prefix}:version"

    async def bump(self) -> None:
        await self._redis.incr(self.version_key)

    async def get_or_compute(self, key: str, compute: Callable[[], Awaitable[object]]) -> bytes:
        """JSON bytes of the response; Redis trouble degrades to computing it every time."""
        if self._ttl_ms <= 0:
            return orjson.dumps(await compute())
        try:
            version = _text(await self._redis.get(self.version_key)) or "0"
            full_key = f"{self._prefix}:cache:{version}:{key}"
            cached = await self._redis.get(full_key)
        except Exception as exc:
            log.warning("cache_unavailable", error=repr(exc))
            CACHE_REQUESTS.labels("error").inc()
            return orjson.dumps(await compute())
        if cached is not None:
            CACHE_REQUESTS.labels("hit").inc()
            return cached if isinstance(cached, bytes) else str(cached).encode()
        pending = self._inflight.get(full_key)
        if pending is not None:  # single flight: concurrent misses in this process share one query
            CACHE_REQUESTS.labels("coalesced").inc()
            return await asyncio.shield(pending)
        CACHE_REQUESTS.labels("miss").inc()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._inflight[full_key] = future
        try:
            body = orjson.dumps(await compute())
            future.set_result(body)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._inflight[full_key]
        try:
            await self._redis.set(full_key, body, px=self._ttl_ms)
        except Exception as exc:
            log.warning("cache_store_failed", error=repr(exc))
        return body

    async def put_json(self, key: str, value: object, ttl_s: int) -> None:
        await self._redis.set(f"{self._prefix}:{key}", orjson.dumps(value), ex=ttl_s)

    async def get_json(self, key: str) -> object | None:
        raw = await self._redis.get(f"{self._prefix}:{key}")
        return orjson.loads(raw) if raw is not None else None


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value

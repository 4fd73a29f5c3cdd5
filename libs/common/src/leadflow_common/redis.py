"""The Redis client factory (redis-py asyncio, hiredis parser when installed)."""

from __future__ import annotations

from redis.asyncio import Redis

from leadflow_common.settings import RedisSettings


def make_redis(settings: RedisSettings) -> Redis:
    client: Redis = Redis.from_url(
        settings.url,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
        health_check_interval=30,
        decode_responses=False,
    )
    return client


async def redis_ready(client: Redis) -> None:
    await client.ping()

"""Wiping one namespace's topics, schemas and Redis keys, so a demo run starts from nothing."""

from __future__ import annotations

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient
from redis.asyncio import Redis


async def drop_topics(bootstrap: str, prefix: str, keep: str) -> None:
    """Delete earlier runs' topics (names starting with ``prefix``, not with ``keep``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        old = [t for t in await admin.list_topics() if t.startswith(prefix) and not t.startswith(keep)]
        if old:
            await admin.delete_topics(old)
    finally:
        await admin.close()


async def drop_schemas(admin_url: str, like: str, keep: str) -> None:
    """Drop earlier runs' schemas (``LIKE like``), except those starting with ``keep``."""
    conn = await asyncpg.connect(admin_url)
    try:
        rows = await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", like)
        for row in rows:
            if not row["nspname"].startswith(keep):
                await conn.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
    finally:
        await conn.close()


async def drop_redis_keys(url: str, prefix: str) -> int:
    client: Redis = Redis.from_url(url)
    deleted = 0
    try:
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            deleted += int(await client.delete(key))
    finally:
        await client.aclose()
    return deleted

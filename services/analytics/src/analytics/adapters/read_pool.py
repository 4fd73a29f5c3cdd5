"""The API's read connections: an asyncpg pool inside the analytics schema.

Reads are single statements with fixed texts (asyncpg prepares each once per connection); the
pool skips what a SQLAlchemy session adds to every read (a pre-ping, BEGIN, ROLLBACK, and the
reset query on release), which at dashboard rates cost more than the queries themselves."""

from __future__ import annotations

from typing import Any

import asyncpg


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Read-only statements leave no session state behind (no locks, cursors, LISTEN, SET)."""


class ReadPool:
    def __init__(self, database_url: str, schema: str, size: int = 5) -> None:
        self._dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self._schema = schema
        self._size = size
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=self._size,
            server_settings={"search_path": self._schema},
            reset=_no_reset,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        if self._pool is None:
            raise RuntimeError("ReadPool used before start()")
        async with self._pool.acquire() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

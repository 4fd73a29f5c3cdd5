"""Cursor pagination over a frozen ranking: the first page stores the ordered ids in Redis, and
the cursor (snapshot id + offset) walks that order, so every location is returned exactly once
even while new events change the metrics it was sorted by."""

from __future__ import annotations

import base64
import secrets

from analytics.adapters.cache import ResponseCache

SNAPSHOT_TTL_S = 900


class BadCursor(ValueError):
    pass


def encode_cursor(snapshot: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{snapshot}:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        snapshot, offset = raw.rsplit(":", 1)
        return snapshot, int(offset)
    except ValueError as exc:
        raise BadCursor("malformed cursor") from exc


class PageSnapshots:
    def __init__(self, cache: ResponseCache) -> None:
        self._cache = cache

    async def freeze(self, ids: list[str]) -> str:
        snapshot = secrets.token_urlsafe(12)
        await self._cache.put_json(f"pages:{snapshot}", ids, SNAPSHOT_TTL_S)
        return snapshot

    async def ids(self, snapshot: str) -> list[str]:
        ids = await self._cache.get_json(f"pages:{snapshot}")
        if not isinstance(ids, list):
            raise BadCursor("cursor expired: start again from the first page")
        return [str(i) for i in ids]

"""Which locations have the Marketplace app installed: one agency-wide list shared by every
concurrent saga, so N sagas cost about one ``installedLocations`` call instead of 2N."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class InstalledLocationsCache:
    """A location seen installed stays "installed" for ``ttl_s``; one not seen triggers a refresh
    (single-flight), so a brand-new sub-account is never reported missing from a stale list."""

    def __init__(self, fetch: Callable[[], Awaitable[set[str]]], ttl_s: float = 5.0) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._installed: set[str] = set()
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def is_installed(self, location_id: str) -> bool:
        if location_id in self._installed and self._fresh():
            return True
        requested_at = time.monotonic()
        async with self._lock:
            if self._fetched_at < requested_at:  # nobody refreshed while we waited
                self._installed = await self._fetch()
                self._fetched_at = time.monotonic()
            return location_id in self._installed

    def _fresh(self) -> bool:
        return time.monotonic() - self._fetched_at < self._ttl_s

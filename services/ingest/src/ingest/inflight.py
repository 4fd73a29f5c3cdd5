"""Counting requests in progress so shutdown can wait for them (and the in-flight gauge)."""

from __future__ import annotations

import asyncio

from ingest.metrics import IN_FLIGHT


class InFlight:
    """``enter``/``leave`` around each request (plain calls: a context manager per request costs
    a generator and two frames on the hot path)."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    def enter(self) -> None:
        self._count += 1
        self._idle.clear()
        IN_FLIGHT.inc()

    def leave(self) -> None:
        self._count -= 1
        IN_FLIGHT.dec()
        if self._count == 0:
            self._idle.set()

    async def wait_idle(self, timeout_s: float) -> bool:
        """True when every request finished within ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

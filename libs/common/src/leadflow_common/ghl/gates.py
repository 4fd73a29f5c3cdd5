"""Per-resource admission in one process: at most ``limit`` calls on a resource hold a limiter
reservation or are in flight at once; the rest wait here in arrival order.

Without it a batch of a thousand calls on one sub-account would reserve a thousand send times up
front, some far ahead, computed from grants GHL has not answered yet; a call delayed on its way
(a busy event loop, a full connection pool) could then land inside the next window and earn a
429. Admitted a few at a time, each reservation is computed from slots already re-stamped at
their answer time, and calls are served first come, first served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class _Gate:
    slots: asyncio.Semaphore  # FIFO for its waiters
    users: int = 0


class ResourceGates:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._gates: dict[str, _Gate] = {}

    @asynccontextmanager
    async def hold(self, resource: str) -> AsyncIterator[None]:
        gate = self._gates.get(resource)
        if gate is None:
            gate = self._gates[resource] = _Gate(asyncio.Semaphore(self._limit))
        gate.users += 1
        try:
            async with gate.slots:
                yield
        finally:
            gate.users -= 1
            if gate.users == 0:  # nobody holds or waits: forget it (thousands of sub-accounts)
                del self._gates[resource]

    def waiting(self, resource: str) -> int:
        """Calls on ``resource`` admitted or waiting right now (for tests and metrics)."""
        gate = self._gates.get(resource)
        return gate.users if gate else 0

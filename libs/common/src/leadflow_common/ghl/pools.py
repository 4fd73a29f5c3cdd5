"""HTTP connections to GHL as several small httpcore pools instead of one large one.

httpcore's pool walks every connection (and every queued request) on each request start and
end, checking each idle connection's socket: with a hundred connections that walk was two thirds
of the sync's CPU (py-spy, bench/ghl_sync) and capped a process near 100 requests/s. Pools of
``PER_POOL`` connections keep each walk short; a request goes to the pool with the fewest
requests in flight, so the total concurrency stays ``max_connections``.
"""

from __future__ import annotations

import math

import httpx

PER_POOL = 8


class PooledTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int, per_pool: int = PER_POOL) -> None:
        count = max(1, math.ceil(max_connections / per_pool))
        size = math.ceil(max_connections / count)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        tls = httpx.create_ssl_context()  # one for all pools: building one costs ~80 ms of CPU
        self._pools = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(count)]
        self._in_flight = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            # the body is read here (GHL answers are small) so the pool slot is counted until the
            # connection is free again
            response = await self._pools[index].handle_async_request(request)
            await response.aread()
        finally:
            self._in_flight[index] -= 1
        return response

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()

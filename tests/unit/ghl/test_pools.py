"""The GHL client's connection pools: sized to max_connections in total, a request goes to the
least busy pool, and the answer is read before its place is given back."""

from __future__ import annotations

import asyncio

import httpx

from leadflow_common.ghl.pools import PooledTransport


def test_pools_add_up_to_max_connections() -> None:
    assert len(PooledTransport(100, per_pool=8)._pools) == 13
    assert len(PooledTransport(5, per_pool=8)._pools) == 1


async def test_requests_go_to_the_least_busy_pool_and_free_it_when_answered() -> None:
    transport = PooledTransport(16, per_pool=8)
    seen: list[int] = []
    release = asyncio.Event()

    def pool(index: int) -> httpx.MockTransport:
        async def answer(request: httpx.Request) -> httpx.Response:
            seen.append(index)
            await release.wait()
            return httpx.Response(200, json={"pool": index})

        return httpx.MockTransport(answer)

    transport._pools = [pool(0), pool(1)]  # type: ignore[list-item]
    async with httpx.AsyncClient(transport=transport, base_url="http://ghl") as client:
        calls = [asyncio.create_task(client.get("/x")) for _ in range(6)]
        await asyncio.sleep(0.01)
        assert sorted(seen) == [0, 0, 0, 1, 1, 1] and transport._in_flight == [3, 3]
        release.set()
        answers = await asyncio.gather(*calls)
    assert sorted(r.json()["pool"] for r in answers) == [0, 0, 0, 1, 1, 1]
    assert transport._in_flight == [0, 0]

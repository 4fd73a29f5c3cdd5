"""Per-resource admission of the GHL transport: bounded per resource, independent across
resources, first come first served, forgotten when idle."""

from __future__ import annotations

import asyncio
import contextlib

from leadflow_common.ghl.gates import ResourceGates


async def test_at_most_limit_calls_per_resource_and_others_in_arrival_order() -> None:
    gates = ResourceGates(limit=2)
    release = asyncio.Event()
    inside: list[int] = []
    order: list[int] = []

    async def call(i: int, resource: str = "loc-a") -> None:
        async with gates.hold(resource):
            inside.append(i)
            order.append(i)
            await release.wait()
            inside.remove(i)

    tasks = [asyncio.create_task(call(i)) for i in range(6)]
    other = asyncio.create_task(call(99, "loc-b"))
    await asyncio.sleep(0.01)
    assert sorted(inside) == [0, 1, 99]  # two on loc-a, loc-b not held up by loc-a's queue
    assert gates.waiting("loc-a") == 6
    release.set()
    await asyncio.gather(*tasks, other)
    assert [i for i in order if i != 99] == [0, 1, 2, 3, 4, 5]
    assert gates.waiting("loc-a") == 0 and gates.waiting("loc-b") == 0


async def test_a_failing_call_frees_its_place() -> None:
    gates = ResourceGates(limit=1)

    async def fail() -> None:
        async with gates.hold("loc"):
            raise RuntimeError("boom")

    for _ in range(3):
        with contextlib.suppress(RuntimeError):
            await fail()
    async with gates.hold("loc"):
        assert gates.waiting("loc") == 1

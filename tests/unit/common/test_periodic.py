"""The shared interval job: a failing run is retried at the next interval, the first run comes at
once or after one interval, and stop ends it."""

from __future__ import annotations

import asyncio

import pytest

from leadflow_common.periodic import PeriodicTask, run_every


async def test_a_failed_run_is_retried_and_stop_ends_the_task() -> None:
    calls: list[int] = []

    async def job() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("store away")

    task = PeriodicTask("t", 0.01, job, "job_failed")
    task.start()
    for _ in range(500):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.01)
    await task.stop()
    count = len(calls)
    assert count >= 3  # the failure did not end it
    await asyncio.sleep(0.05)
    assert len(calls) == count  # stopped


async def test_first_run_at_once_or_after_one_interval() -> None:
    runs: list[str] = []

    async def job(name: str) -> None:
        runs.append(name)

    now = asyncio.create_task(run_every(60, lambda: job("now"), "failed"))
    later = asyncio.create_task(run_every(60, lambda: job("later"), "failed", first_now=False))
    await asyncio.sleep(0.05)
    now.cancel()
    later.cancel()
    assert runs == ["now"]


async def test_stop_ends_a_job_that_turns_the_cancellation_into_an_error() -> None:
    """Some drivers raise a connection error when the read they were in is cancelled; the loop
    must end anyway instead of sleeping an interval (an hour here) before it notices."""
    loops: list[asyncio.Task[object]] = []
    started = asyncio.Event()

    async def job() -> None:
        current = asyncio.current_task()
        assert current is not None
        loops.append(current)
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise ConnectionError("connection closed while reading") from None

    task = PeriodicTask("t", 3600, job, "job_failed")
    task.start()
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(task.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)  # not after the next hour's sleep
    if not done:
        loops[0].cancel()  # clean up what the failure leaves
    assert stopping in done and loops[0].cancelled()


async def test_a_stop_cancelled_from_outside_is_not_swallowed() -> None:
    async def refuses() -> None:  # a job whose loop takes a while to end
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.3)

    task = PeriodicTask("t", 3600, refuses, "job_failed")
    task.start()
    await asyncio.sleep(0.01)
    stopping = asyncio.create_task(task.stop())
    await asyncio.sleep(0.01)
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping

"""The shared interval job: a failing run is retried at the next interval, the first run comes at
once or after one interval, and stop ends it."""

from __future__ import annotations

import asyncio

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

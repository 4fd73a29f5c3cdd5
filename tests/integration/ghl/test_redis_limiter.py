"""The Redis limiter's rules on real Redis: paced FIFO slots, the window, daily quota, headers, pauses."""

from __future__ import annotations

import asyncio
import time
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from redis.asyncio import Redis

from leadflow_common.ghl import GhlQuotaExhausted, GhlSettings, RedisRateLimiter, ratelimit

pytestmark = pytest.mark.integration


def limiter(redis: Redis, **overrides: object) -> RedisRateLimiter:
    values: dict[str, object] = {
        "agency_token": "t",
        "company_id": "c",
        "app_id": "app",
        "redis_prefix": f"rltest-{uuid.uuid4().hex[:8]}",
        "rate_limit_max": 10,
        "rate_limit_interval_ms": 400,
        "rate_limit_guard_ms": 0,
        "rate_limit_burst": 1,
    }
    return RedisRateLimiter(redis, GhlSettings(**(values | overrides)))  # type: ignore[arg-type]


async def test_callers_are_served_in_arrival_order_at_an_even_pace(redis: Redis) -> None:
    rl = limiter(redis)
    started = time.monotonic()
    for _ in range(5):
        await rl.acquire("L1")
    # one slot per interval/max = 40 ms; the first is immediate
    assert 0.14 <= time.monotonic() - started < 0.4


async def test_no_more_than_max_in_any_window(redis: Redis) -> None:
    rl = limiter(redis, rate_limit_burst=10, rate_limit_max=10)  # burst capped at max/10 = 1
    k = rl.keys("L1")
    for _ in range(12):
        await rl.acquire("L1")
    scores = sorted(score for _, score in await redis.zrange(k.slots, 0, -1, withscores=True))
    assert all(scores[i + 10] - scores[i] >= 400 for i in range(len(scores) - 10))


async def test_daily_quota_spent_raises_without_waiting(redis: Redis) -> None:
    rl = limiter(redis, daily_limit=2, rate_limit_max=100)
    await rl.acquire("L1")
    await rl.acquire("L1")
    with pytest.raises(GhlQuotaExhausted):
        await rl.acquire("L1")


async def test_a_wait_beyond_max_wait_is_refused_and_reserves_nothing(redis: Redis) -> None:
    rl = limiter(redis, rate_limit_max=1, rate_limit_interval_ms=60_000, max_wait_s=0.5)
    await rl.acquire("L1")
    with pytest.raises(GhlQuotaExhausted):
        await rl.acquire("L1")
    assert await redis.zcard(rl.keys("L1").slots) == 1


async def test_headers_teach_the_limit_and_foreign_usage(redis: Redis) -> None:
    rl = limiter(redis, rate_limit_max=100, rate_limit_interval_ms=10_000)
    slot = await rl.acquire("L1")
    headers = {
        "x-ratelimit-max": "20",
        "x-ratelimit-interval-milliseconds": "1000",
        "x-ratelimit-remaining": "15",  # GHL counted 5: four came from somewhere else
        "x-ratelimit-limit-daily": "1000",
        "x-ratelimit-daily-remaining": "900",
    }
    assert await rl.observe("L1", headers, slot) == 4
    k = rl.keys("L1")
    assert await redis.hmget(k.state, ["max", "interval"]) == [b"20", b"1000"]
    assert await redis.zcard(k.slots) == 5
    assert int(await redis.get(k.daily) or 0) == 100


async def test_a_429_pauses_the_resource_for_everyone(redis: Redis) -> None:
    rl = limiter(redis, rate_limit_max=100, rate_limit_pause_ms=300)
    await rl.pause("L1")
    started = time.monotonic()
    await rl.acquire("L1")
    assert time.monotonic() - started >= 0.25
    other_started = time.monotonic()
    await rl.acquire("L2")  # other resources are not paused
    assert time.monotonic() - other_started < 0.1


async def test_a_caller_waking_late_pushes_the_queued_slots_behind_it(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch books its whole queue at once; when one caller wakes 600 ms after its slot (a busy
    event loop), the slots booked after it are checked again on waking, so no window of the sends
    actually made holds more than max (without the check, five sends fell within 250 ms here)."""
    rl = limiter(redis, rate_limit_max=4, rate_limit_interval_ms=1000)  # one grant per 250 ms
    real_sleep = asyncio.sleep
    late_once = {"late"}

    async def sleep(delay: float) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name() in late_once:
            late_once.clear()
            delay += 0.6
        await real_sleep(delay)

    monkeypatch.setattr(ratelimit, "asyncio", SimpleNamespace(sleep=sleep, Semaphore=asyncio.Semaphore))
    sent: list[float] = []

    async def send() -> None:
        await rl.acquire("L1")
        seconds, micros = await redis.time()
        sent.append(seconds + micros / 1e6)

    tasks: list[asyncio.Task[Any]] = []
    for i in range(8):
        tasks.append(asyncio.create_task(send(), name="late" if i == 1 else f"caller-{i}"))
        await real_sleep(0.005)  # booked in this order
    await asyncio.gather(*tasks)
    sent.sort()
    # at most 4 sends in any window; 150 ms of slack for the observation round trip on a busy machine
    assert all(sent[i + 4] - sent[i] >= 0.85 for i in range(len(sent) - 4)), sent

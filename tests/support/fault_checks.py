"""What every fault test checks at the end, and the lead bodies they send."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from redis.asyncio import Redis

from leadflow_system.leads import LeadStream, Place, location_places, miles, places_by_state
from leadflow_system.system import API_TOKEN, INTAKE_LOCATION_ID, LocalSystem
from router.adapters.keys import RedisKeys
from tests.support.infra import REPO

LOCATIONS_CSV = REPO / "services" / "onboarding" / "samples" / "locations.csv"
T = TypeVar("T")


class FastLeadStream(LeadStream):
    """LeadStream with the nearby-place candidates cached per anchor (10,000 leads in seconds)."""

    def nearby(self, anchor: Place, radius: float = 20.0) -> Place:
        return self.rng.choice(_nearby(anchor, radius))


@cache
def _nearby(anchor: Place, radius: float) -> list[Place]:
    return [p for p in places_by_state().get(anchor.state, []) if miles(p, anchor) <= radius] or [anchor]


def lead_bodies(count: int, csv_path: Path = LOCATIONS_CSV, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` ContactCreate webhooks in the intake account, each with its own webhookId."""
    stream = FastLeadStream(INTAKE_LOCATION_ID, location_places([csv_path]), rng=random.Random(seed))
    bodies = [stream.contact(i) for i in range(count)]
    for body in bodies:
        body["webhookId"] = str(uuid.uuid4())
    return bodies


async def wait_for(check: Callable[[], Awaitable[T]], timeout_s: float, what: str) -> T:
    deadline = asyncio.get_running_loop().time() + timeout_s
    last: T | None = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


async def capacity_report(system: LocalSystem, db_url: str) -> tuple[dict[str, int], dict[str, int]]:
    """(Redis capacity counters, Postgres assignments) per ``location:date``."""
    redis = Redis.from_url(system.env()["REDIS_URL"], decode_responses=True)
    prefix = RedisKeys(f"{system.run_id}:router").match("cap:")
    try:
        keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
        values = await redis.mget(keys) if keys else []
        counters = {k.removeprefix(prefix): int(v) for k, v in zip(keys, values, strict=True) if v}
    finally:
        await redis.aclose()
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        rows = await conn.fetch(
            f'SELECT location_id, capacity_date, count(*) AS n FROM "{system.schema("router")}".assignments '
            "WHERE location_id IS NOT NULL GROUP BY 1, 2"
        )
    finally:
        await conn.close()
    booked = {f"{r['location_id']}:{r['capacity_date'].isoformat()}": int(r["n"]) for r in rows}
    return {k: v for k, v in counters.items() if v}, booked


async def analytics_totals(system: LocalSystem) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=system.url("analytics"), timeout=10) as client:
        response = await client.get("/overview", headers={"Authorization": f"Bearer {API_TOKEN}"})
        response.raise_for_status()
        totals: dict[str, int] = response.json()["totals"]
        return totals

"""Capacity days roll over at the location's own local midnight, not at UTC's or the server's.

The router runs in-process on real Kafka, Postgres and Redis; only its clock is injected
(``RoutingHandler.clock`` and ``SlaTimers.clock``, the seam added for the SLA work), so every lead
goes through the real consumer → decide.lua → Postgres → leads.assigned.v1 path.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from router.adapters.gazetteer import default_gazetteer
from router.adapters.keys import RedisKeys
from tests.integration.router.harness import RunningRouter, running_router
from tests.support.infra import Infra

# Honolulu is UTC-10 all year (no DST): 23:50 local on 10 March is 09:50 UTC on 11 March.
BEFORE_MIDNIGHT = datetime(2025, 3, 11, 9, 50, tzinfo=UTC)  # HNL 2025-03-10 23:50, NYC 03-11 05:50
AFTER_MIDNIGHT = datetime(2025, 3, 11, 10, 5, tzinfo=UTC)  # HNL 2025-03-11 00:05, NYC 03-11 06:05
AFTER_UTC_MIDNIGHT = datetime(2025, 3, 12, 0, 30, tzinfo=UTC)  # HNL 2025-03-11 14:30, NYC 03-11 20:30


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
async def clocked(infra: Infra, router_schema: str) -> AsyncIterator[tuple[RunningRouter, Clock]]:
    await asyncio.to_thread(default_gazetteer)
    clock = Clock(BEFORE_MIDNIGHT)
    async with running_router(infra, router_schema) as router:
        assert router.services is not None and router.services.sla is not None
        router.services.routing.clock = clock
        router.services.sla.clock = clock  # timers armed at the fake instant never fall due
        yield router, clock


async def add(router: RunningRouter, location_id: str, zip_code: str, capacity: int, tz: str) -> None:
    place = default_gazetteer().by_postal_code(zip_code)
    assert place is not None and place.state is not None
    await router.publish_location(location_id, zip_code, place.lat, place.lon, capacity, place.state,
                                  timezone=tz)  # fmt: skip
    await router.wait_location(location_id, "active")


async def route(router: RunningRouter, zip_code: str, count: int) -> list[dict[str, object]]:
    leads = [f"c-{uuid.uuid4().hex[:10]}" for _ in range(count)]
    for lead in leads:  # one at a time: the order of bookings is the order of the leads
        await router.publish_contact(lead, postalCode=zip_code)
        await router.route_of(lead)
    return [(await router.route_of(lead))["assignment"] for lead in leads]


def placed(routes: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["location_id"], r["capacity_date"]) for r in routes]


async def counter(router: RunningRouter, location_id: str, day: str) -> int | None:
    value = await router.redis.get(RedisKeys(router.settings.redis_prefix).counter(location_id, day))
    return None if value is None else int(value)


async def test_full_location_takes_leads_again_after_its_local_midnight(
    clocked: tuple[RunningRouter, Clock],
) -> None:
    router, clock = clocked
    await add(router, "HNL-1", "96813", 2, "Pacific/Honolulu")  # 0.9 x 2 → two bookings a day
    await add(router, "NYC-1", "10001", 2, "America/New_York")

    # 23:50 in Honolulu (10 March): fill it; the third lead finds no other Hawaiian location.
    before = await route(router, "96814", 3)
    assert placed(before) == [("HNL-1", "2025-03-10"), ("HNL-1", "2025-03-10"), (None, None)]
    assert before[2]["reason"] == "all_nearby_locations_at_capacity"
    nyc_before = await route(router, "10002", 3)
    assert placed(nyc_before) == [("NYC-1", "2025-03-11"), ("NYC-1", "2025-03-11"), (None, None)]

    # 15 minutes later: past midnight in Honolulu (a new local day), same UTC and New York day.
    clock.now = AFTER_MIDNIGHT
    after = await route(router, "96814", 3)
    assert placed(after) == [("HNL-1", "2025-03-11"), ("HNL-1", "2025-03-11"), (None, None)]
    nyc_after = await route(router, "10002", 1)
    assert placed(nyc_after) == [(None, None)]  # still 11 March in New York: still full

    # Past UTC midnight but still 11 March in Honolulu and New York: both stay full.
    clock.now = AFTER_UTC_MIDNIGHT
    assert placed(await route(router, "96814", 1)) == [(None, None)]
    assert placed(await route(router, "10002", 1)) == [(None, None)]

    # One Redis counter per location and local date, equal to what Postgres stored.
    assert await counter(router, "HNL-1", "2025-03-10") == 2
    assert await counter(router, "HNL-1", "2025-03-11") == 2
    assert await counter(router, "HNL-1", "2025-03-12") is None
    assert await counter(router, "NYC-1", "2025-03-11") == 2
    assert await counter(router, "NYC-1", "2025-03-12") is None

"""Round robin stays fair across router replicas: three routers (one consumer group, the
partitions shared between them, each its own Redis client and decider) share one Redis prefix and
one schema; the leads of one place spread over its three equal locations within ±1."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

from leadflow_common.events.envelope import Envelope, encode_envelope
from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.topics import GHL_EVENTS, LOCATIONS
from router.adapters.gazetteer import default_gazetteer
from router.adapters.redis_decider import DecideRequest
from router.domain.rules import RouteOutcome
from router.settings import ROUTING_GROUP
from tests.integration.router.harness import RunningRouter, running_router
from tests.support.infra import Infra
from tests.support.kafka_io import produce

WAVE, WAVES = 15, 40  # waves until two replicas took leads (a member that joined late may need
# a session timeout before it gets partitions: three routers share one event loop here)


async def group_settled(replicas: Sequence[RunningRouter], timeout_s: float = 60.0) -> None:
    """Until each replica's routing consumer owns some of the partitions and together all of them
    (the third one to join triggers one more rebalance: leads sent before it lands can all reach
    one replica, which is not what this test is about)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    owned: list[int] = []
    while asyncio.get_running_loop().time() < deadline:
        owned = []
        for replica in replicas:
            assert replica.services is not None
            routing = [c for c in replica.services.broker.consumers if c.group_id == ROUTING_GROUP]
            owned.append(sum(len(c.assigned) for c in routing))
        if all(owned) and sum(owned) == GHL_EVENTS.partitions:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the routing group never settled over the replicas: {owned}")


DecideAll = Callable[[Sequence[DecideRequest], datetime, bool], Awaitable[list[RouteOutcome]]]


def counting(decide_all: DecideAll, replica: int, decided: Counter[int]) -> DecideAll:
    """Counts the leads a replica's decider booked, on every path (a batch's decide_many, and the
    record-by-record decide a batch falls back to after an error)."""

    async def wrapped(requests: Sequence[DecideRequest], now: datetime, book: bool) -> list[RouteOutcome]:
        if book:
            decided[replica] += len(requests)
        return await decide_all(requests, now, book)

    return wrapped


async def test_round_robin_is_fair_over_three_router_replicas(infra: Infra, router_schema: str) -> None:
    await asyncio.to_thread(default_gazetteer)
    prefix = f"rtest-rr-{uuid.uuid4().hex[:8]}"
    settings = {"redis_prefix": prefix, "tie_policy": "round_robin", "fair_band_miles": 3.0}
    async with AsyncExitStack() as stack:
        replicas: list[RunningRouter] = list(await asyncio.gather(
            *(stack.enter_async_context(running_router(infra, router_schema, **settings)) for _ in range(3))
        ))  # fmt: skip
        first = replicas[0]
        decided: Counter[int] = Counter()  # leads each replica's decider booked
        for n, replica in enumerate(replicas):
            assert replica.services is not None
            decider = replica.services.decider
            setattr(decider, "_decide_all", counting(decider._decide_all, n, decided))  # noqa: B010
        ids = [f"RR3-{n}-{uuid.uuid4().hex[:4]}".upper() for n in range(3)]
        for n, location_id in enumerate(ids):  # Phoenix downtown, about a mile apart
            place = default_gazetteer().by_postal_code(("85004", "85003", "85006")[n])
            assert place is not None
            profile = LocationProfile(
                location_id=location_id, ghl_location_id=f"ghl-{location_id}", name=location_id,
                franchise_code=location_id, status=LocationStatus.ACTIVE, lat=place.lat, lon=place.lon,
                timezone="America/Phoenix", daily_capacity=100, state=place.state,
            )  # fmt: skip
            envelope = encode_envelope(Envelope.wrap(profile, source="tests"))
            await produce(infra.kafka, LOCATIONS.name, [(location_id, envelope)])
        for location_id in ids:
            await first.wait_location(location_id, "active")
        routes: list[dict[str, Any]] = []
        for _ in range(WAVES):  # until the group has settled and two replicas at least took leads
            leads = [f"c-{uuid.uuid4().hex[:10]}" for _ in range(WAVE)]
            for lead in leads:  # keyed by contact id: spread over the partitions, so the replicas
                await first.publish_contact(lead, postalCode="85004")
            routes += [(await first.route_of(lead, timeout_s=60))["assignment"] for lead in leads]
            if len(decided) >= 2 and len(routes) >= 4 * WAVE:
                break
            if len(decided) < 2:
                await asyncio.sleep(1.0)
    assert len(decided) >= 2, decided  # the replicas shared the work
    picks = Counter(r["location_id"] for r in routes)
    assert set(picks) == set(ids), picks
    assert max(picks.values()) - min(picks.values()) <= 1, picks

"""Projections equal a recount of the generated stream, whatever the order, batching or redelivery."""

from __future__ import annotations

import random

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.adapters.projections import ProjectionStore
from analytics.translate import translate
from tests.integration.analytics.event_stream import Item, generate, shuffled_with_duplicates, without_zeros
from tests.integration.analytics.snapshot import counters, snapshot

TABLES = "location_hourly, location_daily, location_status, leads, pending_events, processed_events"


async def apply_in_batches(store: ProjectionStore, items: list[Item], rnd: random.Random) -> None:
    i = 0
    while i < len(items):
        size = rnd.choice((1, 3, 17, 64))
        chunk = items[i : i + size]
        await store.apply([(it.envelope, translate(it.topic, it.key, it.envelope)) for it in chunk])
        i += size


async def test_projections_match_recount_for_any_order_and_redelivery(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for seed in range(4):  # property over random orders, batch sizes and duplicates
        async with sessions() as session, session.begin():
            await session.execute(text(f"TRUNCATE {TABLES}"))
        stream = generate(seed)
        store = ProjectionStore(sessions, "analytics")
        await apply_in_batches(store, shuffled_with_duplicates(stream, seed), random.Random(seed))

        assert await counters(sessions) == without_zeros(stream.hourly), f"seed {seed}"
        assert await counters(sessions, daily=True) == without_zeros(stream.daily), f"seed {seed}"
        assert (await snapshot(sessions))["pending"] == []

        before = await snapshot(sessions)
        await apply_in_batches(store, list(stream.items), random.Random(seed + 100))  # full replay
        assert await snapshot(sessions) == before


async def test_events_before_assignment_wait_and_unknown_locations_are_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stream = generate(7, n_locations=2, n_leads=30)
    store = ProjectionStore(sessions, "analytics")
    # every GHL event first, then routing, then the location directory last
    order = {"ghl": 0, "leads": 1, "onboarding": 2, "locations": 3}
    ghl_first = sorted(stream.items, key=lambda it: next(v for k, v in order.items() if k in it.topic))
    for item in ghl_first:
        await store.apply([(item.envelope, translate(item.topic, item.key, item.envelope))])
    assert await counters(sessions) == without_zeros(stream.hourly)
    assert (await snapshot(sessions))["pending"] == []

"""`analytics rebuild` equals the incremental result, while the API serves and new events arrive."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.rebuild import run_rebuild
from analytics.settings import AnalyticsSettings
from leadflow_common.db import make_engine, make_sessionmaker
from tests.integration.analytics.event_stream import generate, only, without_zeros
from tests.integration.analytics.service import produce_items, running_app, wait_for_applied
from tests.integration.analytics.snapshot import counters, snapshot
from tests.support.infra import REPO, Infra

MIGRATIONS = Path(REPO) / "services" / "analytics" / "migrations"


def merged(*maps: dict[tuple[str, object], dict[str, float]]) -> dict[tuple[str, object], dict[str, float]]:
    out: dict[tuple[str, object], dict[str, float]] = {}
    for m in maps:
        for key, values in m.items():
            bucket = out.setdefault(key, {})
            for name, v in values.items():
                bucket[name] = bucket.get(name, 0.0) + v
    return out


async def test_rebuild_equals_incremental_while_serving(
    infra: Infra, settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    settings = settings.model_copy(update={"cache_ttl_s": 0.0})
    first = generate(21, n_locations=4, n_leads=80)
    second = generate(21, n_locations=4, n_leads=40, tag="late")  # more leads for the same locations
    async with running_app(settings) as client:
        await produce_items(infra.kafka, first.items)
        await wait_for_applied(client, len(first.items), settled=settings)
        incremental = await snapshot(sessions)

        rebuild = asyncio.create_task(run_rebuild(settings, MIGRATIONS, batch_size=50))
        await produce_items(infra.kafka, second.items)  # the live consumer keeps applying meanwhile
        while not rebuild.done():
            assert (await client.get("/overview")).status_code == 200  # the API keeps serving
            await asyncio.sleep(0.05)
        result = await rebuild
        assert result.records >= len(first.items)

        await wait_for_applied(client, len(first.items) + len(second.items), settled=settings)
        engine = make_engine(infra.service_db_url("analytics"), settings.db_schema)
        try:
            fresh = make_sessionmaker(engine)
            expected_hourly = only(without_zeros(merged(first.hourly, second.hourly)), "S21")
            assert only(await counters(fresh), "S21") == expected_hourly
            expected_daily = only(without_zeros(merged(first.daily, second.daily)), "S21")
            assert only(await counters(fresh, daily=True), "S21") == expected_daily
            rebuilt = await snapshot(fresh)
        finally:
            await engine.dispose()
        assert rebuilt["status"] == incremental["status"]
        assert {r["lead_id"]: r for r in incremental["leads"]}.items() <= {
            r["lead_id"]: r for r in rebuilt["leads"]
        }.items()


async def test_rebuild_reproduces_the_incremental_tables_exactly(
    infra: Infra, settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Without concurrent traffic, every rebuilt table equals its incremental version row for row
    (both hold every stream the session's topics carry)."""
    settings = settings.model_copy(update={"cache_ttl_s": 0.0})
    stream = generate(23, n_locations=3, n_leads=30)
    async with running_app(settings) as client:
        await produce_items(infra.kafka, stream.items)
        await wait_for_applied(client, len(stream.items), settled=settings)
    incremental = await snapshot(sessions)
    await run_rebuild(settings.model_copy(update={"consume": False}), MIGRATIONS, batch_size=7)
    engine = make_engine(infra.service_db_url("analytics"), settings.db_schema)
    try:
        rebuilt = await snapshot(make_sessionmaker(engine))
    finally:
        await engine.dispose()
    assert rebuilt == incremental

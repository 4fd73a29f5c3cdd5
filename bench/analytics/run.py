"""Analytics benchmark: events applied per second by the projector at batch sizes 1, 100 and 500
(baseline: batch size 1, measured in the same run), then dashboard API latency, uncached (the
baseline) vs cached, with concurrent clients over a synthetic hourly history.

    uv run python bench/analytics/run.py [--events 5000] [--locations 200] [--days 30] [--clients 50]

Needs the devstack (Kafka is not used: this measures the Postgres apply path and the API)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from asgi_lifespan import LifespanManager  # noqa: E402
from sqlalchemy import text  # noqa: E402

from analytics.adapters.projections import ProjectionStore  # noqa: E402
from analytics.main import create_app  # noqa: E402
from analytics.settings import AnalyticsSettings  # noqa: E402
from analytics.translate import translate  # noqa: E402
from leadflow_common.db import make_engine, make_sessionmaker  # noqa: E402
from leadflow_common.migrations import upgrade  # noqa: E402
from tests.integration.analytics.event_stream import Item, generate  # noqa: E402

MIGRATIONS = REPO / "services" / "analytics" / "migrations"
TABLES = "location_hourly, location_daily, location_status, leads, pending_events, processed_events"


async def apply_rate(settings: AnalyticsSettings, batch_size: int, events: int) -> float:
    engine = make_engine(settings.database_url, settings.db_schema)
    sessions = make_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES}"))
    items: list[Item] = []
    seed = 0
    while len(items) < events:
        items += generate(seed, n_locations=20, n_leads=200, tag=uuid.uuid4().hex[:6]).items
        seed += 1
    items = items[:events]
    translated = [(i.envelope, translate(i.topic, i.key, i.envelope)) for i in items]
    store = ProjectionStore(sessions, "bench")
    started = time.perf_counter()
    for start in range(0, len(translated), batch_size):
        await store.apply(translated[start : start + batch_size])
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return len(translated) / elapsed


async def seed_history(settings: AnalyticsSettings, locations: int, days: int) -> None:
    engine = make_engine(settings.database_url, settings.db_schema)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TABLES}"))
        await conn.execute(
            text(
                "INSERT INTO location_status"
                " (location_id, name, region, state, timezone, daily_capacity, status)"
                " SELECT 'B-' || lpad(n::text, 5, '0'), 'Bench ' || n,"
                " (ARRAY['east','west','central'])[n % 3 + 1],"
                " 'NY', 'America/New_York', 40, 'active' FROM generate_series(1, :n) n"
            ),
            {"n": locations},
        )
        await conn.execute(
            text(
                "INSERT INTO location_hourly (location_id, hour_utc, leads, score_sum, won, appointments)"
                " SELECT s.location_id, h, 1 + (random() * 3)::int, 50 + random() * 100,"
                " (random() < 0.2)::int, (random() < 0.3)::int FROM location_status s,"
                " generate_series(date_trunc('hour', now()) - make_interval(days => :d), now(),"
                " interval '1 hour') h"
            ),
            {"d": days},
        )
        await conn.execute(text("ANALYZE location_hourly"))
    await engine.dispose()


async def api_latency(settings: AnalyticsSettings, clients: int, requests: int) -> tuple[float, float, float]:
    app = create_app(settings)
    latencies: list[float] = []
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        headers = {"Authorization": f"Bearer {settings.api_token.get_secret_value()}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://a", headers=headers) as client:
            paths = [
                "/overview",
                "/locations/performance?sort=conversion_rate&limit=50",
                "/locations/B-00001/metrics",
            ]

            async def worker(n: int) -> None:
                for i in range(requests):
                    t = time.perf_counter()
                    response = await client.get(paths[(n + i) % len(paths)])
                    response.raise_for_status()
                    latencies.append(time.perf_counter() - t)

            started = time.perf_counter()
            await asyncio.gather(*(worker(n) for n in range(clients)))
            elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return q[49] * 1000, q[98] * 1000, len(latencies) / elapsed


def table(title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    print(f"\n{title}")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


async def main(args: argparse.Namespace) -> None:
    base = AnalyticsSettings()
    schema = f"analytics_bench_{uuid.uuid4().hex[:6]}"
    await asyncio.to_thread(upgrade, MIGRATIONS, base.database_url, schema)
    settings = base.model_copy(
        update={"db_schema": schema, "consume": False, "redis_prefix": f"bench-{schema}"}
    )
    engine = make_engine(base.database_url, schema)
    try:
        rates: list[tuple[int, float]] = []
        for batch in (1, 100, 500):
            events = min(args.events, 800) if batch == 1 else args.events
            rates.append((batch, await apply_rate(settings, batch, events)))
        baseline = rates[0][1]
        table(
            "projector apply rate (translate + one transaction per batch, Postgres)",
            ("batch size", "events/s", "vs batch 1", "target"),
            [(str(b), f"{r:,.0f}", f"{r / baseline:.1f}x", ">= 5,000/s") for b, r in rates],
        )
        await seed_history(settings, args.locations, args.days)
        rows = []
        for label, ttl in (("uncached (baseline)", 0.0), ("cached (Redis, 5 s)", 5.0)):
            p50, p99, rps = await api_latency(
                settings.model_copy(update={"cache_ttl_s": ttl}), args.clients, 20
            )
            rows.append((label, f"{p50:.1f}", f"{p99:.1f}", f"{rps:,.0f}"))
        table(
            f"dashboard API, {args.clients} concurrent clients,"
            f" {args.locations} locations x {args.days} days hourly",
            ("mode", "p50 ms", "p99 ms", "req/s"),
            rows,
        )
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--clients", type=int, default=50)
    asyncio.run(main(parser.parse_args()))

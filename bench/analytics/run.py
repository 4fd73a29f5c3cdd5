"""Analytics benchmark, every figure against a baseline measured in the same run.

1. Consumer path: a backlog of generated events (locations, assignments, syncs, SLA re-routes,
   outcomes, appointments, unknown types) is produced to Kafka first; then ``analytics serve``
   processes consume it through the shared batch engine into fresh schemas, one process per
   batch size: 1 (the baseline: one record per transaction), 500 and the default; with
   ``--compare-src DIR`` also the default batch size running the analytics code in DIR (the
   code before a change), against the same backlog. Events/s
   applied (Kafka fetch + envelope decode + translate + one transaction per batch + commits),
   CPU of the analytics process and of its Postgres backends.
2. Dashboard API: ``analytics serve`` (consumer off) over a synthetic hourly history, loaded
   open-loop (requests due at a constant rate, latency from the due time, 20 concurrent
   clients) by api_load.py in its own process: the hourly-rows-only read (baseline), the
   rollup read uncached, and cached (Redis, 5 s TTL).

    uv run python bench/analytics/run.py [--events 60000] [--baseline-events 1500] [--rate 100]
        [--compare-src /tmp/before/services/analytics/src]

Needs the devstack (``uv run devstack up``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import asyncpg  # noqa: E402

from analytics.settings import AnalyticsSettings  # noqa: E402
from bench.analytics import api_path, consumer_path  # noqa: E402
from bench.analytics.consumer_path import ConsumerRun, compare_env  # noqa: E402
from leadflow_common.kafka.admin import ensure_topics  # noqa: E402
from leadflow_common.migrations import upgrade  # noqa: E402
from tests.support.ghl import free_port  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "analytics" / "migrations"


def table(title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    print(f"\n{title}")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


async def drop(admin_dsn: str, schemas: list[str]) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        for schema in schemas:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def drop_topics(bootstrap: str, namespace: str) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(namespace + ".")]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


async def consumer_bench(args: argparse.Namespace, base: AnalyticsSettings, admin_dsn: str) -> None:
    namespace = consumer_path.fresh_name("bench-analytics")
    env = consumer_path.bench_env(namespace)
    app_dsn = consumer_path.pg_dsn(base.database_url)
    bootstrap = base.kafka.bootstrap_servers
    schemas: list[str] = []
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace  # topic names below are namespaced
    try:
        await ensure_topics(bootstrap)
        items = consumer_path.stream_items(args.events, args.locations)
        produce_s = await consumer_path.produce_backlog(bootstrap, items)
        print(f"backlog: {len(items):,} events produced to Kafka in {produce_s:.1f} s")
        if args.compare_src:
            print(f"compare: analytics code from {args.compare_src}")
        runs: list[ConsumerRun] = []
        serial = {**env, "ANALYTICS_PREFETCH": "false"}
        plan = [
            (1, args.baseline_events, serial, "this tree, serial"),
            (500, len(items), env, "this tree"),
            (base.batch_max_records, len(items), serial, "this tree, serial"),
            (base.batch_max_records, len(items), env, "this tree"),
        ]
        if args.compare_src:  # the same backlog through other code, e.g. before a change
            plan.append((base.batch_max_records, len(items), compare_env(env, args.compare_src), "compare"))
        for batch, target, run_env, code in plan:
            schema = consumer_path.fresh_name("analytics_bench")
            schemas.append(schema)
            await asyncio.to_thread(upgrade, MIGRATIONS, base.database_url, schema)
            runs.append(
                await consumer_path.measure(
                    run_env, admin_dsn, app_dsn, schema, batch, target, free_port(), code
                )
            )
        baseline = runs[0].rate
        table(
            "analytics consumer path (Kafka backlog -> batch engine -> committed projections)",
            (
                "code",
                "batch",
                "events",
                "events/s",
                "vs batch 1",
                "analytics CPU",
                "µs CPU/event",
                "Postgres CPU",
                "µs PG/event",
                "serial bound/s",
                "overlap bound/s",
                "target",
            ),
            [
                (
                    r.code,
                    str(r.batch),
                    f"{r.events:,}",
                    f"{r.rate:,.0f}",
                    f"{r.rate / baseline:.1f}x",
                    f"{r.cpu_s / r.seconds:.2f} cores",
                    f"{1e6 * r.cpu_s / r.events:.0f}",
                    f"{r.pg_cpu_s / r.seconds:.2f} cores",
                    f"{1e6 * r.pg_cpu_s / r.events:.0f}",
                    f"{r.events / (r.cpu_s + r.pg_cpu_s):,.0f}",
                    f"{r.events / max(r.cpu_s, r.pg_cpu_s):,.0f}",
                    ">= 15,000/s (goal 30,000)",
                )
                for r in runs
            ],
        )
        print(
            "serial bound/s: events / (analytics CPU + Postgres CPU): the rate when a batch is Python,"
            " then Postgres, in turn (ANALYTICS_PREFETCH=false, 'serial'); overlap bound/s: events /"
            " the larger of the two, the rate when the next poll is decoded while Postgres writes"
            " (the default); on a loaded machine events/s is lower by the CPU the processes did not get"
        )
    finally:
        await drop(admin_dsn, schemas)
        await drop_topics(bootstrap, namespace)


async def api_bench(args: argparse.Namespace, base: AnalyticsSettings, admin_dsn: str) -> None:
    schema = consumer_path.fresh_name("analytics_bench_api")
    await asyncio.to_thread(upgrade, MIGRATIONS, base.database_url, schema)
    env = dict(os.environ)
    try:
        rows = await api_path.seed_history(
            consumer_path.pg_dsn(base.database_url), schema, args.locations, args.days
        )
        modes = (
            ("hourly rows only, uncached (baseline)", 0.0, False),
            ("rollup, uncached", 0.0, True),
            ("rollup, cached (Redis, 5 s TTL)", 5.0, True),
        )
        runs = [
            await asyncio.to_thread(
                api_path.load,
                env,
                label,
                schema,
                free_port(),
                ttl,
                rollup,
                args.rate,
                args.seconds,
                args.clients,
                args.locations,
            )
            for label, ttl, rollup in modes
        ]
        base_p99 = runs[0].ms("p99_ms")
        table(
            f"dashboard API open-loop: {args.rate:g} req/s offered for {args.seconds:g} s,"
            f" {args.clients} clients,"
            f" {args.locations} locations x {args.days} days ({rows:,} hourly rows);"
            " overview / performance / series in turn",
            (
                "mode",
                "ok/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "p99 vs baseline",
                "server µs CPU/req",
                "errors",
                "target p99",
            ),
            [
                (
                    r.label,
                    f"{r.ms('ok_per_s'):.0f}",
                    *(f"{r.ms(k):.1f}" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")),
                    f"{r.ms('p99_ms') / base_p99:.2f}x",
                    f"{r.server_cpu_us:,.0f}",
                    str(r.result["errors"]),
                    "< 100 ms (goal < 20 ms)",
                )
                for r in runs
            ],
        )
    finally:
        await drop(admin_dsn, [schema])


async def main(args: argparse.Namespace) -> None:
    base = AnalyticsSettings()
    admin_dsn = os.environ.get("DATABASE_URL", consumer_path.pg_dsn(base.database_url))
    if not args.skip_consumer:
        await consumer_bench(args, base, admin_dsn)
    if not args.skip_api:
        await api_bench(args, base, admin_dsn)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=60_000, help="backlog size for the batched runs")
    parser.add_argument("--baseline-events", type=int, default=1_500, help="events the batch-1 run applies")
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rate", type=float, default=100.0, help="API requests per second, constant")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--compare-src",
        help="also run the default batch size with the analytics package in this directory"
        " (e.g. the code before a change, see consumer_path.compare_env)",
    )
    parser.add_argument("--skip-consumer", action="store_true")
    parser.add_argument("--skip-api", action="store_true")
    asyncio.run(main(parser.parse_args()))

"""Onboarding throughput against the GHL simulator with GHL's real limits (100 requests / 10 s per
resource), next to the lower bound those limits allow, computed from the same run's request log.

For each count N: N OnboardLocation commands are published, the service runs (real Kafka,
Postgres, Redis from devstack), and the wall time until every location is active is measured.
Lower bound: the busiest resource (the agency/company one: creates, app-install checks, users)
needs ceil(calls / max) - 1 full windows after its first burst, plus one saga's critical path
(snapshot push delay), whichever is larger. Also prints the number of 429s (target: zero).

    PYTHONPATH=. uv run python bench/onboarding/run.py [--counts 75,300] [--concurrency 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import uuid
from collections import Counter

import asyncpg

from leadflow_common.events.envelope import EventPayload
from leadflow_common.events.onboarding import OnboardLocation
from onboarding.csv_source import read_csv
from onboarding.domain.validation import validate_rows
from onboarding.importer import publish_commands
from onboarding.main import build_service
from onboarding.settings import OnboardingSettings
from tests.support.ghl import GhlSim, start_ghl_sim
from tests.support.infra import REPO, Infra, drop_namespace_topics, migrated_schema, start_infra

LIMIT_MAX, LIMIT_INTERVAL_MS, PUSH_DELAY_S = 100, 10_000, 2.0


def commands(n: int) -> list[tuple[str, EventPayload]]:
    sample = read_csv(REPO / "services" / "onboarding" / "samples" / "locations.csv")
    drafts = [v.draft for v in validate_rows(sample.headers, sample.rows).valid]
    out: list[tuple[str, EventPayload]] = []
    for i in range(n):
        base = drafts[i % len(drafts)]
        code = f"BENCH-{i:05d}"
        draft = base.model_copy(update={"franchise_code": code, "name": f"{base.name} B{i}"})
        out.append((code, OnboardLocation(location=draft)))
    return out


async def active_count(infra: Infra, schema: str) -> int:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        return int(
            await conn.fetchval(f"SELECT count(*) FROM \"{schema}\".locations WHERE status = 'active'")
        )
    finally:
        await conn.close()


def lower_bound_s(requests: list[dict[str, object]]) -> tuple[float, str, int]:
    per_resource = Counter(str(r["resource"]) for r in requests)
    resource, calls = per_resource.most_common(1)[0]
    windows = max(math.ceil(calls / LIMIT_MAX) - 1, 0)
    return max(windows * LIMIT_INTERVAL_MS / 1000, PUSH_DELAY_S), resource, calls


async def run_one(infra: Infra, sim: GhlSim, schema: str, n: int, concurrency: int) -> None:
    sim.reset()
    sim.set_limits(LIMIT_MAX, LIMIT_INTERVAL_MS)
    settings = OnboardingSettings(
        database_url=infra.service_db_url("onboarding"),
        db_schema=schema,
        consumer_group=f"bench-{uuid.uuid4().hex[:8]}",
        concurrency=concurrency,
        push_poll_initial_s=0.25,
        push_poll_max_s=0.5,
        scheduler_poll_s=0.2,
    )
    await publish_commands(settings, commands(n))
    service = build_service(settings, sim.settings(redis_prefix=f"bench-{uuid.uuid4().hex[:8]}"))
    started = time.perf_counter()
    await service.start()
    try:
        while await active_count(infra, schema) < n:
            if time.perf_counter() - started > 60 + n * 3:
                raise RuntimeError("bench did not finish in time")
            await asyncio.sleep(0.25)
        wall = time.perf_counter() - started
    finally:
        await service.stop()
    requests = sim.requests()
    bound, resource, calls = lower_bound_s(requests)
    outcomes = Counter(str(r["outcome"]) for r in requests)
    print(
        f"N={n:4d} concurrency={concurrency}: wall {wall:6.1f} s | lower bound {bound:6.1f} s "
        f"({calls} calls on {resource}) | ratio {wall / bound:4.2f} | "
        f"requests {len(requests)} | 429s {outcomes['rate_limited'] + outcomes['storm']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="75,300")
    parser.add_argument("--concurrency", type=int, default=5)
    args = parser.parse_args()
    infra = start_infra()
    sim = start_ghl_sim(snapshot_push_delay_s=str(PUSH_DELAY_S))
    try:
        for n in (int(c) for c in args.counts.split(",")):
            for schema in migrated_schema(infra, "onboarding"):  # dropped after the run
                asyncio.run(run_one(infra, sim, schema, n, args.concurrency))
    finally:
        sim.close()
        drop_namespace_topics(infra)


if __name__ == "__main__":
    main()

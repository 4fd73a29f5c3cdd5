"""End-to-end benchmark: signed webhook -> ingest -> ghl.events.v1 -> router -> LeadAssigned.

The GHL simulator, ingest, router and analytics run as processes (LocalSystem) on the devstack's
Kafka, Postgres and Redis, in their own topic namespace and schemas; 16 active locations with
ample capacity (so no lead is pooled for capacity). GHL sync is off: it runs after LeadAssigned
and is rate-limited by GHL, so it is not on the measured path.

Latency: open loop, from each webhook's scheduled send time to the LeadAssigned/LeadUnassigned
record's broker timestamp (CreateTime, set by the router's producer on the same clock). Measured at
a low rate (the baseline: an unloaded pipeline) and at the target rate (200 leads/s; target p99 <
50 ms). Throughput: leads/s for a burst sent as fast as ingest accepts it, through the whole
pipeline (decided by the router and applied by analytics), next to its stages alone: ingest
accepting webhooks, and the router deciding events already on Kafka.

    uv run python bench/e2e/run.py [--seconds 10] [--rate 200] [--burst 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import httpx  # noqa: E402
import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer  # noqa: E402

from devstack import stack  # noqa: E402
from ghl_simulator.webhooks import WebhookSigner, stamp  # noqa: E402
from leadflow_common.kafka.lag import read_consumer_lag  # noqa: E402
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, namespaced  # noqa: E402
from leadflow_system.rig import produce_webhooks, profiles_from_csv, rig_system  # noqa: E402
from leadflow_system.system import LocalSystem  # noqa: E402
from tests.support.fault_checks import LOCATIONS_CSV, lead_bodies  # noqa: E402
from tests.support.infra import Infra, drop_namespace_topics, drop_schema  # noqa: E402

DECISIONS = ("LeadAssigned", "LeadUnassigned")


class Decisions:
    """Tails leads.assigned.v1 from its end: lead id -> broker timestamp (ms) of its decision."""

    def __init__(self, bootstrap: str) -> None:
        self.seen: dict[str, int] = {}
        self._consumer = AIOKafkaConsumer(
            LEADS_ASSIGNED.name,
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer.seek_to_end()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    envelope = orjson.loads(record.value)
                    if envelope.get("event_type") in DECISIONS:
                        self.seen.setdefault(envelope["payload"]["lead_id"], record.timestamp)

    async def wait(self, leads: list[str], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(lead in self.seen for lead in leads):
                return True
            await asyncio.sleep(0.1)
        return False

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self._consumer.stop()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def send_paced(
    url: str, signer: WebhookSigner, bodies: list[dict[str, Any]], rate: float | None, conns: int = 64
) -> tuple[dict[str, float], float]:
    """POST each body; returns the time (epoch ms) each lead counts from and the seconds the
    sending took. Paced (``rate``/s): open loop, every request scheduled at a fixed time and its
    latency counted from that time, so a slow server cannot slow the offered load down and hide
    its queueing (no coordinated omission). ``rate=None``: as fast as ``conns`` connections go,
    each lead counted from its actual send."""
    signed = []
    for body in bodies:
        raw = orjson.dumps(stamp(body))
        signed.append((body["id"], raw, signer.headers(raw)))
    sent: dict[str, float] = {}
    failures = 0
    # Unpaced, at most ``conns`` requests wait for the client's pool at a time (httpcore walks its
    # waiters on every release: thousands queued made the client, not ingest, the bottleneck).
    gate = asyncio.Semaphore(conns if not rate else len(bodies) or 1)
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    # No pool timeout: a burst queues its requests for a connection; that wait is part of the run.
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, pool=None), limits=limits) as client:

        async def one(lead: str, raw: bytes, headers: dict[str, str], scheduled_ms: float | None) -> None:
            nonlocal failures
            async with gate:
                sent[lead] = scheduled_ms if scheduled_ms is not None else time.time() * 1000
                response = await client.post(url, content=raw, headers=headers)
            failures += response.status_code != 200

        started, started_epoch_ms = time.monotonic(), time.time() * 1000
        tasks = []
        for index, item in enumerate(signed):
            scheduled_ms = None
            if rate:
                offset = index / rate
                delay = started + offset - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                scheduled_ms = started_epoch_ms + offset * 1000
            tasks.append(asyncio.create_task(one(*item, scheduled_ms)))
        await asyncio.gather(*tasks)
        took = time.monotonic() - started
    if failures:
        raise RuntimeError(f"{failures} webhooks were not accepted")
    return sent, took


async def latency(
    system: LocalSystem, decisions: Decisions, signer: WebhookSigner, rate: float, seconds: float, seed: int
) -> dict[str, float]:
    bodies = lead_bodies(int(rate * seconds), seed=seed)
    sent, took = await send_paced(system.url("ingest") + "/webhooks/ghl", signer, bodies, rate)
    # Every lead of this phase decided (bounded) before the next phase starts, so a backlog left by
    # an overloaded phase is measured here (as latency) and never counted in the next one.
    done = await decisions.wait(list(sent), timeout_s=300)
    lat = [decisions.seen[lead] - t for lead, t in sent.items() if lead in decisions.seen]
    return {
        "rate_target": rate,
        "rate_sent": len(bodies) / took,
        "leads": len(bodies),
        "decided": len(lat),
        "complete": float(done),
        "p50_ms": pct(lat, 0.50),
        "p99_ms": pct(lat, 0.99),
        "max_ms": max(lat) if lat else float("nan"),
    }


async def analytics_caught_up(bootstrap: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lags = await read_consumer_lag(bootstrap, namespaced("analytics"))
        if lags and sum(p.lag for p in lags) == 0:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("analytics still lagging")


async def throughput(
    system: LocalSystem, decisions: Decisions, signer: WebhookSigner, bootstrap: str, burst: int
) -> dict[str, float]:
    url = system.url("ingest") + "/webhooks/ghl"
    # The whole pipeline: a burst through ingest, until every lead is decided and analytics has
    # applied every event (its group's lag is 0).
    bodies = lead_bodies(burst, seed=71)
    started = time.monotonic()
    sent, ingest_s = await send_paced(url, signer, bodies, rate=None)
    await decisions.wait(list(sent), timeout_s=600)
    decided_s = time.monotonic() - started
    await analytics_caught_up(bootstrap, timeout_s=600)
    pipeline_s = time.monotonic() - started
    # Stage alone: the router deciding a burst already on Kafka.
    bodies = lead_bodies(burst, seed=72)
    await produce_webhooks(bootstrap, GHL_EVENTS.name, bodies)
    started = time.monotonic()
    await decisions.wait([b["id"] for b in bodies], timeout_s=600)
    router_s = time.monotonic() - started
    return {
        "burst": burst,
        "pipeline_leads_per_s": burst / pipeline_s,
        "decided_leads_per_s": burst / decided_s,
        "ingest_accepts_per_s": burst / ingest_s,
        "router_alone_leads_per_s": burst / router_s,
    }


async def measure(system: LocalSystem, bootstrap: str, args: argparse.Namespace) -> dict[str, Any]:
    signer = WebhookSigner.from_dir()
    decisions = Decisions(bootstrap)
    await decisions.start()
    try:
        await latency(system, decisions, signer, rate=20, seconds=2, seed=80)  # warm-up
        baseline = await latency(
            system, decisions, signer, rate=args.baseline_rate, seconds=args.seconds, seed=81
        )
        target = await latency(system, decisions, signer, rate=args.rate, seconds=args.seconds, seed=82)
        burst = await throughput(system, decisions, signer, bootstrap, args.burst)
    finally:
        await decisions.stop()
    return {"latency_baseline": baseline, "latency_target": target, "throughput": burst}


def main(args: argparse.Namespace) -> dict[str, Any]:
    env = stack.env_vars()
    namespace = f"benche2e{uuid.uuid4().hex[:6]}"
    profiles = profiles_from_csv(LOCATIONS_CSV, 16, capacity=100_000)
    with (
        tempfile.TemporaryDirectory() as logs,
        rig_system(
            env,
            Path(logs),
            namespace,
            profiles,
            services=("ingest", "router", "analytics"),
            extra_env={"ROUTER_SYNC_ENABLED": "false"},
        ) as system,
    ):
        try:
            return asyncio.run(measure(system, env["KAFKA_BOOTSTRAP_SERVERS"], args))
        finally:
            system.stop()
            infra = Infra(
                env["KAFKA_BOOTSTRAP_SERVERS"], env["REDIS_URL"], env["DATABASE_URL"], env, namespace
            )
            drop_namespace_topics(infra)
            for service in ("router", "onboarding", "analytics"):
                drop_schema(infra, system.schema(service))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each paced latency run")
    parser.add_argument("--rate", type=float, default=200.0, help="target rate, leads/s")
    parser.add_argument("--baseline-rate", type=float, default=10.0, help="unloaded baseline rate, leads/s")
    parser.add_argument("--burst", type=int, default=1500, help="leads per throughput burst")
    parser.add_argument("--json", type=Path, help="also write the results here")
    arguments = parser.parse_args()
    results = main(arguments)
    text = json.dumps(results, indent=2)
    print(text)
    if arguments.json:
        arguments.json.write_text(text)

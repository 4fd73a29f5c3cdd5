"""End-to-end benchmark: signed webhook -> ingest -> ghl.events.v1 -> router -> LeadAssigned.

The GHL simulator, ingest, router and analytics run as processes (LocalSystem) on the devstack's
Kafka, Postgres and Redis, in their own topic namespace and schemas; 16 active locations with
ample capacity (so no lead is pooled for capacity). GHL sync is off: it runs after LeadAssigned
and is rate-limited by GHL, so it is not on the measured path (``--sync in-router`` runs it with the pool
tagger in the routing process, sharing its event loop; ``--sync own-process`` in a router process
of their own, as k8s and compose deploy it).

Load comes from separate processes (bench/e2e/paced.py and bench/ingest/openloop.py: uvloop +
httptools) with every body signed beforehand, so neither signing nor this process's own work is in
the timed window or in the way of a send.

Latency: open loop, from each webhook's scheduled send time to the LeadAssigned/LeadUnassigned
record's broker timestamp (CreateTime, set by the router's producer on the same clock). Measured at
a low rate (the baseline: an unloaded pipeline) and at the target rate (200 leads/s; target p99 <
50 ms). Throughput: leads/s of a burst offered open loop at --burst-rate, through the whole
pipeline (decided by the router and applied by analytics), with the CPU seconds of every process
(services, generator, Kafka, Postgres, Redis), next to the router alone deciding events already on
Kafka.

    uv run python bench/e2e/run.py [--seconds 10] [--rate 200] [--burst 12000] [--burst-rate 3000]
        [--sync off|in-router|own-process] [--logs DIR] [--profile router.svg] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer  # noqa: E402

from bench.support.cpu import CpuMeter  # noqa: E402
from devstack import stack  # noqa: E402
from ghl_simulator.webhooks import WebhookSigner, stamp  # noqa: E402
from leadflow_common.kafka.lag import read_consumer_lag  # noqa: E402
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, namespaced  # noqa: E402
from leadflow_system.rig import produce_webhooks, profiles_from_csv, rig_system  # noqa: E402
from leadflow_system.system import LocalSystem  # noqa: E402
from tests.support.fault_checks import LOCATIONS_CSV, lead_bodies  # noqa: E402
from tests.support.infra import Infra, drop_namespace_topics, drop_schema  # noqa: E402

OPENLOOP = Path(__file__).resolve().parents[1] / "ingest" / "openloop.py"
PACED = Path(__file__).resolve().parent / "paced.py"
SERVICES = ("ingest", "router", "analytics")
MEASURED = (*SERVICES, "router-sync", "ghl-simulator")  # CPU of each that runs

DECISIONS = ("LeadAssigned", "LeadUnassigned")
CONTACT_EVENTS = ("ContactCreate",)


class Decisions:
    """Tails leads.assigned.v1 from its end: lead id -> broker timestamp (ms) of its decision.
    ``Decisions(bootstrap, GHL_EVENTS.name, CONTACT_EVENTS, "id")`` tails ingest's events instead
    (the first stage's share of the latency)."""

    def __init__(self, bootstrap: str, topic: str | None = None, types: tuple[str, ...] = DECISIONS,
                 lead_field: str = "lead_id") -> None:  # fmt: skip
        self.seen: dict[str, int] = {}
        self._types = types
        self._lead_field = lead_field
        self._consumer = AIOKafkaConsumer(
            topic or LEADS_ASSIGNED.name,
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            # latency comes from the records' timestamps, not from when they are read: fetching
            # a few times a second keeps this process's and Kafka's share of the 2 cores small
            fetch_min_bytes=1024 * 1024,
            fetch_max_wait_ms=200,
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
                    if envelope.get("event_type") in self._types:
                        self.seen.setdefault(envelope["payload"][self._lead_field], record.timestamp)

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


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def ingest_port(system: LocalSystem) -> str:
    return system.url("ingest").rsplit(":", 1)[1].split("/")[0]


async def send_paced(
    system: LocalSystem, signer: WebhookSigner, bodies: list[dict[str, Any]], rate: float, tmp: Path
) -> tuple[dict[str, float], dict[str, Any]]:
    """Open loop at ``rate``/s from paced.py in its own process, bodies signed beforehand: each
    lead counts from the time its request was due (epoch ms), so a slow server cannot slow the
    offered load down and hide its queueing (no coordinated omission), and this process's own
    work cannot delay a send. Returns lead id -> due time, and the generator's summary."""
    path = tmp / f"paced-{rate:g}.tsv"
    presigned(signer, bodies, path)
    command = [sys.executable, str(PACED), "--port", ingest_port(system), "--bodies", str(path)]
    command += ["--rate", str(rate), "--seconds", str(len(bodies) / rate)]
    run = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=True, timeout=len(bodies) / rate + 60
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if result["errors"] or result["statuses"] != {"200": len(bodies)}:
        raise RuntimeError(f"webhooks not all accepted: {result['statuses']}, {result['errors']} errors")
    due = result.pop("due_epoch_ms")
    return {body["id"]: due[i] for i, body in enumerate(bodies)}, result


async def latency(
    system: LocalSystem,
    decisions: Decisions,
    signer: WebhookSigner,
    rate: float,
    seconds: float,
    seed: int,
    tmp: Path,
    accepted: Decisions | None = None,
) -> dict[str, Any]:
    bodies = lead_bodies(int(rate * seconds), seed=seed)
    meter = CpuMeter.with_infra(service_pids(system))
    meter.start()
    started = time.monotonic()
    sent, load = await send_paced(system, signer, bodies, rate, tmp)
    cpu = meter.stop()  # the paced window (the generator's process is not in it)
    window_s = time.monotonic() - started
    # Every lead of this phase decided (bounded) before the next phase starts, so a backlog left by
    # an overloaded phase is measured here (as latency) and never counted in the next one.
    done = await decisions.wait(list(sent), timeout_s=300)
    lat = [decisions.seen[lead] - t for lead, t in sent.items() if lead in decisions.seen]
    return {
        "rate_target": rate,
        "rate_sent": float(load["ok_per_s"]),
        "send_lag_p99_ms": float(load["send_lag_p99_ms"]),
        "leads": len(bodies),
        "decided": len(lat),
        "complete": float(done),
        "p50_ms": pct(lat, 0.50),
        "p99_ms": pct(lat, 0.99),
        "max_ms": max(lat) if lat else float("nan"),
        **(stage_split(sent, accepted.seen, decisions.seen) if accepted else {}),
        "cpu_pct": {name: round(100 * used / window_s, 1) for name, used in cpu.items()},
    }


def stage_split(
    sent: dict[str, float], accepted: dict[str, int], decided: dict[str, int]
) -> dict[str, float]:
    """Where the latency goes: scheduled send → ingest's event on Kafka → the router's decision."""
    ingest = [accepted[lead] - t for lead, t in sent.items() if lead in accepted]
    router = [decided[lead] - accepted[lead] for lead in sent if lead in accepted and lead in decided]
    return {
        "ingest_p50_ms": pct(ingest, 0.50), "ingest_p99_ms": pct(ingest, 0.99),
        "router_p50_ms": pct(router, 0.50), "router_p99_ms": pct(router, 0.99),
    }  # fmt: skip


async def analytics_caught_up(bootstrap: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lags = await read_consumer_lag(bootstrap, namespaced("analytics"))
        if lags and sum(p.lag for p in lags) == 0:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("analytics still lagging")


def presigned(signer: WebhookSigner, bodies: list[dict[str, Any]], path: Path) -> None:
    """``signature<TAB>json`` lines for openloop.py: signed here, before the timed window."""
    with path.open("wb") as out:
        for body in bodies:
            raw = orjson.dumps(stamp(body))
            out.write(signer.headers(raw)["x-ghl-signature"].encode() + b"\t" + raw + b"\n")


def service_pids(system: LocalSystem) -> dict[str, list[int]]:
    return {n: [p.proc.pid] for n in MEASURED if (p := system.processes.get(n)) and p.proc}


async def throughput(
    system: LocalSystem, decisions: Decisions, signer: WebhookSigner, bootstrap: str, burst: int,
    rate: float, tmp: Path,
) -> dict[str, Any]:  # fmt: skip
    """The whole pipeline at ``rate`` leads/s offered open loop (``burst`` leads) by openloop.py in
    its own process (uvloop + httptools, bodies signed beforehand), so the load generator's CPU is
    neither in ingest's process nor in the way of the event loop measuring decisions: leads/s
    until every lead is decided and analytics has applied every event (its group's lag is 0).
    CPU seconds per process over that window (the generator included)."""
    bodies_file = tmp / "burst.tsv"
    bodies = lead_bodies(burst, seed=71)
    presigned(signer, bodies, bodies_file)
    command = [sys.executable, str(OPENLOOP), "--port", ingest_port(system), "--bodies", str(bodies_file)]
    command += ["--rate", str(rate), "--seconds", str(burst / rate), "--connections", "64"]
    started = time.monotonic()
    meter = CpuMeter.with_infra(service_pids(system))
    meter.start()
    # The generator's CPU: what this process's reaped children used during its run.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=True, timeout=burst / rate + 120
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    sent_s = time.monotonic() - started
    load = json.loads(run.stdout.strip().splitlines()[-1])
    # offered above capacity: a refused or failed request would never be decided, and the rate
    # would then measure a timeout, so the run stops with what went wrong instead
    if load.get("errors") or load.get("statuses") != {"200": burst}:
        raise RuntimeError(f"burst not all accepted: {load.get('statuses')}, {load.get('errors')} errors")
    if not await decisions.wait([b["id"] for b in bodies], timeout_s=600):
        raise RuntimeError("burst: not every lead was decided within 600 s")
    decided_s = time.monotonic() - started
    await analytics_caught_up(bootstrap, timeout_s=600)
    pipeline_s = time.monotonic() - started
    cpu = {**meter.stop(), "openloop": generator_cpu}
    # Stage alone: the router deciding a burst already on Kafka.
    # Timed from the first produce: the router decides while the burst is still being written
    # (timed from the last, a fast router looked 10x faster than it is).
    bodies = lead_bodies(burst, seed=72)
    started = time.monotonic()
    await produce_webhooks(bootstrap, GHL_EVENTS.name, bodies)
    if not await decisions.wait([b["id"] for b in bodies], timeout_s=600):
        raise RuntimeError("router alone: not every lead was decided within 600 s")
    router_s = time.monotonic() - started
    return {
        "burst": burst,
        "offered_per_s": rate,
        "ingest_accepts_per_s": burst / sent_s,
        "openloop": {
            k: load.get(k) for k in ("ok_per_s", "statuses", "errors", "p50_ms", "p99_ms", "send_lag_p99_ms")
        },
        "decided_leads_per_s": burst / decided_s,
        "pipeline_leads_per_s": burst / pipeline_s,
        "pipeline_s": pipeline_s,
        "cpu_s": {name: round(seconds, 2) for name, seconds in cpu.items()},
        "cpu_pct": {name: round(100 * seconds / pipeline_s, 1) for name, seconds in cpu.items()},
        "router_alone_leads_per_s": burst / router_s,
    }


def profiled(system: LocalSystem, seconds: float, out: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy on the router for a phase (``--profile``): a flame graph of where a decision waits."""
    router = system.processes["router"].proc
    if out is None or router is None:
        return None
    spy = shutil.which("py-spy") or str(Path.home() / ".local/bin/py-spy")
    return subprocess.Popen(
        [spy, "record", "-p", str(router.pid), "-d", str(int(seconds)), "-o", str(out), "--idle",
         *(["--format", "raw"] if out.suffix == ".txt" else [])],  # .txt: collapsed stacks, to grep
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def measure(system: LocalSystem, bootstrap: str, args: argparse.Namespace) -> dict[str, Any]:
    signer = WebhookSigner.from_dir()
    decisions = Decisions(bootstrap)
    accepted = Decisions(bootstrap, GHL_EVENTS.name, CONTACT_EVENTS, "id")
    await decisions.start()
    await accepted.start()
    try:
        await latency(system, decisions, signer, rate=20, seconds=2, seed=80, tmp=args.logs)  # warm-up
        baseline = await latency(
            system,
            decisions,
            signer,
            rate=args.baseline_rate,
            seconds=args.seconds,
            seed=81,
            tmp=args.logs,
            accepted=accepted,
        )
        spy = profiled(system, args.seconds, args.profile)
        target = await latency(
            system,
            decisions,
            signer,
            rate=args.rate,
            seconds=args.seconds,
            seed=82,
            tmp=args.logs,
            accepted=accepted,
        )
        if spy is not None:
            await asyncio.to_thread(spy.wait, 60)
        burst = await throughput(system, decisions, signer, bootstrap, args.burst, args.burst_rate, args.logs)
    finally:
        await accepted.stop()
        await decisions.stop()
    return {"latency_baseline": baseline, "latency_target": target, "throughput": burst}


def main(args: argparse.Namespace) -> dict[str, Any]:
    env = stack.env_vars()
    namespace = f"benche2e{uuid.uuid4().hex[:6]}"
    profiles = profiles_from_csv(LOCATIONS_CSV, 16, capacity=100_000)
    with (
        tempfile.TemporaryDirectory() as tmp,
        rig_system(
            env,
            args.logs or Path(tmp),
            namespace,
            profiles,
            services=("ingest", "router", "analytics")
            + (("router-sync",) if args.sync == "own-process" else ()),
            extra_env={"ROUTER_SYNC_ENABLED": str(args.sync == "in-router").lower()},
        ) as system,
    ):
        try:
            args.logs = args.logs or Path(tmp)
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
    parser.add_argument("--burst", type=int, default=12_000, help="leads per throughput burst")
    parser.add_argument(
        "--burst-rate",
        type=float,
        default=3000.0,
        help="offered rate of the throughput burst (open loop), leads/s: above what the pipeline takes, "
        "so the figure is its capacity (1,000/s with 1,500 leads measured the offer: 604/s)",
    )
    parser.add_argument("--logs", type=Path, help="keep the services' logs (and the burst bodies) here")
    parser.add_argument(
        "--sync",
        choices=("off", "in-router", "own-process"),
        default="off",
        help="the router's GHL sync and pool-tag groups: not run, in the routing process, or in a router "
        "process of their own (ROUTER_ROUTING_ENABLED=false), as k8s and compose deploy them",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy flame graph of the router at --rate (SVG; .txt: collapsed stacks)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    arguments = parser.parse_args()
    results = main(arguments)
    text = json.dumps(results, indent=2)
    print(text)
    if arguments.json:
        arguments.json.write_text(text)

"""Router full-path benchmark: a backlog of ContactCreate events on ghl.events.v1 (12 partitions)
→ committed decisions (Postgres), reservations (Redis) and published LeadAssigned/LeadUnassigned
events, with the router as real processes on the devstack's Kafka, Postgres and Redis.

Runs, each in a fresh topic namespace and schema, 100 active locations from the sample CSV:
- ``record`` mode, 1 process: the one-record-at-a-time path (the same-run baseline);
- ``batch`` mode with 1, 2 and 4 processes (one consumer group, 12 partitions).
Rate = decisions between the first and the last decision's broker timestamp (steady state, no
process start-up), and the run only counts once the group's lag is 0 (offsets committed). CPU of
every process involved (routers, Kafka, PostgreSQL, Redis) over the same window.

    uv run python bench/router_pipeline/run.py [--leads 10000] [--baseline-leads 2000] [--procs 1,2,4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer  # noqa: E402

from bench.support.cpu import CpuMeter  # noqa: E402
from devstack import stack  # noqa: E402
from devstack.procs import free_port  # noqa: E402
from leadflow_common.kafka.lag import read_consumer_lag  # noqa: E402
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, namespaced  # noqa: E402
from leadflow_system.processes import ServiceProcess  # noqa: E402
from leadflow_system.rig import produce_webhooks, profiles_from_csv, rig_system  # noqa: E402
from leadflow_system.system import LocalSystem, venv_bin  # noqa: E402
from tests.support.fault_checks import LOCATIONS_CSV, lead_bodies  # noqa: E402
from tests.support.infra import Infra, drop_namespace_topics, drop_schema  # noqa: E402

DECISIONS = (b"LeadAssigned", b"LeadUnassigned")


async def decision_times(bootstrap: str, expected: int, timeout_s: float) -> list[int]:
    """Broker timestamps (ms) of the first ``expected`` decisions on leads.assigned.v1."""
    consumer = AIOKafkaConsumer(LEADS_ASSIGNED.name, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    stamps: dict[str, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(stamps) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for record in records:
                    if any(t in record.value[:200] for t in DECISIONS):
                        envelope = orjson.loads(record.value)
                        stamps.setdefault(envelope["payload"]["lead_id"], record.timestamp)
    finally:
        await consumer.stop()
    if len(stamps) < expected:
        raise TimeoutError(f"{len(stamps)} of {expected} decisions after {timeout_s:.0f}s")
    return sorted(stamps.values())


async def wait_committed(bootstrap: str, group: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lags = await read_consumer_lag(bootstrap, namespaced(group))
        if lags and sum(p.lag for p in lags) == 0:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"group {group} still lagging after {timeout_s:.0f}s")


def extra_router(system: LocalSystem, index: int) -> ServiceProcess:
    port = free_port()
    return ServiceProcess(
        name=f"router-{index}", argv=[venv_bin("router"), "serve"],
        env={**system.env(), "ROUTER_HTTP_PORT": str(port)},
        ready_url=f"http://127.0.0.1:{port}/readyz", log_path=system.log_dir / f"router-{index}.log",
    )  # fmt: skip


def start_profilers(out_dir: Path | None, label: str, pids: list[int]) -> list[subprocess.Popen[bytes]]:
    """py-spy (raw collapsed stacks) on each router process while the backlog drains."""
    if out_dir is None:
        return []
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy on PATH (uv tool install py-spy)")
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "--format",
                "raw",
                "--rate",
                "200",
                "--nonblocking",
                "-o",
                str(out_dir / f"router-{label}-{pid}.txt"),
                "-p",
                str(pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def stop_profilers(spies: list[subprocess.Popen[bytes]]) -> None:
    for spy in spies:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
    for spy in spies:
        spy.wait(timeout=30)


def run_case(
    env: dict[str, str], mode: str, procs: int, leads: int, profile: Path | None = None
) -> dict[str, Any]:
    namespace = f"benchrp{uuid.uuid4().hex[:6]}"
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    profiles = profiles_from_csv(LOCATIONS_CSV, 100, capacity=1_000_000)
    bodies = lead_bodies(leads, seed=procs * 7 + len(mode))
    extra_env = {"ROUTER_SYNC_ENABLED": "false", "ROUTER_CONSUMER_MODE": mode, "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as logs:
        with rig_system(
            env, Path(logs), namespace, profiles, services=("router",), extra_env=extra_env
        ) as system:
            others = [extra_router(system, i) for i in range(1, procs)]
            try:
                for proc in others:
                    proc.start()
                for proc in others:
                    proc.wait_ready(90)
                time.sleep(3 if others else 0)  # let the group settle its assignment first
                routers = [system.process("router"), *others]
                pids = {"router": [p.proc.pid for p in routers if p.proc is not None]}
                meter = CpuMeter.with_infra(pids)
                spies = start_profilers(profile, f"{mode}-{procs}", pids["router"])
                meter.start()
                started = time.monotonic()
                asyncio.run(produce_webhooks(bootstrap, GHL_EVENTS.name, bodies))
                stamps = asyncio.run(decision_times(bootstrap, leads, timeout_s=900))
                asyncio.run(wait_committed(bootstrap, "router", timeout_s=120))
                wall = time.monotonic() - started
                cpu = meter.stop()
                stop_profilers(spies)
            finally:
                for proc in others:
                    proc.stop()
            window_s = max((stamps[-1] - stamps[0]) / 1000, 1e-3)
            result = {
                "mode": mode, "procs": procs, "leads": leads,
                "leads_per_s": (len(stamps) - 1) / window_s, "wall_s": wall,
                "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
                "router_cpu_us_per_lead": cpu["router"] / leads * 1e6,
            }  # fmt: skip
        infra = Infra(bootstrap, env["REDIS_URL"], env["DATABASE_URL"], env, namespace)
        drop_namespace_topics(infra)
        drop_schema(infra, system.schema("router"))
    return result


def table(results: list[dict[str, Any]]) -> str:
    base = results[0]["leads_per_s"]
    lines = [
        "| mode | router processes | leads | leads/s | × baseline | router CPU µs/lead"
        " | CPU s: router / kafka / postgres / redis |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r["cpu_s"]
        rate = r["leads_per_s"]
        cpu = f"{c['router']} / {c['kafka']} / {c['postgres']} / {c['redis']}"
        lines.append(
            f"| {r['mode']} | {r['procs']} | {r['leads']:,} | {rate:,.0f} | {rate / base:.1f}"
            f" | {r['router_cpu_us_per_lead']:,.0f} | {cpu} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000, help="backlog per batch-mode run")
    parser.add_argument(
        "--baseline-leads", type=int, default=2_000, help="backlog of the record-mode baseline"
    )
    parser.add_argument("--procs", default="1,2,4", help="router process counts in batch mode")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--profile", type=Path, help="write py-spy stacks of every router process here")
    args = parser.parse_args()
    env = stack.env_vars()
    results = [run_case(env, "record", 1, args.baseline_leads, args.profile)]
    for procs in (int(p) for p in args.procs.split(",")):
        results.append(run_case(env, "batch", procs, args.leads, args.profile))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

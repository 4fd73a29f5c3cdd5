"""Benchmark: ingest (Ed25519 verify + Redis dedup + acks=all produce) vs raw ASGI and bare FastAPI.

Loopback only; every request is a pre-signed body with a new webhookId. Per target, in one run:
1. max throughput: wrk (C, one thread, closed loop, 64 connections), with the server's CPU
   µs per request from /proc (the figure that survives a loaded machine);
2. open loop: ``openloop.py`` sends at a constant ``--rate`` and measures latency from each
   request's scheduled time (no coordinated omission);
3. ingest only: a third wrk run under py-spy, its samples attributed to stages (µs per request),
   and ``stage_costs.py``: each stage's CPU alone, in-process, without sampling (see there).
Needs devstack's Kafka and Redis (``uv run devstack up``); installs wrk (Debian package) and
py-spy (PyPI, through uv) when missing.

    uv run python bench/ingest/run.py [--duration 10] [--rate 1000] [--no-profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402

from bench.ingest import stages  # noqa: E402
from bench.support.cpu import CpuMeter  # noqa: E402
from leadflow_common.kafka.admin import ensure_topics  # noqa: E402
from leadflow_common.settings import KafkaSettings  # noqa: E402
from leadflow_common.topics import GHL_EVENTS  # noqa: E402
from tests.unit.ingest.signing import contact_body, ed25519_key, public_pem, sign_ed25519  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RAW = "raw ASGI (baseline)"
INGEST = "ingest (verify+dedup+produce)"
TARGETS = {
    RAW: ["bench.ingest.apps:raw_app"],
    "FastAPI, body only": ["--factory", "bench.ingest.apps:fastapi_app"],
    INGEST: ["--factory", "ingest.main:create_app"],
}


@dataclass
class Row:
    name: str
    peak: dict[str, float]
    open_loop: dict[str, object]
    stages: dict[str, float] = field(default_factory=dict)
    profiled_cpu_us: float = 0.0


def ensure_wrk() -> str:
    """wrk from Debian's package when missing (as root, the way the test command installs servers)."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        sys.exit("wrk not found and cannot install it here: apt-get install -y wrk")
    print("[bench] installing wrk (apt-get install -y wrk)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(
        [apt, "install", "-y", "-q", "wrk"], env=env, capture_output=True, check=False
    ).returncode:
        subprocess.run([apt, "update", "-q"], env=env, check=True, capture_output=True)
        subprocess.run([apt, "install", "-y", "-q", "wrk"], env=env, check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk still not found after apt-get install")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_bodies(path: Path, count: int) -> None:
    import orjson

    with path.open("wb") as out:
        for _ in range(count):
            raw = orjson.dumps(contact_body(notes="n" * 400))
            out.write(sign_ed25519(raw).encode() + b"\t" + raw + b"\n")


def start_server(spec: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # The same server options as `ingest serve` (uvloop, httptools, no proxy-header rewriting).
    cmd = [sys.executable, "-m", "uvicorn", *spec, "--port", str(port), "--loop", "uvloop"]
    cmd += ["--http", "httptools", "--no-proxy-headers", "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{spec} did not start")


def wrk(port: int, bodies: Path, connections: int, seconds: int) -> dict[str, float]:
    env = {**os.environ, "BODIES": str(bodies)}
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "wrk.lua")]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}/webhooks/ghl"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def measured_wrk(
    proc: subprocess.Popen[bytes], port: int, bodies: Path, seconds: int, connections: int = 64
) -> dict[str, float]:
    """wrk's figures plus CPU µs per request of the server, Kafka and Redis (shared servers: what
    other work on the machine makes them do is counted too)."""
    meter = CpuMeter.with_infra({"server": [proc.pid]})
    meter.start()
    result = wrk(port, bodies, connections, seconds)
    used = meter.stop()
    requests = max(result["requests"], 1)
    result["cpu_us"] = 1e6 * used["server"] / requests
    result["kafka_us"] = 1e6 * used.get("kafka", 0.0) / requests
    result["redis_us"] = 1e6 * used.get("redis", 0.0) / requests
    return result


def open_loop(port: int, bodies: Path, rate: int, seconds: int) -> dict[str, object]:
    command = [sys.executable, str(HERE / "openloop.py"), "--port", str(port), "--bodies", str(bodies)]
    command += ["--rate", str(rate), "--seconds", str(seconds)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def stage_costs(env: dict[str, str]) -> dict[str, float]:
    command = [sys.executable, str(HERE / "stage_costs.py"), "3000"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def profiled(proc: subprocess.Popen[bytes], port: int, bodies: Path, seconds: int, tmp: Path) -> Row:
    samples = tmp / "ingest.collapsed"
    spy = stages.start_sampling(proc.pid, seconds, samples)
    time.sleep(1.0)  # py-spy attaches (and uvx may install it) before the load starts
    peak = measured_wrk(proc, port, bodies, seconds)
    spy.wait(60)
    shares = stages.stage_shares(samples) if samples.exists() else {}
    return Row(INGEST, peak, {}, shares, peak["cpu_us"])


def bench(args: argparse.Namespace, env: dict[str, str], tmp: Path) -> list[Row]:
    rows: list[Row] = []
    per_run = 8000 * args.duration
    for name, spec in TARGETS.items():
        port = free_port()
        proc = start_server(spec, port, env)
        try:
            warm, peak_bodies, paced = tmp / f"{port}w", tmp / f"{port}p", tmp / f"{port}o"
            write_bodies(warm, 2000)
            write_bodies(peak_bodies, per_run)
            write_bodies(paced, int(args.rate * args.duration) + 10)
            wrk(port, warm, 8, 2)  # warm-up: connections, producer metadata, code paths
            peak = measured_wrk(proc, port, peak_bodies, args.duration)
            paced_result = open_loop(port, paced, args.rate, args.duration)
            row = Row(name, peak, paced_result)
            if name == INGEST and args.profile:
                write_bodies(peak_bodies, per_run)
                sampled = profiled(proc, port, peak_bodies, min(args.duration, 8), tmp)
                row.stages, row.profiled_cpu_us = sampled.stages, sampled.profiled_cpu_us
            rows.append(row)
        finally:
            proc.terminate()
            proc.wait(30)
    return rows


async def records_on(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(GHL_EVENTS.partitions)]
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def drop_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


def print_stage_costs(costs: dict[str, float], server_cpu_us: float) -> None:
    whole = costs.pop("whole request without the HTTP server")
    print("\ningest: CPU per webhook of each stage alone, in-process (stage_costs.py; real Redis, Kafka)")
    print(f"{'stage':44} {'us/req':>7}")
    for stage, us in costs.items():
        print(f"{stage:44} {us:7.0f}")
    print(f"{'rest of the use case (endpoint, handler, awaits)':44} {whole - sum(costs.values()):7.0f}")
    print(f"{'= whole request through IngestApp, no HTTP':44} {whole:7.0f}")
    print(f"{'HTTP server (wrk run server CPU - the above)':44} {server_cpu_us - whole:7.0f}")


def print_tables(rows: list[Row], rate: int, on_topic: int, load: tuple[float, float]) -> None:
    base = rows[0].peak["requests"] / rows[0].peak["seconds"]
    print(
        f"\n{'':32} {'closed loop, wrk -c64':^30} {'CPU us/req':^20} {'':7} "
        f"| {'open loop @' + str(rate) + '/s':^40}"
        f"\n{'target':32} {'max req/s':>9} {'x raw':>6} {'p50 ms':>6} {'p99 ms':>6} {'server':>6} "
        f"{'Kafka':>6} {'Redis':>6} {'/s/core':>7} | {'ok/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'p99.9':>7} "
        f"{'max ms':>7} {'non-2xx':>7}"
    )
    for row in rows:
        rps = row.peak["requests"] / row.peak["seconds"]
        o = row.open_loop
        statuses = o["statuses"]
        assert isinstance(statuses, dict)
        bad = sum(n for s, n in statuses.items() if s != "200") + int(str(o["errors"]))
        bad += int(row.peak["non2xx"] + row.peak["errors"])
        print(
            f"{row.name:32} {rps:9.0f} {rps / base:6.2f} {row.peak['p50_us'] / 1000:6.1f} "
            f"{row.peak['p99_us'] / 1000:6.1f} {row.peak['cpu_us']:6.0f} {row.peak['kafka_us']:6.0f} "
            f"{row.peak['redis_us']:6.0f} {1e6 / max(row.peak['cpu_us'], 1):7.0f} "
            f"| {float(str(o['ok_per_s'])):6.0f} "
            f"{float(str(o['p50_ms'])):7.2f} {float(str(o['p99_ms'])):7.2f} {float(str(o['p999_ms'])):7.2f} "
            f"{float(str(o['max_ms'])):7.1f} {bad:7d}"
        )
    print(f"\nrecords on ghl.events.v1 after the ingest runs (warm-up included): {on_topic}")
    print(f"1-minute load average at start / end: {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()} CPUs")
    print("/s/core: requests per second of server CPU (1e6 / server us/req): the rate one process")
    print("reaches on a core of its own, whatever share of this machine it got during the run")
    sampled = next((r for r in rows if r.stages), None)
    if sampled is None:
        return
    print(f"\ningest: where a request's CPU goes (py-spy, {sampled.profiled_cpu_us:.0f} us/req in that run)")
    print(f"{'stage':42} {'share':>6} {'us/req':>7}")
    for stage, share in sampled.stages.items():
        print(f"{stage:42} {100 * share:5.1f}% {share * sampled.profiled_cpu_us:7.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--rate", type=int, default=1000, help="open-loop run: requests/s, constant")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    ensure_wrk()
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "INGEST_PUBLIC_KEYS": json.dumps([public_pem(ed25519_key())]),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace
    bootstrap = KafkaSettings().bootstrap_servers
    asyncio.run(ensure_topics(bootstrap, [GHL_EVENTS]))
    load_at_start = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = bench(args, env, Path(tmp))
        on_topic = asyncio.run(records_on(bootstrap, GHL_EVENTS.name))
        costs = stage_costs(env) if args.profile else {}
    finally:
        asyncio.run(drop_topic(bootstrap, GHL_EVENTS.name))
    print_tables(rows, args.rate, on_topic, (load_at_start, os.getloadavg()[0]))
    if costs:
        print_stage_costs(costs, rows[-1].peak["cpu_us"])


if __name__ == "__main__":
    main()

"""Benchmark: ingest (Ed25519 verify + Redis dedup + acks=all produce) vs raw ASGI and bare FastAPI.

Loopback only; the load comes from wrk (C, one thread) with pre-signed bodies, every request a new
webhookId. Two runs per target: max throughput (closed loop, -c64) and paced at ~1,000 req/s
(-c64, 64 ms between requests per connection: at most the target rate, less by the latency; the
table shows the rate reached). Needs wrk (`apt-get install wrk`) and devstack's Kafka and Redis
(`uv run devstack up`).

    uv run python bench/ingest/run.py [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

from aiokafka import AIOKafkaConsumer  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient  # noqa: E402

from leadflow_common.kafka.admin import ensure_topics  # noqa: E402
from leadflow_common.settings import KafkaSettings  # noqa: E402
from leadflow_common.topics import GHL_EVENTS  # noqa: E402
from tests.unit.ingest.signing import contact_body, ed25519_key, public_pem, sign_ed25519  # noqa: E402

HERE = Path(__file__).resolve().parent
TARGETS = {
    "raw ASGI (baseline)": ["bench.ingest.apps:raw_app"],
    "FastAPI, body only": ["--factory", "bench.ingest.apps:fastapi_app"],
    "ingest (verify+dedup+produce)": ["--factory", "ingest.main:create_app"],
}


def free_port() -> int:
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
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        *spec,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    proc = subprocess.Popen([*cmd, "--no-access-log", "--log-level", "warning"], env=env, cwd=HERE.parents[1])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{spec} did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process used so far (Linux /proc): per-request cost independent of load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, bodies: Path, connections: int, seconds: int, delay_ms: int) -> dict[str, float]:
    env = {**os.environ, "BODIES": str(bodies), "RATE_DELAY_MS": str(delay_ms)}
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(HERE / "wrk.lua"),
            f"http://127.0.0.1:{port}/webhooks/ghl",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


async def records_on(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        from aiokafka import TopicPartition

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rate", type=int, default=1000, help="paced run: target req/s")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install -y wrk")
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "INGEST_PUBLIC_KEYS": json.dumps([public_pem(ed25519_key())]),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(HERE.parents[1]),
    }
    os.environ["KAFKA_TOPIC_NAMESPACE"] = namespace
    bootstrap = KafkaSettings().bootstrap_servers
    asyncio.run(ensure_topics(bootstrap, [GHL_EVENTS]))
    connections_paced = 64
    delay_ms = round(1000 * connections_paced / args.rate)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        max_bodies, paced_bodies = Path(tmp, "max.tsv"), Path(tmp, "paced.tsv")
        write_bodies(max_bodies, 8000 * args.duration)
        write_bodies(paced_bodies, int(args.rate * args.duration * 1.5))
        for name, spec in TARGETS.items():
            port = free_port()
            proc = start_server(spec, port, env)
            try:
                wrk(port, paced_bodies, 8, 2, 0)  # warm-up (ingest: duplicates of the paced set after this)
                write_bodies(paced_bodies, int(args.rate * args.duration * 1.5))
                cpu_before = cpu_seconds(proc.pid)
                peak = wrk(port, max_bodies, 64, args.duration, 0)
                peak["cpu_us"] = 1e6 * (cpu_seconds(proc.pid) - cpu_before) / max(peak["requests"], 1)
                paced = wrk(port, paced_bodies, connections_paced, args.duration, delay_ms)
            finally:
                proc.terminate()
                proc.wait(30)
            rows.append((name, peak, paced))
    on_topic = asyncio.run(records_on(bootstrap, GHL_EVENTS.name))
    asyncio.run(drop_topic(bootstrap, GHL_EVENTS.name))
    print_table(rows, on_topic)


def print_table(rows: list[tuple[str, dict[str, float], dict[str, float]]], on_topic: int) -> None:
    base = rows[0][1]["requests"] / rows[0][1]["seconds"]
    print(
        f"\n{'target':32} {'max req/s':>10} {'x raw':>6} {'CPU us/req':>10} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'paced req/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8}"
    )
    for name, peak, paced in rows:
        rps = peak["requests"] / peak["seconds"]
        print(
            f"{name:32} {rps:10.0f} {rps / base:6.2f} {peak['cpu_us']:10.0f} "
            f"{peak['p50_us'] / 1000:7.2f} {peak['p99_us'] / 1000:7.2f} | "
            f"{paced['requests'] / paced['seconds']:11.0f} {paced['p50_us'] / 1000:7.2f} "
            f"{paced['p99_us'] / 1000:7.2f} {int(peak['non2xx'] + paced['non2xx']):8d}"
        )
    print(f"\nrecords on ghl.events.v1 after the ingest runs (warm-up included): {on_topic}")


if __name__ == "__main__":
    main()

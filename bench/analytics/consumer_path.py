"""The analytics consumer's real path: a backlog produced to Kafka first, then ``analytics serve``
(a separate process) consumes it through the shared batch engine (getmany, envelope decode,
translate, one transaction per batch, background offset commits) into its own fresh schema.

The rate is measured between the first applied event and the target count, from the process's
progress rows; CPU from /proc for the analytics process and the Postgres backends that serve it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer

from bench.analytics.procstat import backend_pids, total_cpu
from bench.support.cpu import cpu_seconds
from leadflow_common.events.envelope import encode_envelope
from tests.integration.analytics.event_stream import Item, generate

REPO = Path(__file__).resolve().parents[2]
LOG = Path(tempfile.gettempdir()) / "bench-analytics-consumer.log"
PROGRESS = "SELECT coalesce(sum(events_applied), 0) FROM projection_progress"


def compare_env(env: dict[str, str], src: str) -> dict[str, str]:
    """``env`` running the analytics package found in ``src`` (e.g. the code before a change:
    ``git archive <rev> services/analytics | tar -x -C /tmp/before``, src
    /tmp/before/services/analytics/src) instead of this tree's: PYTHONPATH comes before the
    editable install. The rest of the workspace (leadflow_common, the engine) is this tree's."""
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)}


@dataclass(frozen=True)
class ConsumerRun:
    batch: int
    events: int
    seconds: float
    cpu_s: float
    pg_cpu_s: float
    code: str = "this tree"

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def stream_items(events: int, locations: int) -> list[Item]:
    items: list[Item] = []
    seed = 0
    while len(items) < events:  # bounded: every round adds ~3.5 events per lead
        stream = generate(seed, n_locations=locations, n_leads=2000, prefix=f"B{seed}", tag="bench")
        items += stream.items
        seed += 1
    return items[:events]


async def produce_backlog(bootstrap: str, items: list[Item]) -> float:
    """Sends every record without awaiting each, then waits for all acks; returns seconds."""
    started = time.perf_counter()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    try:
        futures = [
            await producer.send(
                item.topic,
                encode_envelope(item.envelope) if item.envelope is not None else None,
                key=item.key.encode(),
            )
            for item in items
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def start_consumer(env: dict[str, str], schema: str, batch: int, port: int) -> subprocess.Popen[bytes]:
    run_env = {
        **env,
        "ANALYTICS_DB_SCHEMA": schema,
        "ANALYTICS_CONSUMER_GROUP": f"bench-{schema}",
        "ANALYTICS_REDIS_PREFIX": f"bench-{schema}",
        "ANALYTICS_BATCH_MAX_RECORDS": str(batch),
        "ANALYTICS_HTTP_PORT": str(port),
        "ANALYTICS_LAG_INTERVAL_S": "3600",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),  # DEBUG: one line per batch
    }
    cmd = [sys.executable, "-c", "from analytics.cli import app; app()", "serve"]
    with LOG.open("ab") as log:
        return subprocess.Popen(cmd, cwd=REPO, env=run_env, stdout=subprocess.DEVNULL, stderr=log)


async def measure(
    env: dict[str, str],
    admin_dsn: str,
    app_dsn: str,
    schema: str,
    batch: int,
    target: int,
    port: int,
    code: str = "this tree",
) -> ConsumerRun:
    """Runs one consumer process until ``target`` events are applied (bounded: 600 s)."""
    proc = start_consumer(env, schema, batch, port)
    conn = await asyncpg.connect(app_dsn, server_settings={"search_path": schema})
    try:
        first: tuple[float, int, float, list[int], float] | None = None
        deadline = time.monotonic() + 600
        applied = 0
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"analytics exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                )
            applied = int(
                await conn.fetchval("SELECT coalesce(sum(events_applied), 0) FROM projection_progress")
            )
            now = time.perf_counter()
            if first is None and applied > 0:
                pids = await backend_pids(admin_dsn, proc.pid)
                first = (now, applied, cpu_seconds(proc.pid), pids, total_cpu(pids))
            if applied >= target:
                break
            await asyncio.sleep(0.02)
        if first is None or applied < target:
            raise RuntimeError(f"batch {batch}: only {applied} of {target} events applied in time")
        t0, a0, cpu0, pids, pg0 = first
        return ConsumerRun(
            batch, applied - a0, now - t0, cpu_seconds(proc.pid) - cpu0, total_cpu(pids) - pg0, code
        )
    finally:
        await conn.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def fresh_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def bench_env(namespace: str) -> dict[str, str]:
    return {**os.environ, "KAFKA_TOPIC_NAMESPACE": namespace}

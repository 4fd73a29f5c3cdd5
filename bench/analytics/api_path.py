"""The dashboard API as its own process (``analytics serve``, consumer off) over a synthetic
hourly history, loaded open-loop by api_load.py in another process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.support.cpu import cpu_seconds

REPO = Path(__file__).resolve().parents[2]
LOAD = Path(__file__).with_name("api_load.py")
TOKEN = "bench-token"

SEED_SQL = (
    "INSERT INTO location_status (location_id, name, region, state, timezone, daily_capacity, status)"
    " SELECT 'B-' || lpad(n::text, 5, '0'), 'Bench ' || n, (ARRAY['east','west','central'])[n % 3 + 1],"
    " 'NY', 'America/New_York', 40, 'active' FROM generate_series(1, $1::int) n",
    "INSERT INTO location_hourly (location_id, hour_utc, leads, score_sum, won, appointments, touches,"
    " touch_seconds, stl_le_5m, stl_le_30m)"
    " SELECT s.location_id, h, 1 + (random() * 3)::int, 50 + random() * 100, (random() < 0.2)::int,"
    " (random() < 0.3)::int, 1, 300, (random() < 0.5)::int, 1 FROM location_status s,"
    " generate_series(date_trunc('hour', now()) - make_interval(days => $1::int), now(),"
    " interval '1 hour') h",
    "INSERT INTO location_utc_daily (location_id, day_utc, leads, score_sum, won, appointments, touches,"
    " touch_seconds, stl_le_5m, stl_le_30m)"
    " SELECT location_id, (hour_utc AT TIME ZONE 'UTC')::date, sum(leads), sum(score_sum), sum(won),"
    " sum(appointments), sum(touches), sum(touch_seconds), sum(stl_le_5m), sum(stl_le_30m)"
    " FROM location_hourly GROUP BY 1, 2",
    "INSERT INTO location_daily (location_id, day, leads)"
    " SELECT location_id, (hour_utc AT TIME ZONE 'America/New_York')::date, sum(leads)"
    " FROM location_hourly GROUP BY 1, 2",
)


async def seed_history(app_dsn: str, schema: str, locations: int, days: int) -> int:
    conn = await asyncpg.connect(app_dsn, server_settings={"search_path": schema})
    try:
        await conn.execute(SEED_SQL[0], locations)
        await conn.execute(SEED_SQL[1], days)
        await conn.execute(SEED_SQL[2])
        await conn.execute(SEED_SQL[3])
        await conn.execute("ANALYZE")
        return int(await conn.fetchval("SELECT count(*) FROM location_hourly"))
    finally:
        await conn.close()


def paths(locations: int) -> list[str]:
    """The dashboard's three reads in turn; the series over 20 different locations."""
    out = []
    for n in range(20):
        out += [
            "/overview",
            "/locations/performance?sort=conversion_rate&limit=50",
            f"/locations/B-{1 + (n * 7) % locations:05d}/metrics",
        ]
    return out


@dataclass(frozen=True)
class ApiRun:
    label: str
    result: dict[str, object]
    server_cpu_us: float

    def ms(self, name: str) -> float:
        value = self.result[name]
        return float(value) if isinstance(value, int | float) else float("nan")


def start_api(
    env: dict[str, str], schema: str, port: int, cache_ttl_s: float, rollup: bool
) -> subprocess.Popen[bytes]:
    run_env = {
        **env,
        "ANALYTICS_DB_SCHEMA": schema,
        "ANALYTICS_CONSUME": "false",
        "ANALYTICS_CACHE_TTL_S": str(cache_ttl_s),
        "ANALYTICS_READ_ROLLUP": str(rollup).lower(),
        "ANALYTICS_REDIS_PREFIX": f"bench-{schema}-{cache_ttl_s}-{rollup}",
        "ANALYTICS_API_TOKEN": TOKEN,
        "ANALYTICS_HTTP_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-c", "from analytics.cli import app; app()", "serve"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):  # bounded: 30 s
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("analytics API did not start")


def load(
    env: dict[str, str], label: str, schema: str, port: int, cache_ttl_s: float, rollup: bool,
    rate: float, seconds: float, clients: int, locations: int,
) -> ApiRun:  # fmt: skip
    proc = start_api(env, schema, port, cache_ttl_s, rollup)
    try:
        warm = [sys.executable, str(LOAD), "--port", str(port), "--token", TOKEN, "--rate", "20",
                "--seconds", "1", "--connections", str(clients), *paths(locations)]  # fmt: skip
        subprocess.run(warm, check=True, capture_output=True, timeout=60)  # connections, plans, imports
        before = cpu_seconds(proc.pid)
        cmd = [sys.executable, str(LOAD), "--port", str(port), "--token", TOKEN, "--rate", str(rate),
               "--seconds", str(seconds), "--connections", str(clients), *paths(locations)]  # fmt: skip
        out = subprocess.run(cmd, check=True, capture_output=True, timeout=seconds + 90).stdout
        result = json.loads(out.decode().strip().splitlines()[-1])
        completed = max(int(result["completed"]), 1)
        return ApiRun(label, result, 1e6 * (cpu_seconds(proc.pid) - before) / completed)
    finally:
        proc.terminate()
        proc.wait(20)

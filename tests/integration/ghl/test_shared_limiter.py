"""Three processes share one Redis limiter against one GHL resource (limits scaled down: 100 per 1 s).

Steady state: never more than the limit in any window at the simulator, and zero 429s. Under an
injected 429 storm: every call still succeeds and none is applied twice.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from leadflow_common.ghl import GhlClient
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
LIMIT, INTERVAL_MS, PROCESSES, CALLS_EACH = 100, 1000, 3, 200


def run_workers(
    infra: Infra, location_id: str, settings: dict[str, Any], on_ready: Callable[[], None] = lambda: None
) -> list[dict[str, Any]]:
    """Start the worker processes, wait until all are warm, call ``on_ready``, then let them go."""
    procs = []
    for n in range(PROCESSES):
        spec = {
            "settings": settings,
            "redis_url": infra.redis_url,
            "location_id": location_id,
            "count": CALLS_EACH,
            "concurrency": 25,
            "prefix": f"p{n}-{uuid.uuid4().hex[:6]}",
        }
        cmd = [sys.executable, "-m", "tests.integration.ghl.limiter_worker", orjson.dumps(spec).decode()]
        procs.append(subprocess.Popen(cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    for proc in procs:  # a worker that dies ends readline() with b"" and fails here
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    on_ready()
    outputs = [proc.communicate(b"go\n", timeout=90)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * PROCESSES
    return [orjson.loads(out.splitlines()[-1]) for out in outputs]


def busiest_window(times: list[float], interval_s: float) -> int:
    """The most requests that arrived within any ``interval_s`` (sliding, as GHL counts)."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= interval_s:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@pytest.fixture
async def location_id(client: GhlClient, ghl_sim: GhlSim) -> str:
    ghl_sim.set_limits(LIMIT, INTERVAL_MS)
    loc = await client.create_location(name=f"Load {uuid.uuid4().hex[:4]}")
    await client.location_token(loc.id)  # cached in Redis: the workers share it
    return loc.id


def worker_settings(ghl_sim: GhlSim) -> dict[str, Any]:
    # the guard absorbs the arrival jitter of several processes on 2 busy cores
    return ghl_sim.settings(rate_limit_guard_ms=250, max_retries=8).model_dump()


def check_applied_once_and_under_limit(ghl_sim: GhlSim, location_id: str) -> list[dict[str, Any]]:
    log = [r for r in ghl_sim.requests() if r["resource"] == location_id]
    accepted = [r for r in log if r["status"] == 200]
    assert len([r for r in accepted if r["path"] == "/contacts/upsert"]) == PROCESSES * CALLS_EACH
    assert len(ghl_sim.contacts(location_id)) == PROCESSES * CALLS_EACH
    assert busiest_window([r["t"] for r in accepted], INTERVAL_MS / 1000) <= LIMIT
    return log


async def test_three_processes_stay_under_the_limit(ghl_sim: GhlSim, infra: Infra, location_id: str) -> None:
    results = run_workers(infra, location_id, worker_settings(ghl_sim))

    assert [r["errors"] for r in results] == [[]] * PROCESSES
    log = check_applied_once_and_under_limit(ghl_sim, location_id)
    assert [r for r in log if r["status"] == 429] == []


async def test_a_429_storm_loses_and_duplicates_nothing(
    ghl_sim: GhlSim, infra: Infra, location_id: str
) -> None:
    def storm() -> None:
        ghl_sim.faults(storm_seconds=1.5)

    results = run_workers(infra, location_id, worker_settings(ghl_sim), on_ready=storm)

    assert [r["errors"] for r in results] == [[]] * PROCESSES
    log = check_applied_once_and_under_limit(ghl_sim, location_id)
    assert any(r["outcome"] == "storm" for r in log)
    assert not any(r["outcome"] == "rate_limited" for r in log)

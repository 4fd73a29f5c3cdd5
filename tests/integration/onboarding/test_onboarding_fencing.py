"""Fenced leases: a runner paused past its lease (SIGSTOP, like a long GC pause or a stalled VM)
cannot write once another runner has claimed the saga; the second runner wins cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.topics import ONBOARDING_COMMANDS
from onboarding.adapters.store import PostgresSagaStore
from onboarding.cli import app
from onboarding.domain.errors import LeaseLost
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import Step, StepStatus
from onboarding.main import build_service
from tests.integration.onboarding.support import (
    SAMPLES,
    cli_env,
    csv_subset,
    done_steps,
    onboarding_settings,
    start_group_at_end,
    wait_statuses,
    wait_until,
)
from tests.integration.onboarding.test_onboarding_failures import draft
from tests.support.ghl import GhlSim, free_port
from tests.support.infra import REPO, Infra

pytestmark = pytest.mark.integration


async def test_a_stale_lease_token_cannot_write(infra: Infra, schema: str) -> None:
    engine = make_engine(infra.service_db_url("onboarding"), schema, pool_size=2)
    store = PostgresSagaStore(make_sessionmaker(engine))
    try:
        await store.create(Location("FIT-0950", draft("FIT-0950", "FitNation Fenced")))
        (first,) = await store.claim_runnable("runner-a", 5, lease_s=0.2)
        await asyncio.sleep(0.3)  # runner A is paused past its lease
        (second,) = await store.claim_runnable("runner-b", 5, lease_s=30)
        assert second.token == first.token + 1

        with pytest.raises(LeaseLost):
            await store.save_step("FIT-0950", Step.SUB_ACCOUNT, StepRecord(StepStatus.DONE), first.token)
        stale = await store.get("FIT-0950")
        assert stale is not None
        stale.last_error = "written by the stale runner"
        with pytest.raises(LeaseLost):
            await store.save(stale, first.token)
        assert not await store.renew(first, 30)

        await store.save_step("FIT-0950", Step.LOCATION_RECORD, StepRecord(StepStatus.DONE), second.token)
        assert await store.renew(second, 30)
        current = await store.get("FIT-0950")
        assert current is not None and current.last_error is None
        assert set(current.steps) == {Step.LOCATION_RECORD}
    finally:
        await engine.dispose()


def serve_process(infra: Infra, schema: str, group: str, sim: GhlSim, log: Path) -> subprocess.Popen[bytes]:
    ghl = sim.settings()
    env = {
        **os.environ,
        **cli_env(infra, schema, sim),
        "ONBOARDING_CONSUMER_GROUP": group,
        "ONBOARDING_HTTP_PORT": str(free_port()),
        "ONBOARDING_LEASE_S": "2",
        "ONBOARDING_SCHEDULER_POLL_S": "0.2",
        "ONBOARDING_PUSH_POLL_INITIAL_S": "0.2",
        "ONBOARDING_PUSH_POLL_MAX_S": "0.3",
        "GHL_TIMEOUT_S": str(ghl.timeout_s),
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "onboarding.cli", "serve"], cwd=REPO, env=env, stdout=out, stderr=out
        )


async def step_rows(infra: Infra, schema: str, keys: list[str]) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        rows = await conn.fetch(
            "SELECT location_id, step, status, attempts, lease_generation, updated_at "
            f'FROM "{schema}".saga_steps WHERE location_id = ANY($1) ORDER BY location_id, step',
            keys,
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


async def test_a_runner_paused_past_its_lease_loses_cleanly(
    infra: Infra, schema: str, sim: GhlSim, tmp_path: Path
) -> None:
    group = f"onboarding-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(infra.kafka, ONBOARDING_COMMANDS, group)
    rows = csv_subset(SAMPLES / "locations.csv", tmp_path / "batch.csv", slice(50, 54))
    keys = [r["Franchise Code"] for r in rows]
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(tmp_path / "batch.csv")], env=cli_env(infra, schema, sim)
    )
    assert result.exit_code == 0, result.output

    log = tmp_path / "runner-a.log"
    runner_a = serve_process(infra, schema, group, sim, log)
    try:

        async def sub_accounts_created() -> bool:
            return await done_steps(infra, schema, "sub_account") >= 2

        await wait_until(sub_accounts_created, 60, "runner A's first sub-accounts")
        runner_a.send_signal(signal.SIGSTOP)  # paused mid-saga (snapshot pushes take 2 s), lease held

        runner_b = build_service(onboarding_settings(infra, schema, f"unused-{group}"), sim.settings())
        await runner_b.broker.connect()
        runner_b.scheduler.start()
        try:
            try:
                await wait_statuses(infra, schema, keys, {"active"}, timeout_s=90)
            except AssertionError as exc:  # say where each saga stands
                raise AssertionError(f"{exc}: {await step_rows(infra, schema, keys)}") from exc
        finally:
            await runner_b.stop()
        settled = await step_rows(infra, schema, keys)

        runner_a.send_signal(signal.SIGCONT)  # it wakes up believing it still holds its sagas

        async def runner_a_noticed() -> bool:
            return b"saga_lease_" in log.read_bytes()

        await wait_until(runner_a_noticed, 20, "runner A to find its leases taken")
        await asyncio.sleep(1.0)  # anything it would still write would land now
    finally:
        runner_a.send_signal(signal.SIGCONT)
        runner_a.terminate()
        runner_a.wait(timeout=20)

    assert await step_rows(infra, schema, keys) == settled, "the stale runner wrote after losing its lease"
    steps = Counter((r["location_id"], r["step"]) for r in settled)
    assert set(steps.values()) == {1} and len(steps) == len(keys) * len(Step)
    assert all(r["status"] == "done" for r in settled)
    assert any(r["lease_generation"] >= 2 for r in settled)  # runner B's claims wrote the rest
    names = Counter(loc["name"] for loc in sim.state()["locations"])
    assert all(names[r["Location Name"]] == 1 for r in rows), names
    assert not any("[lf-" in name for name in names)  # no provisional (half-made) sub-account left

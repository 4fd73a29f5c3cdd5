"""kill -9 mid-saga, injected step failures ending in compensation, failed verification → Quarantined."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow_common.events.onboarding import LocationDraft, OnboardLocation
from leadflow_common.topics import LOCATIONS, ONBOARDING_COMMANDS, ONBOARDING_EVENTS
from onboarding.cli import app
from onboarding.handlers import handle_command
from onboarding.main import build_service
from tests.integration.onboarding.support import (
    SAMPLES,
    cli_env,
    csv_subset,
    done_steps,
    events_for,
    onboarding_settings,
    start_group_at_end,
    statuses,
    wait_statuses,
    wait_until,
)
from tests.support.ghl import GhlSim, free_port
from tests.support.infra import REPO, Infra

pytestmark = pytest.mark.integration


def serve_process(infra: Infra, schema: str, group: str, sim: GhlSim) -> subprocess.Popen[bytes]:
    ghl = sim.settings()
    env = {
        **os.environ,
        **infra.env,
        "ONBOARDING_DATABASE_URL": infra.service_db_url("onboarding"),
        "ONBOARDING_DB_SCHEMA": schema,
        "ONBOARDING_CONSUMER_GROUP": group,
        "ONBOARDING_HTTP_PORT": str(free_port()),
        "ONBOARDING_LEASE_S": "2",
        "ONBOARDING_SCHEDULER_POLL_S": "0.2",
        "ONBOARDING_PUSH_POLL_INITIAL_S": "0.1",
        "GHL_BASE_URL": ghl.base_url,
        "GHL_AGENCY_TOKEN": ghl.agency_token,
        "GHL_COMPANY_ID": ghl.company_id,
        "GHL_APP_ID": ghl.app_id,
        "GHL_RATE_LIMIT_MAX": str(ghl.rate_limit_max),
        "GHL_RATE_LIMIT_INTERVAL_MS": str(ghl.rate_limit_interval_ms),
        "GHL_REDIS_PREFIX": ghl.redis_prefix,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "onboarding.cli", "serve"], cwd=REPO, env=env, stdout=subprocess.DEVNULL
    )


async def test_kill_9_mid_run_resumes_without_second_sub_account(
    infra: Infra, schema: str, sim: GhlSim, tmp_path: Path
) -> None:
    group = f"onboarding-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(infra.kafka, ONBOARDING_COMMANDS, group)
    rows = csv_subset(SAMPLES / "locations.csv", tmp_path / "batch.csv", slice(20, 32))
    keys = [r["Franchise Code"] for r in rows]
    env = cli_env(infra, schema, sim)
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(tmp_path / "batch.csv")], env=env
    )
    assert result.exit_code == 0, result.output

    process = serve_process(infra, schema, group, sim)
    try:

        async def some_sub_accounts_created() -> bool:
            return await done_steps(infra, schema, "sub_account") >= 2

        await wait_until(some_sub_accounts_created, 60, "the first sub-accounts")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert set((await statuses(infra, schema, keys)).values()) != {"active"}, "killed too late"

    service = build_service(onboarding_settings(infra, schema, group), sim.settings())
    await service.start()
    try:
        await wait_statuses(infra, schema, keys, {"active"}, timeout_s=60)
    finally:
        await service.stop()
    names = Counter(loc["name"] for loc in sim.state()["locations"])
    assert all(names[r["Location Name"]] == 1 for r in rows), names


def draft(code: str, name: str) -> LocationDraft:
    return LocationDraft(
        name=name,
        address="500 Pearl St",
        city="Boulder",
        state="CO",
        postal_code="80302",
        phone="+13035550100",
        email=f"{code.lower()}@fitnation.example.com",
        manager_name="Sam Lee",
        manager_email=f"sam.{code.lower()}@fitnation.example.com",
        daily_capacity=30,
        franchise_code=code,
    )


async def run_one(infra: Infra, schema: str, sim: GhlSim, code: str, name: str, **overrides: object) -> None:
    """Drive one location through a service without its Kafka consumer (commands injected)."""
    settings = onboarding_settings(infra, schema, f"unused-{code}", **overrides)
    service = build_service(settings, sim.settings())
    await service.broker.connect()
    service.scheduler.start()
    try:
        await handle_command(service.ctx, OnboardLocation(location=draft(code, name)), service.scheduler.wake)
        await wait_statuses(infra, schema, [code], {"failed", "quarantined", "active"}, timeout_s=60)
    finally:
        await service.stop()


async def test_step_failures_end_in_compensation(infra: Infra, schema: str, sim: GhlSim) -> None:
    sim.faults(fail_snapshot_pushes=True)
    try:
        await run_one(infra, schema, sim, "FIT-0901", "FitNation Boulder Failing", step_max_attempts=2)
    finally:
        sim.clear_faults()
    assert await statuses(infra, schema, ["FIT-0901"]) == {"FIT-0901": "failed"}
    assert "FitNation Boulder Failing" not in {loc["name"] for loc in sim.state()["locations"]}
    events = await events_for(infra, ONBOARDING_EVENTS.name, {"FIT-0901"}, expected=5)
    failed = [v["payload"] for _, v in events if v["event_type"] == "OnboardingFailed"]
    assert failed and failed[0]["step"] == "snapshot" and "sub_account" in failed[0]["compensated"]
    assert any(v["event_type"] == "StepFailed" for _, v in events)


async def test_failed_verification_quarantines(infra: Infra, schema: str, sim: GhlSim) -> None:
    # The blank snapshot brings no Welcome workflow and no Lead pipeline.
    await run_one(
        infra, schema, sim, "FIT-0902", "FitNation Boulder Blank", snapshot_id="sNapBlank00000000001"
    )
    assert await statuses(infra, schema, ["FIT-0902"]) == {"FIT-0902": "quarantined"}
    events = await events_for(infra, ONBOARDING_EVENTS.name, {"FIT-0902"}, expected=7)
    quarantined = [v["payload"] for _, v in events if v["event_type"] == "Quarantined"]
    assert quarantined[0]["reasons"] == ["Welcome workflow missing", "Lead pipeline missing"]
    assert await events_for(infra, LOCATIONS.name, {"FIT-0902"}, expected=0) == []

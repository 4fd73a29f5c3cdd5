"""Two replicas share the work (leases) and, through the shared Redis limiter, stay under GHL's
rate limit together: the simulator answers no 429."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow_common.topics import ONBOARDING_COMMANDS
from onboarding.cli import app
from onboarding.main import build_service
from tests.integration.onboarding.support import (
    SAMPLES,
    cli_env,
    csv_subset,
    onboarding_settings,
    start_group_at_end,
    wait_statuses,
)
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def test_two_replicas_never_exceed_the_rate_limit(
    infra: Infra,
    schema: str,
    ghl_sim: GhlSim,
    tmp_path: Path,
) -> None:
    ghl_sim.set_limits(max=15, interval_ms=1000)
    group = f"onboarding-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(infra.kafka, ONBOARDING_COMMANDS, group)
    rows = csv_subset(SAMPLES / "locations.csv", tmp_path / "batch.csv", slice(40, 50))
    keys = [r["Franchise Code"] for r in rows]
    env = cli_env(infra, schema, ghl_sim)
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(tmp_path / "batch.csv")], env=env
    )
    assert result.exit_code == 0, result.output

    replicas = [
        build_service(onboarding_settings(infra, schema, group), ghl_sim.settings()) for _ in range(2)
    ]
    for replica in replicas:
        await replica.start()
    try:
        await wait_statuses(infra, schema, keys, {"active"}, timeout_s=90)
    finally:
        for replica in replicas:
            await replica.stop()

    outcomes = Counter(r["outcome"] for r in ghl_sim.requests())
    assert outcomes["rate_limited"] == 0 and outcomes["storm"] == 0, outcomes
    assert outcomes["ok"] > len(keys) * 20
    names = Counter(loc["name"] for loc in ghl_sim.state()["locations"])
    assert all(names[r["Location Name"]] == 1 for r in rows)

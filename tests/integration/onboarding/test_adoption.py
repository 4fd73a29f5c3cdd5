"""AdoptLocation activates a sub-account only once GHL shows it exists (agency token) and its
location token works; otherwise it is quarantined with the reason, and `onboarding retry` after a
fix activates it. CLI → Kafka → service → GHL simulator over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from leadflow_common.topics import LOCATIONS, ONBOARDING_COMMANDS
from leadflow_system.seed import existing_locations
from onboarding.cli import app
from onboarding.main import Service, build_service
from tests.integration.onboarding.support import (
    SAMPLES,
    cli_env,
    csv_subset,
    events_for,
    onboarding_settings,
    start_group_at_end,
    wait_statuses,
)
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.fixture
async def service(infra: Infra, schema: str, sim: GhlSim) -> AsyncIterator[Service]:
    group = f"onboarding-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(infra.kafka, ONBOARDING_COMMANDS, group)
    svc = build_service(onboarding_settings(infra, schema, group), sim.settings())
    await svc.start()
    yield svc
    await svc.stop()


async def last_errors(infra: Infra, schema: str, keys: list[str]) -> dict[str, tuple[str, str | None]]:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        rows = await conn.fetch(
            f'SELECT location_id, status, last_error FROM "{schema}".locations WHERE location_id = ANY($1)',
            keys,
        )
        return {r["location_id"]: (r["status"], r["last_error"]) for r in rows}
    finally:
        await conn.close()


async def cli(env: dict[str, str], *args: str) -> None:
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    assert result.exit_code == 0, result.output


async def test_adopt_verifies_quarantines_and_retries_after_a_fix(
    infra: Infra, schema: str, sim: GhlSim, service: Service, tmp_path: Path
) -> None:
    csv = tmp_path / "existing.csv"
    rows = csv_subset(SAMPLES / "existing_locations.csv", csv, slice(10, 13))
    live, uninstalled, missing = existing_locations(csv)
    keys = [r["Franchise Code"] for r in rows]
    sim.admin.post("/seed", json={"locations": [live, uninstalled]}).raise_for_status()
    sim.admin.post(f"/locations/{uninstalled['id']}/uninstall").raise_for_status()  # no location token
    env = cli_env(infra, schema, sim)

    await cli(env, "adopt", str(csv))
    await wait_statuses(infra, schema, keys, {"active", "quarantined"}, timeout_s=60)
    states = await last_errors(infra, schema, keys)
    assert states[keys[0]] == ("active", None)
    assert states[keys[1]][0] == "quarantined" and "location token" in (states[keys[1]][1] or "")
    assert states[keys[2]][0] == "quarantined" and missing["id"] in (states[keys[2]][1] or "")
    profiles = await events_for(infra, LOCATIONS.name, set(keys), expected=1)
    assert {k for k, _ in profiles} == {keys[0]}  # a quarantined location is never routed to

    sim.admin.post(f"/locations/{uninstalled['id']}/install").raise_for_status()  # the fix
    await cli(env, "retry", keys[1])
    await wait_statuses(infra, schema, keys[:2], {"active"}, timeout_s=60)

    sim.admin.post("/seed", json={"locations": [missing]}).raise_for_status()  # created in GHL after all
    await cli(env, "retry", "--all-quarantined")
    await wait_statuses(infra, schema, keys, {"active"}, timeout_s=60)
    profiles = await events_for(infra, LOCATIONS.name, set(keys), expected=3)
    assert {v["payload"]["ghl_location_id"] for _, v in profiles} == {r["GHL Location Id"] for r in rows}

"""Nothing destroyed, against the GHL simulator over HTTP: a live sub-account that the saga did not
create is never taken over or deleted (the saga matches its own marker only), and the import
refuses a name a live sub-account already uses."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from onboarding.cli import app
from onboarding.domain.marker import MARKER_CUSTOM_VALUE
from tests.integration.onboarding.support import SAMPLES, cli_env, csv_subset, statuses
from tests.integration.onboarding.test_onboarding_failures import run_one
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

pytestmark = pytest.mark.integration

TWIN = "FitNation Boulder Twin"


def seed_stranger(sim: GhlSim, ghl_id: str, name: str) -> None:
    """A live sub-account some other team made, with the name the franchise wants to use."""
    location = {"id": ghl_id, "name": name, "city": "Boulder", "state": "CO", "country": "US"}
    sim.admin.post("/seed", json={"locations": [location]}).raise_for_status()


def sub_account(sim: GhlSim, ghl_id: str) -> dict[str, object] | None:
    return next((loc for loc in sim.state()["locations"] if loc["id"] == ghl_id), None)


async def test_unknown_create_outcome_never_takes_over_or_deletes_a_same_named_sub_account(
    infra: Infra, schema: str, sim: GhlSim
) -> None:
    seed_stranger(sim, "strAnger000000000001", TWIN)
    before = sim.requests()[-1]["seq"] if sim.requests() else 0
    # The create answers 502 without applying (unknown outcome for the client), and every snapshot
    # push fails: the old name lookup took the stranger over, loaded the snapshot into it and
    # deleted it in compensation.
    sim.faults(
        failing=[{"method": "POST", "path_prefix": "/locations/", "status": 502, "count": 1}],
        fail_snapshot_pushes=True,
    )
    try:
        await run_one(infra, schema, sim, "FIT-0911", TWIN, step_max_attempts=2)
    finally:
        sim.clear_faults()
    assert sub_account(sim, "strAnger000000000001") is not None, "the stranger's sub-account was deleted"
    touched = [
        r for r in sim.requests(since=before) if "strAnger000000000001" in r["path"] and r["method"] != "GET"
    ]
    assert touched == []  # no snapshot, no custom value, no delete
    assert await statuses(infra, schema, ["FIT-0911"]) == {"FIT-0911": "failed"}
    names = [loc["name"] for loc in sim.state()["locations"]]
    assert names.count(TWIN) == 1  # and no look-alike created next to it


async def test_a_created_sub_account_carries_the_marker_and_its_real_name(
    infra: Infra, schema: str, sim: GhlSim
) -> None:
    # The create is applied but the answer is lost: the saga finds it by the marker in its name.
    sim.faults(crash=[{"method": "POST", "path_prefix": "/locations/", "count": 1}])
    try:
        await run_one(infra, schema, sim, "FIT-0912", "FitNation Boulder Marked")
    finally:
        sim.clear_faults()
    assert await statuses(infra, schema, ["FIT-0912"]) == {"FIT-0912": "active"}
    created = [loc for loc in sim.state()["locations"] if "Boulder Marked" in loc["name"]]
    assert [loc["name"] for loc in created] == ["FitNation Boulder Marked"]
    ghl = sim.settings()
    async with httpx.AsyncClient(base_url=sim.base_url) as client:  # read as GHL answers it
        custom = await client.get(
            f"/locations/{created[0]['id']}/customValues",
            headers={"Authorization": f"Bearer {ghl.agency_token}", "Version": ghl.version},
        )
    markers = [cv["value"] for cv in custom.json()["customValues"] if cv["name"] == MARKER_CUSTOM_VALUE]
    assert len(markers) == 1 and markers[0].startswith("lf-FIT-0912-")


def test_import_refuses_a_name_a_live_sub_account_uses(
    infra: Infra, schema: str, sim: GhlSim, tmp_path: Path
) -> None:
    rows = csv_subset(SAMPLES / "locations.csv", tmp_path / "batch.csv", slice(60, 62))
    seed_stranger(sim, "strAnger000000000002", rows[1]["Location Name"])
    result = CliRunner().invoke(
        app, ["import", str(tmp_path / "batch.csv"), "--dry-run"], env=cli_env(infra, schema, sim)
    )
    assert result.exit_code == 1, result.output
    assert "strAnger000000000002" in result.output and "Nothing was sent" in result.output
    assert asyncio.run(statuses(infra, schema, [r["Franchise Code"] for r in rows])) == {}

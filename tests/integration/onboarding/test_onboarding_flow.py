"""CSV → commands → saga against the GHL simulator → LocationActivated + LocationProfile, on the real
Kafka, Postgres and Redis; plus redelivery, crash-mid-request, kill -9, compensation, quarantine."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow_common.topics import LOCATIONS, ONBOARDING_COMMANDS, ONBOARDING_EVENTS
from leadflow_system.seed import existing_locations
from onboarding.cli import app
from onboarding.main import Service, build_service
from tests.integration.onboarding.support import (
    SAMPLES,
    csv_subset,
    events_for,
    onboarding_settings,
    start_group_at_end,
    statuses,
    topic_size,
    wait_statuses,
)
from tests.integration.onboarding.support import (
    cli_env as onboarding_cli_env,
)
from tests.support.ghl import GhlSim
from tests.support.infra import Infra
from tests.support.kafka_io import read_all

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def group(infra: Infra) -> str:
    name = f"onboarding-{uuid.uuid4().hex[:8]}"
    asyncio.run(start_group_at_end(infra.kafka, ONBOARDING_COMMANDS, name))
    return name


@pytest.fixture
def cli_env(infra: Infra, schema: str, sim: GhlSim) -> dict[str, str]:
    return onboarding_cli_env(infra, schema, sim)


async def started(service: Service) -> Service:
    await service.start()
    return service


@pytest.fixture
async def service(infra: Infra, schema: str, group: str, sim: GhlSim) -> AsyncIterator[Service]:
    svc = await started(build_service(onboarding_settings(infra, schema, group), sim.settings()))
    yield svc
    await svc.stop()


def names_in_sim(sim: GhlSim) -> Counter[str]:
    return Counter(loc["name"] for loc in sim.state()["locations"])


def test_broken_csv_reports_every_row_and_sends_nothing(infra: Infra, cli_env: dict[str, str]) -> None:
    before = asyncio.run(topic_size(infra.kafka, ONBOARDING_COMMANDS))
    result = CliRunner().invoke(app, ["import", str(SAMPLES / "locations_broken.csv")], env=cli_env)
    assert result.exit_code == 1, result.output
    for row in (4, 7, 11, 14, 22, 32, 42, 52, 62, 72):
        assert f"│ {row:>3} │" in result.output or f" {row} " in result.output
    assert "Nothing was sent" in result.output
    assert asyncio.run(topic_size(infra.kafka, ONBOARDING_COMMANDS)) == before


async def test_csv_onboards_locations_once_despite_crash_and_redelivery(
    infra: Infra, schema: str, sim: GhlSim, service: Service, cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = csv_subset(SAMPLES / "locations.csv", tmp_path / "new.csv", slice(0, 8))
    keys = [r["Franchise Code"] for r in rows]
    # GHL applies the first create but the connection drops before the answer: an unknown outcome.
    sim.faults(crash=[{"method": "POST", "path_prefix": "/locations/", "count": 1}])
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(tmp_path / "new.csv")], env=cli_env
    )
    assert result.exit_code == 0, result.output
    await wait_statuses(infra, schema, keys, {"active"}, timeout_s=60)
    sim.clear_faults()

    names = names_in_sim(sim)
    assert all(names[r["Location Name"]] == 1 for r in rows), names

    profiles = await events_for(infra, LOCATIONS.name, set(keys), expected=len(keys))
    by_key = {k: v["payload"] for k, v in profiles}
    assert set(by_key) == set(keys)
    assert all(p["status"] == "active" and p["lat"] and p["ghl_location_id"] for p in by_key.values())
    assert by_key["FIT-0001"]["timezone"] == "America/Chicago"
    activated = await events_for(infra, ONBOARDING_EVENTS.name, set(keys), expected=len(keys) * 7)
    assert Counter(v["event_type"] for _, v in activated)["LocationActivated"] == len(keys)

    # The same commands again (a redelivery, or an operator importing twice by mistake).
    records = await read_all(infra.kafka, ONBOARDING_COMMANDS.name, expected=10**9, timeout_s=3)
    commands = [r for r in records if r.key.decode() in keys]
    assert len(commands) == len(keys)
    creates_before = sum(1 for r in sim.requests() if r["method"] == "POST" and r["path"] == "/locations/")
    from tests.support.kafka_io import produce

    await produce(infra.kafka, ONBOARDING_COMMANDS.name, [(r.key.decode(), r.value) for r in commands])
    await asyncio.sleep(2)
    creates_after = sum(1 for r in sim.requests() if r["method"] == "POST" and r["path"] == "/locations/")
    assert creates_after == creates_before
    assert set((await statuses(infra, schema, keys)).values()) == {"active"}

    # Importing the file again is refused: every franchise code is known now.
    again = await asyncio.to_thread(
        CliRunner().invoke, app, ["import", str(tmp_path / "new.csv")], env=cli_env
    )
    assert again.exit_code == 1 and "already onboarded" in again.output


async def test_adopt_registers_existing_locations_without_creating(
    infra: Infra, schema: str, sim: GhlSim, service: Service, cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = csv_subset(SAMPLES / "existing_locations.csv", tmp_path / "existing.csv", slice(0, 3))
    keys = [r["Franchise Code"] for r in rows]
    sim.admin.post(
        "/seed", json={"locations": existing_locations(tmp_path / "existing.csv")}
    ).raise_for_status()
    before = max((r["seq"] for r in sim.requests()), default=0)
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["adopt", str(tmp_path / "existing.csv")], env=cli_env
    )
    assert result.exit_code == 0, result.output
    await wait_statuses(infra, schema, keys, {"active"}, timeout_s=30)
    # Only reads, and the location-token exchange that proves each sub-account is reachable.
    writes = [r for r in sim.requests(since=before) if r["method"] != "GET"]
    assert {r["path"] for r in writes} <= {"/oauth/locationToken"}, writes
    profiles = await events_for(infra, LOCATIONS.name, set(keys), expected=len(keys))
    assert {v["payload"]["ghl_location_id"] for _, v in profiles} == {r["GHL Location Id"] for r in rows}

"""The whole system as separate processes (GHL simulator + four services) on the session's
real Kafka, Postgres and Redis, with a small franchise onboarded from CSV."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadflow_system.processes import run_cli
from leadflow_system.samples import EXISTING_LOCATIONS_CSV, NEW_LOCATIONS_CSV, subset_csv
from leadflow_system.seed import existing_locations, seed
from leadflow_system.system import API_TOKEN, LocalSystem, venv_bin
from tests.support.infra import Infra, drop_schema

NEW_LOCATIONS = 12
ADOPTED_LOCATIONS = 4


@pytest.fixture(scope="session")
def system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    run_id = f"e2e{uuid.uuid4().hex[:8]}"
    local = LocalSystem(dict(infra.env), tmp_path_factory.mktemp("logs"), run_id)
    local.migrate()
    try:
        local.start()
        yield local
    finally:
        local.stop()
        for service in ("router", "onboarding", "analytics"):
            drop_schema(infra, local.schema(service))


@dataclass(frozen=True)
class Franchise:
    active: dict[str, dict[str, object]]  # location id -> onboarding status view
    csv_paths: list[Path]


@pytest.fixture(scope="session")
def franchise(system: LocalSystem, tmp_path_factory: pytest.TempPathFactory) -> Franchise:
    """A dozen new locations imported and four existing ones adopted, all active."""
    folder = tmp_path_factory.mktemp("csv")
    new = subset_csv(NEW_LOCATIONS_CSV, folder / "new.csv", NEW_LOCATIONS)
    existing = subset_csv(EXISTING_LOCATIONS_CSV, folder / "existing.csv", ADOPTED_LOCATIONS)
    seed(system.url("ghl-simulator"), locations=existing_locations(existing))
    for args in (["import", str(new)], ["adopt", str(existing)]):
        result = run_cli([venv_bin("onboarding"), *args], system.env())
        assert result.returncode == 0, result.stdout + result.stderr
    active = asyncio.run(wait_for_active(system, NEW_LOCATIONS + ADOPTED_LOCATIONS, timeout_s=240))
    return Franchise(active, [new, existing])


async def wait_for_active(
    system: LocalSystem, expected: int, timeout_s: float
) -> dict[str, dict[str, object]]:
    deadline = asyncio.get_running_loop().time() + timeout_s
    active: dict[str, dict[str, object]] = {}
    async with httpx.AsyncClient(base_url=system.url("onboarding"), timeout=10) as client:
        while asyncio.get_running_loop().time() < deadline:
            response = await client.get("/onboarding", headers={"Authorization": f"Bearer {API_TOKEN}"})
            response.raise_for_status()
            items = response.json()["items"]
            active = {i["location_id"]: i for i in items if i["status"] == "active"}
            settled = [i for i in items if i["status"] in ("active", "quarantined", "failed")]
            if len(settled) >= expected:
                break
            await asyncio.sleep(1)
    assert len(active) == expected, f"only {len(active)} of {expected} locations active"
    return active

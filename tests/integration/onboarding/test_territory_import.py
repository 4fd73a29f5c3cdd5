"""The import checks territories against the locations Postgres knows: a row claiming a zip a live
location owns is refused naming both owners; an offboarded location's zips are free again."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.events.onboarding import LocationDraft
from onboarding.adapters.store import PostgresSagaStore
from onboarding.cli import app
from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus
from tests.integration.onboarding.support import SAMPLES, cli_env
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


def draft(code: str, zips: list[str]) -> LocationDraft:
    return LocationDraft(
        name=f"Territory {code}", address="1 Main St", city="Austin", state="TX", postal_code="78701",
        phone="(512) 555-0100", email=f"{code.lower()}@example.com", manager_name="M",
        manager_email="m@example.com", daily_capacity=10, franchise_code=code, territory_zips=zips,
    )  # fmt: skip


async def seed(infra: Infra, schema: str) -> None:
    engine = make_engine(infra.service_db_url("onboarding"), schema, pool_size=1)
    try:
        store = PostgresSagaStore(make_sessionmaker(engine))
        await store.create(Location("TER-0001", draft("TER-0001", ["78702"]), status=SagaStatus.ACTIVE))
        await store.create(Location("TER-0002", draft("TER-0002", ["78703"]), status=SagaStatus.OFFBOARDED))
    finally:
        await engine.dispose()


def write_rows(path: Path, zips: list[str]) -> None:
    with (SAMPLES / "locations.csv").open() as fh:
        reader = csv.DictReader(fh)
        header = [*(reader.fieldnames or []), "Territory Zips"]
        rows = [{**row, "Territory Zips": z} for row, z in zip(list(reader)[70:72], zips, strict=True)]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def test_import_refuses_a_zip_a_known_location_owns(
    infra: Infra, schema: str, sim: GhlSim, tmp_path: Path
) -> None:
    asyncio.run(seed(infra, schema))
    env = cli_env(infra, schema, sim)
    write_rows(tmp_path / "taken.csv", ["78702; 78704", "78705"])
    taken = CliRunner().invoke(app, ["import", str(tmp_path / "taken.csv"), "--dry-run"], env=env)
    assert taken.exit_code == 1, taken.output
    flat = " ".join(taken.output.split())  # the report table may wrap the message
    assert "78702" in flat and "TER-0001" in flat and "FIT-0071" in flat, taken.output
    write_rows(tmp_path / "free.csv", ["78703", "78704"])  # TER-0002 is offboarded: 78703 is free
    free = CliRunner().invoke(app, ["import", str(tmp_path / "free.csv"), "--dry-run"], env=env)
    assert free.exit_code == 0, free.output

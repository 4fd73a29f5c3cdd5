"""``onboarding location …`` on real Postgres and Kafka: the same use cases as the API, a refused
change answered with one line and exit 1, bulk files shown as a diff in a dry run."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow_common.db import make_engine, make_sessionmaker
from leadflow_common.events.onboarding import LocationDraft
from onboarding.adapters.store import PostgresSagaStore
from onboarding.cli import app
from onboarding.directory import repository as repo
from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
CODES = ("CLI-0001", "CLI-0002")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[")


def seed(infra: Infra, schema: str, codes: tuple[str, ...]) -> None:
    async def go() -> None:
        engine = make_engine(infra.service_db_url("onboarding"), schema, pool_size=1)
        store = PostgresSagaStore(make_sessionmaker(engine))
        for code in codes:
            draft = LocationDraft(
                name=f"FitNation {code}", address="1 Main St", city="Austin", state="TX", postal_code="78701",
                phone="+15125550100", email="a@fitnation.example.com", manager_name="Ana Ruiz",
                manager_email="ana@fitnation.example.com", daily_capacity=40, franchise_code=code,
            )  # fmt: skip
            await store.create(Location(code, draft, status=SagaStatus.ACTIVE, ghl_location_id=f"g{code}",
                                        lat=30.27, lon=-97.74, timezone="America/Chicago"))  # fmt: skip
        await engine.dispose()

    asyncio.run(go())


@pytest.fixture
def env(infra: Infra, schema: str) -> Iterator[dict[str, str]]:
    seed(infra, schema, CODES)
    # COLUMNS: rich tables wide enough not to wrap the cells the test reads
    yield {"ONBOARDING_DATABASE_URL": infra.service_db_url("onboarding"), "ONBOARDING_DB_SCHEMA": schema,
           "COLUMNS": "200"}  # fmt: skip


def history(infra: Infra, schema: str, code: str) -> list[repo.ChangeRow]:
    async def read() -> list[repo.ChangeRow]:
        engine = make_engine(infra.service_db_url("onboarding"), schema, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                return await repo.history(session, code, None, 50)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["location", *args], env=env)
    # the service's structured log lines (stderr in a fresh process; wherever an earlier test
    # of this session left structlog's cached loggers here) are not what the operator reads
    lines = [line for line in result.output.splitlines() if not LOG_LINE.match(line)]
    return result.exit_code, " ".join(" ".join(lines).split())


def test_location_commands(env: dict[str, str], infra: Infra, schema: str, tmp_path: Path) -> None:
    def cli(*args: str) -> tuple[int, str]:
        return run_cli(env, *args)

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    code, text = cli(
        "pause", "cli-0001", "--reason", "staff training", "--until", tomorrow, "--actor", "ops@fit"
    )
    assert (code, text) == (0, "CLI-0001: status active → paused")
    assert cli("pause", "CLI-0001") == (1, "onboarding: refused: the location is already paused")
    assert cli("update", "CLI-0001", "--capacity", "0") == (
        1, "onboarding: invalid --capacity: capacity must be positive, got 0")  # fmt: skip
    assert cli("resume", "NOPE-1") == (1, "onboarding: no location NOPE-1")
    code, text = cli("show", "CLI-0001")
    assert code == 0 and "staff training" in text and "ops@fit" in text and f"until {tomorrow}" in text
    code, text = cli("list", "--status", "paused")
    assert code == 0 and "CLI-0001" in text and "CLI-0002" not in text
    assert cli("list", "--state", "XX")[0] == 1

    changes = tmp_path / "changes.csv"
    changes.write_text("Franchise Code,Capacity Limit,Hours\nCLI-0001,25,\nCLI-0002,,Mon-Sun 08:00-20:00\n")
    code, text = cli("bulk-update", str(changes), "--dry-run")
    assert code == 0 and "│ CLI-0001 │ daily_capacity │ 40 → 25" in text and "nothing was applied" in text
    assert history(infra, schema, "CLI-0002") == []
    broken = tmp_path / "broken.csv"
    broken.write_text("Franchise Code,Capacity Limit\nCLI-0001,25\nCLI-0002,lots\n")
    code, text = cli("bulk-update", str(broken))
    assert code == 1 and "│ 3 │ Capacity Limit │ capacity must be a whole number, got 'lots'" in text
    assert "Nothing was changed" in text
    code, text = cli("bulk-update", str(changes), "--actor", "bulk@fit")
    assert code == 0 and "applied" in text
    assert {(h.field, h.new_value, h.actor) for h in history(infra, schema, "CLI-0001")} == {
        ("status", "paused", "ops@fit"), ("daily_capacity", "25", "bulk@fit")}  # fmt: skip

    assert cli("offboard", "CLI-0002", "--reason", "closed") == (0, "CLI-0002: status active → offboarded")
    assert cli("update", "CLI-0002", "--capacity", "5")[1].startswith(
        "onboarding: refused: the location is offboarded"
    )
    assert history(infra, schema, "CLI-0002")[0].actor.startswith("cli:")  # default actor: the OS user


def test_territory_and_weight_from_the_terminal(env: dict[str, str], infra: Infra, schema: str) -> None:
    seed(infra, schema, ("CLI-0003", "CLI-0004"))
    code, text = run_cli(
        env, "update", "CLI-0003", "--territory-zips", "10031,10032", "--routing-weight", "2"
    )
    assert (code, text) == (
        0,
        "CLI-0003: territory_zips - → 10031; 10032 CLI-0003: routing_weight 1 → 2",
    ), text
    assert run_cli(env, "update", "CLI-0004", "--territory-zips", "10032") == (
        1, "onboarding: refused: zip 10032 is claimed by CLI-0004 but already owned by CLI-0003")  # fmt: skip
    weight = "onboarding: invalid --routing-weight: routing weight '0' must be above 0 and at most 1000"
    assert run_cli(env, "update", "CLI-0004", "--routing-weight", "0") == (1, weight)
    assert run_cli(env, "update", "CLI-0003", "--territory-zips", "")[0] == 0  # given up
    assert run_cli(env, "update", "CLI-0004", "--territory-zips", "10032")[0] == 0
    code, text = run_cli(env, "show", "CLI-0004", "--changes", "0")
    assert code == 0 and "territory zips │ 10032" in text
    assert [(h.field, h.new_value) for h in history(infra, schema, "CLI-0003")] == [
        ("territory_zips", ""), ("routing_weight", "2"), ("territory_zips", "10031; 10032")]  # fmt: skip


def test_radius_override_from_the_terminal(env: dict[str, str], infra: Infra, schema: str) -> None:
    seed(infra, schema, ("CLI-0005",))
    code, text = run_cli(env, "update", "CLI-0005", "--radius-override-miles", "7.5", "--actor", "ops@fit")
    assert (code, text) == (0, "CLI-0005: radius_override_miles - → 7.5"), text
    too_far = (
        "onboarding: invalid --radius-override-miles: "
        "radius override '500' must be above 0 and at most 200 miles"
    )
    assert run_cli(env, "update", "CLI-0005", "--radius-override-miles", "500") == (1, too_far)
    code, text = run_cli(env, "show", "CLI-0005", "--changes", "0")
    assert code == 0 and "radius override │ 7.5 mi" in text
    assert run_cli(env, "update", "CLI-0005", "--radius-override-miles", "")[0] == 0  # removed
    assert [(h.field, h.old_value, h.new_value) for h in history(infra, schema, "CLI-0005")] == [
        ("radius_override_miles", "7.5", ""), ("radius_override_miles", "", "7.5")]  # fmt: skip

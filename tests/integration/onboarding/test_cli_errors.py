"""Every onboarding CLI command answers a missing schema or an unreachable dependency with one line
saying what to run, and a non-zero exit code: the CLI as a subprocess, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from alembic.script import ScriptDirectory

from leadflow_common.migrations import alembic_config, upgrade
from tests.integration.onboarding.support import SAMPLES, cli_env
from tests.support.ghl import GhlSim, free_port
from tests.support.infra import REPO, Infra, drop_schema, migrations_dir

pytestmark = pytest.mark.integration
MIGRATE = "run `uv run onboarding migrate`"


@dataclass(frozen=True)
class Answer:
    code: int
    lines: list[str]  # stdout and stderr, non-empty lines


def onboarding(env: dict[str, str], *args: str) -> Answer:
    done = subprocess.run(
        [sys.executable, "-m", "onboarding.cli", *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        timeout=120,
        check=False,
    )
    text = (done.stdout + done.stderr).decode()
    return Answer(done.returncode, [line for line in text.splitlines() if line.strip()])


@pytest.fixture
def old_schema(infra: Infra) -> Iterator[str]:
    """A schema one migration behind the code."""
    name = f"onboarding_{uuid.uuid4().hex[:8]}"
    upgrade(migrations_dir("onboarding"), infra.service_db_url("onboarding"), name, revision="0001")
    try:
        yield name
    finally:
        drop_schema(infra, name)


def one_line(answer: Answer, expected: str) -> None:
    assert answer.code == 2, answer.lines
    assert len(answer.lines) == 1, answer.lines
    assert expected in answer.lines[0], answer.lines


def test_missing_schema(infra: Infra, ghl_sim: GhlSim) -> None:
    env = cli_env(infra, f"onboarding_missing_{uuid.uuid4().hex[:6]}", ghl_sim)
    expected = f"onboarding schema not found: {MIGRATE}"
    one_line(onboarding(env, "import", str(SAMPLES / "locations.csv"), "--dry-run"), expected)
    one_line(onboarding(env, "adopt", str(SAMPLES / "existing_locations.csv"), "--dry-run"), expected)
    one_line(onboarding(env, "status"), expected)
    one_line(onboarding(env, "retry", "--all-failed"), expected)
    one_line(onboarding(env, "serve"), MIGRATE)


def test_schema_behind_the_code(infra: Infra, ghl_sim: GhlSim, old_schema: str) -> None:
    env = cli_env(infra, old_schema, ghl_sim)
    one_line(onboarding(env, "status"), f"onboarding schema is out of date: {MIGRATE}")
    head = ScriptDirectory.from_config(
        alembic_config(migrations_dir("onboarding"), "", old_schema)
    ).get_current_head()
    one_line(onboarding(env, "serve"), f"at revision 0001, the code needs {head}: {MIGRATE}")


def test_unreachable_dependencies(infra: Infra, schema: str, ghl_sim: GhlSim) -> None:
    env = cli_env(infra, schema, ghl_sim)
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    database = infra.service_db_url("onboarding")
    no_postgres = {
        **env,
        "ONBOARDING_DATABASE_URL": database.replace(database.split("@")[1].split("/")[0], closed),
    }
    one_line(onboarding(no_postgres, "status"), "cannot reach Postgres")
    one_line(onboarding(no_postgres, "migrate"), "cannot reach Postgres")
    one_line(
        onboarding({**env, "KAFKA_BOOTSTRAP_SERVERS": closed}, "retry", "FIT-0001"), "cannot reach Kafka"
    )
    one_line(
        onboarding(
            {**env, "REDIS_URL": f"redis://{closed}/0"}, "import", str(SAMPLES / "locations.csv"), "--dry-run"
        ),
        "cannot reach Redis",
    )
    one_line(onboarding({**env, "KAFKA_BOOTSTRAP_SERVERS": closed}, "serve"), "cannot reach Kafka")

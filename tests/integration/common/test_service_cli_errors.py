"""`router serve` and `analytics serve` answer a missing schema and an unreachable database with one
line saying what to run (exit code 2), like the onboarding CLI: the command as an operator runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from devstack.procs import free_port
from tests.support.infra import REPO, Infra


def serve(service: str, env: dict[str, str]) -> tuple[int, list[str]]:
    command = shutil.which(service, path=os.path.dirname(sys.executable))
    assert command is not None
    done = subprocess.run([command, "serve"], cwd=REPO, env={**os.environ, **env}, capture_output=True,
                          timeout=120, check=False)  # fmt: skip
    text = (done.stdout + done.stderr).decode()
    return done.returncode, [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("service", ["router", "analytics"])
def test_missing_schema_is_one_line_naming_the_migration(infra: Infra, service: str) -> None:
    prefix = service.upper()
    env = {f"{prefix}_DATABASE_URL": infra.service_db_url(service), f"{prefix}_DB_SCHEMA": "no_such_schema"}
    code, lines = serve(service, env)
    assert code == 2
    assert lines == [f"{service}: {service} schema not found: run `uv run {service} migrate`"]


@pytest.mark.parametrize("service", ["router", "analytics"])
def test_unreachable_database_is_one_line(infra: Infra, service: str) -> None:
    url = f"postgresql+asyncpg://nobody:x@127.0.0.1:{free_port()}/leadflow"
    code, lines = serve(service, {f"{service.upper()}_DATABASE_URL": url})
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"{service}: ")

"""`<service> revision -m ...`: the next numbered alembic migration, written without a database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leadflow_common.migrations import next_revision_id, revision

SERVICES = Path(__file__).resolve().parents[3] / "services"


@pytest.mark.parametrize("service", ["router", "onboarding", "analytics"])
def test_revision_writes_the_next_numbered_migration(service: str, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(SERVICES / service / "migrations", migrations)
    before = sorted(p.name for p in (migrations / "versions").glob("*.py"))
    head = before[-1][:4]
    expected = f"{int(head) + 1:04d}"
    assert next_revision_id(migrations) == expected

    path = revision(migrations, "postgresql+asyncpg://nobody@127.0.0.1:1/none", service, "add lead notes")

    assert path.name == f"{expected}_add_lead_notes.py"
    text = path.read_text()
    assert text.startswith('"""add lead notes')
    module: dict[str, object] = {}
    exec(compile(text, str(path), "exec"), module)  # the service's own script.py.mako, rendered
    assert (module["revision"], module["down_revision"]) == (expected, head)

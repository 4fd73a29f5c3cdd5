"""The pre-commit hooks run the same locked tools, over the same trees, as ./scripts/test."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from tests.unit.deploy.manifests import REPO


def hooks() -> dict[str, dict[str, object]]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    return {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}


def test_hooks_run_ruff_format_mypy_and_import_linter_through_uv() -> None:
    found = hooks()
    assert {"ruff", "ruff-format", "mypy", "import-linter", "contracts", "hadolint"} <= found.keys()
    for hook in found.values():
        assert str(hook["entry"]).startswith("uv run --frozen "), hook["id"]
        assert hook["language"] == "system"


def test_mypy_hook_checks_what_the_test_script_checks() -> None:
    entry = shlex.split(str(hooks()["mypy"]["entry"]))
    assert entry[:4] == ["uv", "run", "--frozen", "mypy"]
    expected = ["libs/common/src", *sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("tools/*/src"))]
    expected += sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("services/*/src"))
    assert sorted(entry[4:]) == sorted(expected)
    assert "mypy libs/common/src tools/*/src services/*/src" in Path(REPO / "scripts/test").read_text()
    assert hooks()["mypy"]["pass_filenames"] is False

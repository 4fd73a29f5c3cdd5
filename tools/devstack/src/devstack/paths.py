"""Where devstack keeps state (in the repo, git-ignored) and caches (outside the repo)."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "libs").is_dir():
            return parent
    return Path.cwd()


def state_dir() -> Path:
    path = Path(os.environ.get("DEVSTACK_HOME", repo_root() / ".devstack"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    path = Path(os.environ.get("DEVSTACK_CACHE", base / "leadflow-devstack"))
    path.mkdir(parents=True, exist_ok=True)
    return path

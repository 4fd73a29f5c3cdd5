"""The contracts directory: render every document, find stale ones, find breaking changes.

``contracts/`` holds ``asyncapi.yaml`` and ``schemas/<topic>/<Event>.json``. The committed
schemas are the published contract: a new schema is compared with the committed file and with
every earlier version of that file in git history (so regenerating, deleting or hand-editing a
file cannot launder a breaking change), and must be compatible with all of them.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from leadflow_system.contracts.asyncapi import asyncapi_document
from leadflow_system.contracts.compat import Change, check
from leadflow_system.contracts.schemas import all_schemas, render

ASYNCAPI = Path("asyncapi.yaml")


class _NoAliases(yaml.SafeDumper):  # type: ignore[misc]
    """Write shared sub-documents out in full: YAML anchors are legal but unreadable here."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_yaml(document: dict[str, Any]) -> str:
    text: str = yaml.dump(document, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=100)
    return text


def generated() -> dict[Path, str]:
    """Every document of the contracts directory, as the models define it now."""
    files = {path: render(schema) for path, schema in all_schemas().items()}
    files[ASYNCAPI] = render_yaml(asyncapi_document())
    return files


def committed(directory: Path) -> dict[Path, str]:
    paths = [directory / ASYNCAPI, *sorted((directory / "schemas").glob("*/*.json"))]
    return {p.relative_to(directory): p.read_text() for p in paths if p.is_file()}


def stale(directory: Path, fresh: dict[Path, str]) -> list[str]:
    """Files that differ from what the models generate, are missing, or no longer generated."""
    current = committed(directory)
    problems = [f"{p}: out of date" for p in sorted(fresh.keys() & current.keys()) if fresh[p] != current[p]]
    problems += [f"{p}: missing" for p in sorted(fresh.keys() - current.keys())]
    problems += [f"{p}: no longer generated" for p in sorted(current.keys() - fresh.keys())]
    return problems


@dataclass(frozen=True, slots=True)
class Breaking:
    schema: Path
    against: str
    change: Change | None  # None: the event disappeared from its topic

    def __str__(self) -> str:
        what = str(self.change) if self.change else "event removed from the topic"
        return f"{self.schema} (vs {self.against}): {what}"


def history(directory: Path, relative: Path) -> list[tuple[str, str]]:
    """(commit, content) of every committed version of a file, newest first; empty outside git."""
    try:
        log = subprocess.run(
            ["git", "log", "--format=%h", "--", relative.as_posix()],
            cwd=directory,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        versions = []
        for commit in log:
            show = subprocess.run(
                ["git", "show", f"{commit}:./{relative.as_posix()}"],
                cwd=directory,
                check=False,
                capture_output=True,
                text=True,
            )
            if show.returncode == 0:  # the commit that deleted the file has no content for it
                versions.append((commit, show.stdout))
    except (OSError, subprocess.CalledProcessError):
        return []
    return versions


def breaking(directory: Path, use_history: bool = True) -> list[Breaking]:
    """Breaking changes of the generated schemas against the committed ones (and their history)."""
    fresh = all_schemas()
    baselines: dict[Path, list[tuple[str, str]]] = {}
    for relative, text in committed(directory).items():
        if relative != ASYNCAPI:
            baselines.setdefault(relative, []).append(("working tree", text))
    if use_history:
        known = {*baselines, *fresh}
        for relative in sorted(known):
            baselines.setdefault(relative, []).extend(history(directory, relative))
        for relative in _deleted_schemas(directory):
            baselines.setdefault(relative, []).extend(history(directory, relative))
    live_topics = {relative.parent for relative in fresh}
    found: list[Breaking] = []
    for relative, versions in sorted(baselines.items()):
        if relative not in fresh:
            # A whole topic gone is a retired version (the bump); one event gone from a live topic
            # breaks its consumers.
            if relative.parent in live_topics:
                found += [Breaking(relative, label, None) for label, _ in versions[:1]]
            continue
        for label, text in versions:
            found += [Breaking(relative, label, c) for c in check(json.loads(text), fresh[relative])]
    return _unique(found)


def _deleted_schemas(directory: Path) -> list[Path]:
    """Schemas that git knows but the working tree no longer has (a retired event or topic)."""
    try:
        out = subprocess.run(
            ["git", "log", "--diff-filter=D", "--name-only", "--format=", "--relative", "--", "schemas"],
            cwd=directory,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted({Path(p) for p in out if p.endswith(".json") and not (directory / p).exists()})


def _unique(found: list[Breaking]) -> list[Breaking]:
    """The same change against several equal versions is reported once."""
    seen: set[tuple[Path, str]] = set()
    result = []
    for item in found:
        key = (item.schema, str(item.change))
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def write(directory: Path, fresh: dict[Path, str]) -> list[Path]:
    """Write what changed; remove schema files no longer generated. Returns the paths touched."""
    touched = []
    for relative, text in fresh.items():
        path = directory / relative
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            touched.append(relative)
    for relative in committed(directory).keys() - fresh.keys():
        (directory / relative).unlink()
        touched.append(relative)
    return sorted(touched)

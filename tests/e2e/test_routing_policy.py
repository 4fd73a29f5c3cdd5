"""The routing policy through the real ``router`` command against the running router process
(migrated schema, bearer token): show the bootstrap version, a dry run, a stored version with
optimistic concurrency, the history, and a diff of the live decisions.

The stored document is the one already in force (same content, new version), so the routing of
the other tests sharing this system is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from leadflow_system.processes import run_cli
from leadflow_system.system import API_TOKEN, LocalSystem, venv_bin


def test_router_policy_commands_on_the_running_router(system: LocalSystem, tmp_path: Path) -> None:
    env = system.env() | {"ROUTER_API_URL": system.url("router"), "ROUTER_API_TOKEN": API_TOKEN}

    def policy(*args: str) -> tuple[int, str]:
        result = run_cli([venv_bin("router"), "policy", *args], env, timeout_s=60)
        return result.returncode, result.stdout + result.stderr

    code, out = policy("show")
    assert code == 0, out
    shown = json.loads(out)
    version = shown["version"]
    assert shown["active_version"] == version
    current = tmp_path / "current.json"
    current.write_text(json.dumps(shown))

    code, out = policy("set", str(current), "--dry-run")
    assert code == 0 and f"against version {version} changes: nothing" in out, out

    code, out = policy("set", str(current), "--expected-version", str(version), "--actor", "e2e",
                       "--comment", "same content, new version")  # fmt: skip
    assert code == 0 and f"stored version {version + 1}" in out, out
    code, out = policy("set", str(current), "--expected-version", str(version), "--actor", "e2e")
    assert code == 1 and "409 expected_version" in out, out

    code, out = policy("history")
    assert code == 0 and "same content, new version" in out, out
    code, out = policy("show")
    assert json.loads(out)["active_version"] == version + 1 and json.loads(out)["hash"] == shown["hash"]

    code, out = policy("diff", "current", str(current), "--last", "200", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["moved"] == 0 and report["load_changes"] == []  # the same document changes nothing
    assert report["before"] == report["after"]

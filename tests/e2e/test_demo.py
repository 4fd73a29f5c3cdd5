"""The README's first command keeps working: the demo, scaled down, runs to its summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.support.infra import REPO, Infra


def test_demo_runs_to_its_summary_and_stops_everything(infra: Infra) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_TOPIC_NAMESPACE"}
    result = subprocess.run(
        [sys.executable, "-m", "leadflow_system", "--leads", "40", "--new-locations", "6",
         "--adopted-locations", "2", "--exit-after-summary"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    for line in ("locations active", "leads routed", "routing decisions by rule", "dashboard:", "stopped."):
        assert line in out, out[-4000:]
    assert "8 " in out.split("locations active", 1)[1][:40]
    # the GHL sync runs in a router process of its own (router-sync) and copies every routed lead
    routed, synced = (summary_number(out, row) for row in ("leads routed", "leads synced into sub-accounts"))
    assert routed > 0 and synced == routed, out[-4000:]
    assert "router-sync: http://" in out, out[-4000:]


def summary_number(out: str, row: str) -> int:
    found = re.search(rf"{re.escape(row)}\s*[│|]\s*(\d+)", out)  # rich's box, or ASCII without UTF-8
    assert found, f"no {row!r} row in the summary:\n{out[-4000:]}"
    return int(found.group(1))

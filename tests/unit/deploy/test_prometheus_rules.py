"""The alert rules, the compose Prometheus config and every dashboard query pass Prometheus' own
checker (promtool, built from Prometheus' sources via the Go module proxy on the first run and
cached), and the rule unit tests in deploy/prometheus/tests prove each alert fires when it should."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.tools.binaries import promtool
from tests.unit.deploy.manifests import DEPLOY, TREES, of_kind, render

# The first run on a machine compiles promtool (minutes); afterwards each call takes milliseconds.
pytestmark = pytest.mark.timeout(1800)
RULES = DEPLOY / "prometheus/rules/leadflow.rules.yml"
DASHBOARDS = DEPLOY / "grafana/dashboards"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, check=False)


def test_rule_file_passes_promtool() -> None:
    result = run("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("tree", sorted(TREES))
def test_prometheus_rule_objects_pass_promtool(tree: str, tmp_path: Path) -> None:
    for name, rule in of_kind(render(tree), "PrometheusRule").items():
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        result = run("check", "rules", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_fire_as_the_rule_unit_tests_expect() -> None:
    tests = sorted((DEPLOY / "prometheus/tests").glob("*.yml"))
    assert tests
    result = run("test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_unit_test() -> None:
    alerts = {
        r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"] if "alert" in r
    }
    tested = {
        case["alertname"]
        for path in (DEPLOY / "prometheus/tests").glob("*.yml")
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts == tested


def test_compose_prometheus_config_passes_promtool() -> None:
    # --syntax-only: the rule_files glob names the container path /etc/prometheus/rules
    result = run("check", "config", "--syntax-only", str(DEPLOY / "prometheus/prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses the queries as recording rules (Grafana's $__ variables replaced first)."""
    rules = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for i, target in enumerate(panel.get("targets", [])):
                expr = re.sub(r"\$__(rate_)?interval|\$__range", "5m", target["expr"])
                rules.append({"record": f"dashboard:panel_{panel['id']}_{i}", "expr": expr})
    assert rules
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run("check", "rules", "--lint=none", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_broken_promql(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(
        yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "A", "expr": "sum(rate(x[5m])"}]}]})
    )
    result = run("check", "rules", str(path))
    assert result.returncode != 0 and "parse error" in result.stdout + result.stderr

"""ServiceMonitors scrape every service; the PrometheusRule carries the required alerts on real metrics."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.deploy.manifests import DEPLOY, REPO, SERVICES, TREES, of_kind, render

REQUIRED_ALERTS = {
    "LeadRoutingSlow",
    "LeadRoutingSuccessLow",
    "ConsumerLagGrowing",
    "DeadLetterTopicNotEmpty",
    "GhlRateLimited",
}
PROMQL_WORDS = {
    "sum",
    "max",
    "by",
    "rate",
    "increase",
    "deriv",
    "histogram_quantile",
    "and",
    "or",
    "le",
    "group",
    "topic",
    "partition",
    "outcome",
    "endpoint",
    "error_class",
}


def defined_metric_names() -> set[str]:
    """Metric names declared with prometheus_client anywhere in libs/ and services/."""
    names: set[str] = set()
    for root in ("libs", "services"):
        for path in Path(REPO, root).rglob("*.py"):
            found = re.findall(r"(?:Counter|Gauge|Histogram|Summary)\(\s*\"([a-z0-9_:]+)\"", path.read_text())
            names |= set(found)
    # prometheus_client exposes counters with a `_total` suffix whether or not it was declared
    return names | {f"{n}_total" for n in names if not n.endswith("_total")}


def metrics_in(expr: str) -> set[str]:
    without_grouping = re.sub(r"\b(?:by|without)\s*\([^)]*\)", " ", expr)
    without_labels = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", without_grouping)
    return {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels) if w not in PROMQL_WORDS}


def rule_file_groups() -> list[dict[str, Any]]:
    document = yaml.safe_load((DEPLOY / "prometheus/rules/leadflow.rules.yml").read_text())
    groups: list[dict[str, Any]] = document["groups"]
    return groups


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_service_is_scraped(tree: str) -> None:
    objects = render(tree)
    monitors = of_kind(objects, "ServiceMonitor")
    services = of_kind(objects, "Service")
    for name in SERVICES:
        spec = monitors[name]["spec"]
        assert spec["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert services[name]["metadata"]["labels"]["app.kubernetes.io/name"] == name
        port_names = {p["name"] for p in services[name]["spec"]["ports"]}
        assert [e["port"] for e in spec["endpoints"]] == ["http"] and "http" in port_names
        assert spec["endpoints"][0]["path"] == "/metrics"


def test_prometheus_rule_equals_the_compose_rule_file() -> None:
    rule = of_kind(render("base"), "PrometheusRule")["leadflow"]
    assert rule["spec"]["groups"] == rule_file_groups()


def test_required_alerts_exist_with_thresholds() -> None:
    rules = {r["alert"]: r for g in rule_file_groups() for r in g["rules"] if "alert" in r}
    records = {r["record"]: r["expr"] for g in rule_file_groups() for r in g["rules"] if "record" in r}
    assert rules.keys() >= REQUIRED_ALERTS
    assert rules["LeadRoutingSlow"]["expr"].endswith("> 2")
    assert "0.95" in records[rules["LeadRoutingSlow"]["expr"].split()[0]]
    assert rules["LeadRoutingSuccessLow"]["expr"].endswith("< 0.95")
    assert rules["ConsumerLagGrowing"]["for"] == "10m"
    assert "leadflow_dead_lettered_total" in rules["DeadLetterTopicNotEmpty"]["expr"]


def test_rules_use_only_metrics_the_code_defines() -> None:
    known = defined_metric_names()
    records = {r["record"] for g in rule_file_groups() for r in g["rules"] if "record" in r}
    for group in rule_file_groups():
        for rule in group["rules"]:
            for name in metrics_in(rule["expr"]):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                assert name in records or base in known, f"{rule.get('alert') or rule.get('record')}: {name}"
            assert rule["expr"].count("(") == rule["expr"].count(")")

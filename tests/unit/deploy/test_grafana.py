"""The Grafana dashboards use only metrics that exist and install themselves: provisioned in
compose, a labelled ConfigMap (Grafana's dashboard sidecar) in Kubernetes."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.unit.deploy.manifests import DEPLOY, REPO, TREES, of_kind, render
from tests.unit.deploy.test_k8s_monitoring import defined_metric_names, metrics_in, rule_file_groups

# Exported by the cluster, not by leadflow: kube-state-metrics and the KEDA operator.
EXTERNAL_PREFIXES = ("kube_", "keda_")
PROMQL_FUNCTIONS = {"topk"}


def test_dashboard_queries_use_known_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/leadflow-overview.json").read_text())
    assert dashboard["uid"] == "leadflow-overview"
    known = defined_metric_names()
    records = {r["record"] for g in rule_file_groups() for r in g["rules"] if "record" in r}
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            expr = target["expr"]
            assert expr.count("(") == expr.count(")"), panel["title"]
            for name in metrics_in(expr) - PROMQL_FUNCTIONS:
                if re.fullmatch(r"[0-9.]+", name) or name.startswith(EXTERNAL_PREFIXES):
                    continue
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                assert name in records or base in known, f"{panel['title']}: {name}"


def test_dashboard_panels_do_not_overlap() -> None:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/leadflow-overview.json").read_text())
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        columns = range(pos["x"], pos["x"] + pos["w"])
        mine = {(x, y) for x in columns for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & mine, panel["title"]
        cells |= mine


DASHBOARDS = DEPLOY / "grafana/dashboards"


@pytest.mark.parametrize("tree", sorted(TREES))
def test_kubernetes_ships_every_dashboard_as_a_labelled_configmap(tree: str) -> None:
    configmaps = of_kind(render(tree), "ConfigMap")
    dashboards = configmaps["leadflow-dashboards"]  # no hash suffix: updated in place
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    files = {p.name: p.read_text() for p in DASHBOARDS.glob("*.json")}
    assert dashboards["data"] == files
    assert [n for n, c in configmaps.items() if "grafana_dashboard" in c["metadata"]["labels"]] == [
        "leadflow-dashboards"
    ]


def test_compose_provisions_the_datasource_and_the_dashboards() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    grafana = compose["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"] if v.startswith("./"))
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provisioning = DEPLOY / "grafana/provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources/prometheus.yaml").read_text())["datasources"]
    assert datasource["type"] == "prometheus" and datasource["isDefault"]
    port = compose["prometheus"]["ports"][0].split(":")[1]
    assert datasource["url"] == f"http://prometheus:{port}"
    (provider,) = yaml.safe_load((provisioning / "dashboards/leadflow.yaml").read_text())["providers"]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_http_request_metrics_are_on_the_dashboard() -> None:
    dashboard = json.loads((DASHBOARDS / "leadflow-overview.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    assert "http_requests_total" in exprs and "http_request_duration_seconds_bucket" in exprs

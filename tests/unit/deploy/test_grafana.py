"""The Grafana dashboard is valid JSON whose queries use only metrics that exist."""

from __future__ import annotations

import json
import re

from tests.unit.deploy.manifests import DEPLOY
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

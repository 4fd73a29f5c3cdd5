"""Every variable the deployment sets is one a settings class reads (a typo would be ignored silently)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from tests.unit.deploy.manifests import REPO, TREES, of_kind, pod_spec, render

COMMON_SETTINGS = REPO / "libs/common/src/leadflow_common/settings.py"
SETTINGS_FILES = {
    "INGEST_": [REPO / "services/ingest/src/ingest/settings.py", COMMON_SETTINGS],
    "ROUTER_": [REPO / "services/router/src/router/settings.py", COMMON_SETTINGS],
    "ONBOARDING_": [REPO / "services/onboarding/src/onboarding/settings.py", COMMON_SETTINGS],
    "ANALYTICS_": [REPO / "services/analytics/src/analytics/settings.py", COMMON_SETTINGS],
    "GHLSIM_": [REPO / "tools/ghl_simulator/src/ghl_simulator/settings.py"],
    "KAFKA_": [COMMON_SETTINGS],
    "REDIS_": [COMMON_SETTINGS],
    "GHL_": [REPO / "libs/common/src/leadflow_common/ghl/settings.py"],
}
# Read by the kafka-topics Job's own command line, not by a settings class.
JOB_ONLY = {"KAFKA_REPLICATION_FACTOR"}
ALIASES = {"LOG_LEVEL", "LOG_JSON", "LEADFLOW_ENV"}
# ConfigMaps that are not environments: KEDA scaler parameters, read by KEDA, not by a service.
NOT_ENVIRONMENT = {"leadflow-kafka-scaler"}


def field_names(paths: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        names.add(item.target.id.upper())
    return names


def known(variable: str) -> bool:
    if variable in JOB_ONLY or variable in ALIASES:
        return True
    prefix = next((p for p in sorted(SETTINGS_FILES, key=len, reverse=True) if variable.startswith(p)), None)
    if prefix is None:
        return False
    return variable[len(prefix) :].split("__", maxsplit=1)[0] in field_names(SETTINGS_FILES[prefix])


def compose_variables() -> set[str]:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    skip = {"kafka", "postgres", "redis", "prometheus", "grafana"}  # third-party images, their own variables
    return {
        name
        for service, spec in document["services"].items()
        if service not in skip
        for name in spec.get("environment", {})
    }


def k8s_variables(tree: str) -> set[str]:
    objects = render(tree)
    settings = [
        cm
        for cm in of_kind(objects, "ConfigMap").values()
        if "grafana_dashboard" not in cm["metadata"]["labels"]
        and cm["metadata"]["name"] not in NOT_ENVIRONMENT
    ]
    names = {k for cm in settings for k in cm.get("data", {})}
    for workload in objects:
        if workload["kind"] in ("Deployment", "Job"):
            names |= {e["name"] for c in pod_spec(workload)["containers"] for e in c.get("env", [])}
    return names


def test_compose_sets_only_known_variables() -> None:
    unknown = sorted(v for v in compose_variables() if not known(v))
    assert not unknown


@pytest.mark.parametrize("tree", sorted(TREES))
def test_kubernetes_sets_only_known_variables(tree: str) -> None:
    unknown = sorted(v for v in k8s_variables(tree) if not known(v))
    assert not unknown


def test_the_check_notices_a_typo() -> None:
    assert known("ONBOARDING_CONCURRENCY")
    assert not known("ONBOARDING_SAGA_CONCURRENCY")
    assert known("ROUTER_HTTP_HOST") and known("ROUTER_RADII_MILES")
    assert not known("ROUTER_NO_SUCH_SETTING")

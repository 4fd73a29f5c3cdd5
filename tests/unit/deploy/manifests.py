"""Shared helpers of the deploy tests: render the kustomize trees (real kustomize, as `kubectl
kustomize`) and look objects up."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from deploy.tools.binaries import K8S_VERSION, kustomize_build

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = DEPLOY / "schemas"
TREES = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}
OVERLAYS = ("dev", "prod")
CONSUMERS = ("router", "onboarding", "analytics")
# a service's image in another role: its own Deployment, scaler and monitor, no migration job
ROLES = {"router-sync": "router"}
SCALED = (*CONSUMERS, *ROLES)
SERVICES = ("ingest", *CONSUMERS, *ROLES)
__all__ = ["K8S_VERSION", "render"]

Obj = dict[str, Any]


@functools.cache
def _rendered(tree: str) -> str:
    return json.dumps(kustomize_build(TREES[tree]))


def render(tree: str) -> list[Obj]:
    """A fresh copy of the rendered objects (tests may not mutate each other's view)."""
    objects: list[Obj] = json.loads(_rendered(tree))
    return objects


def of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: Obj) -> Obj:
    spec: Obj = workload["spec"]["template"]["spec"]
    return spec


def selector_matches(selector: Obj, labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    if any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value = labels.get(expr["key"])
        if expr["operator"] == "In" and value not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and value in expr["values"]:
            return False
        if expr["operator"] == "Exists" and value is None:
            return False
    return True

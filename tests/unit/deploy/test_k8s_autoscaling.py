"""Autoscaling: ingest HPA on CPU; KEDA on each consumer group's lag, never past the partitions."""

from __future__ import annotations

import re

import pytest

from leadflow_common import topics
from tests.unit.deploy.manifests import ROLES, SCALED, TREES, of_kind, render

PARTITIONS = {spec.base_name: spec.partitions for spec in topics.ALL_TOPICS}
SERVICES_ROOT = topics.__file__.rsplit("/libs/", 1)[0] + "/services"
# The consumer groups each service's lag triggers must name (docs/CONVENTIONS.md).
GROUPS = {
    "router": {"router"},
    "router-sync": {"router-sync", "router-pool-tags"},
    "onboarding": {"onboarding"},
    "analytics": {"analytics"},
}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_ingest_scales_on_cpu(tree: str) -> None:
    hpas = of_kind(render(tree), "HorizontalPodAutoscaler")
    assert set(hpas) == {"ingest"}
    hpa = hpas["ingest"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ingest"}
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"]


@pytest.mark.parametrize("tree", sorted(TREES))
def test_consumers_scale_on_their_group_lag_within_partitions(tree: str) -> None:
    objects = render(tree)
    scaled = of_kind(objects, "ScaledObject")
    deployments = of_kind(objects, "Deployment")
    bootstrap = of_kind(objects, "ConfigMap")["leadflow-infra"]["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    assert set(scaled) == set(SCALED)
    for name, obj in scaled.items():
        spec = obj["spec"]
        assert spec["scaleTargetRef"]["name"] == name and name in deployments
        low, high = spec["minReplicaCount"], spec["maxReplicaCount"]
        assert 1 <= low <= high, name
        assert low <= spec["fallback"]["replicas"] <= high, name
        assert deployments[name]["spec"]["replicas"] <= high, name
        assert {t["metadata"]["consumerGroup"] for t in spec["triggers"]} <= GROUPS[name]
        for trigger in spec["triggers"]:
            meta = trigger["metadata"]
            assert trigger["type"] == "kafka"
            assert meta["bootstrapServers"] == bootstrap
            assert meta["offsetResetPolicy"] == "earliest"
            assert meta["allowIdleConsumers"] == "false"
            # more consumers than partitions would sit idle: the partitions are the ceiling
            assert high <= PARTITIONS[meta["topic"]], (name, meta["topic"])
            assert 0 <= int(meta["activationLagThreshold"]) < int(meta["lagThreshold"])


def test_each_lag_trigger_names_a_group_that_consumes_its_topic() -> None:
    """The group in a trigger must really exist in the service code (grep, services are in flux)."""
    from pathlib import Path

    for service, groups in GROUPS.items():
        code = ROLES.get(service, service)  # a role runs its service's code
        source = "\n".join(p.read_text() for p in Path(SERVICES_ROOT, code, "src").rglob("*.py"))
        for group in groups:
            quoted = rf"[\"']{re.escape(group)}[\"']"
            assert re.search(quoted, source), f"{service}: group {group!r} not found"


def test_thresholds_reflect_the_work_per_message() -> None:
    """Slow, GHL-bound sagas scale on a small backlog; batch analytics on a large one."""
    thresholds = {
        (t["metadata"]["consumerGroup"], t["metadata"]["topic"]): int(t["metadata"]["lagThreshold"])
        for so in of_kind(render("base"), "ScaledObject").values()
        for t in so["spec"]["triggers"]
    }
    assert thresholds[("onboarding", "onboarding.commands.v1")] < thresholds[("router", "ghl.events.v1")]
    assert thresholds[("router", "ghl.events.v1")] < thresholds[("analytics", "ghl.events.v1")]

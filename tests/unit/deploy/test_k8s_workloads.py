"""Workload rules: probes, resources, hardening, PDBs, migrations and no secrets in git."""

from __future__ import annotations

import re

import pytest

from tests.unit.deploy.manifests import CONSUMERS, TREES, Obj, of_kind, pod_spec, render, selector_matches

SECRET_LIKE = re.compile(r"TOKEN|PASSWORD|SECRET|DATABASE_URL|API_KEY", re.IGNORECASE)


def _workloads(objects: list[Obj]) -> list[Obj]:
    return [o for o in objects if o["kind"] in ("Deployment", "Job")]


@pytest.mark.parametrize("tree", sorted(TREES))
def test_deployments_have_probes_resources_and_a_pdb(tree: str) -> None:
    objects = render(tree)
    pdbs = of_kind(objects, "PodDisruptionBudget").values()
    for name, deployment in of_kind(objects, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector_matches(deployment["spec"]["selector"], labels), name
        for container in pod_spec(deployment)["containers"]:
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][kind].keys(), (name, kind)
        covering = [p for p in pdbs if selector_matches(p["spec"]["selector"], labels)]
        assert len(covering) == 1, f"{name} needs exactly one PodDisruptionBudget"


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_pod_runs_hardened(tree: str) -> None:
    for workload in _workloads(render(tree)):
        pod = pod_spec(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] >= 10000
        assert pod["automountServiceAccountToken"] is False
        tmp = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["capabilities"]["drop"] == ["ALL"]
            assert any(m["mountPath"] == "/tmp" and m["name"] in tmp for m in container["volumeMounts"])


@pytest.mark.parametrize("tree", sorted(TREES))
def test_secrets_are_only_referenced(tree: str) -> None:
    objects = render(tree)
    assert not of_kind(objects, "Secret"), "secrets are created out of band, never committed"
    for cm in of_kind(objects, "ConfigMap").values():
        assert not [k for k in cm.get("data", {}) if SECRET_LIKE.search(k)], cm["metadata"]["name"]
    for workload in _workloads(objects):
        for container in pod_spec(workload)["containers"]:
            for env in container.get("env", []):
                if SECRET_LIKE.search(env["name"]):
                    assert "secretKeyRef" in env.get("valueFrom", {}), env["name"]


@pytest.mark.parametrize("tree", sorted(TREES))
def test_a_migration_job_per_schema_and_the_topics_job(tree: str) -> None:
    jobs = of_kind(render(tree), "Job")
    for service in CONSUMERS:
        container = pod_spec(jobs[f"{service}-migrate"])["containers"][0]
        assert container["args"] == ["migrate"]
        assert container["image"].split("/")[-1].startswith(f"{service}:")
        env = {e["name"]: e for e in container["env"]}
        assert env[f"{service.upper()}_DB_SCHEMA"]["value"] == service
        assert "secretKeyRef" in env[f"{service.upper()}_DATABASE_URL"]["valueFrom"]
    assert "ensure_topics" in pod_spec(jobs["kafka-topics"])["containers"][0]["args"][0]


@pytest.mark.parametrize("tree", sorted(TREES))
def test_services_target_named_ports_of_their_pods(tree: str) -> None:
    objects = render(tree)
    deployments = of_kind(objects, "Deployment")
    for name, service in of_kind(objects, "Service").items():
        deployment = deployments[name]
        assert selector_matches(
            {"matchLabels": service["spec"]["selector"]}, deployment["spec"]["template"]["metadata"]["labels"]
        )
        ports = {p["name"] for c in pod_spec(deployment)["containers"] for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


@pytest.mark.parametrize("tree", sorted(TREES))
def test_the_sync_runs_in_a_router_deployment_of_its_own(tree: str) -> None:
    """Routing and the GHL sync are the same image in two Deployments (decision 0016): GHL calls
    never share the routing event loop, and each scales on its own lag."""
    deployments = of_kind(render(tree), "Deployment")
    (router,), (sync,) = (
        pod_spec(deployments["router"])["containers"],
        pod_spec(deployments["router-sync"])["containers"],
    )
    assert router["image"] == sync["image"] and router["args"] == sync["args"] == ["serve"]
    role = ("ROUTER_SYNC_ENABLED", "ROUTER_ROUTING_ENABLED")
    router_env = {e["name"]: e for e in router["env"]}
    sync_env = {e["name"]: e for e in sync["env"]}
    assert (
        router_env["ROUTER_SYNC_ENABLED"]["value"] == "false" and "ROUTER_ROUTING_ENABLED" not in router_env
    )
    assert sync_env["ROUTER_ROUTING_ENABLED"]["value"] == "false" and "ROUTER_SYNC_ENABLED" not in sync_env
    assert {k: v for k, v in router_env.items() if k not in role} == {
        k: v for k, v in sync_env.items() if k not in role
    }
    assert router["envFrom"] == sync["envFrom"]  # router-config: ROUTER_SYNC_ENABLED "true"

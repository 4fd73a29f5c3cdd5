"""Network exposure: only ingest is reachable from outside, and only through the ingress
controller's namespace; internal APIs only from `dashboard`."""

from __future__ import annotations

import pytest

from tests.unit.deploy.manifests import TREES, Obj, of_kind, render, selector_matches

INTERNAL_SOURCES = {"dashboard", "monitoring"}
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"


def _pods(objects: list[Obj]) -> dict[str, dict[str, str]]:
    return {
        o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"]
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    }


def _is_outside(peer: Obj) -> bool:
    """Traffic from the internet: an address block, or the ingress controller that forwards it."""
    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
    return "ipBlock" in peer or namespace == INGRESS_CONTROLLER_NAMESPACE


@pytest.mark.parametrize("tree", sorted(TREES))
def test_only_ingest_is_exposed(tree: str) -> None:
    objects = render(tree)
    for service in of_kind(objects, "Service").values():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    backends = {
        path["backend"]["service"]["name"]
        for ingress in of_kind(objects, "Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"ingest"}


@pytest.mark.parametrize("tree", sorted(TREES))
def test_network_policies_open_the_outside_only_to_ingest(tree: str) -> None:
    objects = render(tree)
    pods = _pods(objects)
    policies = of_kind(objects, "NetworkPolicy")
    default_deny = policies["default-deny"]["spec"]
    assert default_deny["podSelector"] == {} and set(default_deny["policyTypes"]) == {"Ingress", "Egress"}
    for name, policy in policies.items():
        selector = policy["spec"]["podSelector"]
        selected = {pod for pod, labels in pods.items() if selector_matches(selector, labels)}
        for rule in policy["spec"].get("ingress", []):
            peers = rule.get("from")
            assert peers, f"{name}: an ingress rule without `from` admits everyone"
            if any(_is_outside(p) for p in peers):
                assert selected == {"ingest"}, f"{name} opens {selected} to the outside"
                continue
            for peer in peers:
                if "namespaceSelector" in peer:
                    ns = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                    assert ns in INTERNAL_SOURCES, f"{name}: namespace {ns}"
                else:
                    assert "podSelector" in peer, name  # same namespace only


@pytest.mark.parametrize("tree", sorted(TREES))
def test_internal_apis_accept_the_dashboard_namespace(tree: str) -> None:
    policy = of_kind(render(tree), "NetworkPolicy")["internal-apis-from-dashboard"]["spec"]
    peers = policy["ingress"][0]["from"]
    assert peers == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dashboard"}}}]
    for service in ("router", "onboarding", "analytics"):
        assert selector_matches(policy["podSelector"], {"app.kubernetes.io/name": service})
    assert not selector_matches(policy["podSelector"], {"app.kubernetes.io/name": "ingest"})


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_workload_may_reach_what_it_needs(tree: str) -> None:
    objects = render(tree)
    needs = {
        "ingest": {"kafka", "redis"},
        "router": {"kafka", "redis", "postgres", "ghl"},
        "onboarding": {"kafka", "redis", "postgres", "ghl"},
        "analytics": {"kafka", "redis", "postgres", "router-api", "onboarding-api"},
        "kafka-topics": {"kafka"},
        "router-migrate": {"postgres"},
        "onboarding-migrate": {"postgres"},
        "analytics-migrate": {"postgres"},
    }
    infra = of_kind(objects, "ConfigMap")["leadflow-infra"]["data"]
    kafka_port = int(infra["KAFKA_BOOTSTRAP_SERVERS"].split(",")[0].rsplit(":", 1)[1])
    ports = {
        "kafka": kafka_port,
        "redis": 6379,
        "postgres": 5432,
        "ghl": 443,
        "router-api": 8002,
        "onboarding-api": 8003,
    }
    policies = of_kind(objects, "NetworkPolicy").values()
    for pod, labels in _pods(objects).items():
        allowed = {
            port["port"]
            for p in policies
            if selector_matches(p["spec"]["podSelector"], labels)
            for rule in p["spec"].get("egress", [])
            for port in rule.get("ports", [])
        }
        for dependency in needs.get(pod, set()):
            assert ports[dependency] in allowed, f"{pod} cannot reach {dependency}"
        assert 53 in allowed, f"{pod} cannot resolve names"


@pytest.mark.parametrize("tree", sorted(TREES))
def test_ingest_admits_only_the_ingress_controller_namespace(tree: str) -> None:
    """Not 0.0.0.0/0: webhooks come through the controller (TLS, rate limit answering 429)."""
    policy = of_kind(render(tree), "NetworkPolicy")["ingest-public"]["spec"]
    peers = [peer for rule in policy["ingress"] for peer in rule["from"]]
    assert peers == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_CONTROLLER_NAMESPACE}}}
    ]
    assert not any("ipBlock" in peer for peer in peers)


@pytest.mark.parametrize("tree", sorted(TREES))
def test_the_dashboard_views_reach_router_and_onboarding(tree: str) -> None:
    """Analytics asks the router (pool) and onboarding (progress) at the URLs it is given, and
    their policies admit it: same namespace, analytics pods only."""
    objects = render(tree)
    config = of_kind(objects, "ConfigMap")["analytics-config"]["data"]
    services = of_kind(objects, "Service")
    for name, variable in (("router", "ANALYTICS_ROUTER_URL"), ("onboarding", "ANALYTICS_ONBOARDING_URL")):
        port = next(p["port"] for p in services[name]["spec"]["ports"] if p["name"] == "http")
        assert config[variable] == f"http://{name}:{port}"
    policy = of_kind(objects, "NetworkPolicy")["internal-apis-from-analytics"]["spec"]
    assert policy["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "analytics"}}}
    ]
    for service in ("router", "onboarding"):
        assert selector_matches(policy["podSelector"], {"app.kubernetes.io/name": service})
    assert not selector_matches(policy["podSelector"], {"app.kubernetes.io/name": "ingest"})

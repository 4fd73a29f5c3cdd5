"""Required settings and secrets of every deploy file (deploy/tools/check_config.py): intake ids
set (never "accept all"), tokens and passwords only from Secrets, KEDA authenticated with the
services' Kafka credentials and address, the ingress rate limit answering 429."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from pydantic_settings import SettingsError

from deploy.tools.binaries import kustomize_build
from deploy.tools.check_config import (
    ACCEPT_ALL,
    INTAKE,
    KEDA_SASL,
    compose_problems,
    compose_value,
    k8s_problems,
)
from router.settings import RouterSettings
from tests.unit.deploy.manifests import DEPLOY, K8S, OVERLAYS, REPO, Obj, of_kind, pod_spec, render

PLACEHOLDER_PROBLEM = (
    "router/router: ROUTER_INTAKE_LOCATION_IDS is still the placeholder: set the intake sub-account ids"
)


def compose() -> Obj:
    document: Obj = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return document


def test_dev_overlay_passes_every_check() -> None:
    assert k8s_problems(render("dev")) == []


def test_prod_overlay_is_refused_until_the_intake_ids_are_set() -> None:
    assert k8s_problems(render("prod")) == [PLACEHOLDER_PROBLEM]


def test_the_placeholder_also_stops_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    """Applied anyway, the router exits on its settings instead of silently routing nothing."""
    value = of_kind(render("prod"), "ConfigMap")["router-config"]["data"][INTAKE]
    monkeypatch.setenv(INTAKE, value)
    with pytest.raises(SettingsError, match="intake_location_ids"):
        RouterSettings()


def _overlay_on_prod(tmp_path: Path, kustomization: str) -> list[Obj]:
    """An operator's overlay on top of prod (a copy of deploy/, so paths stay relative)."""
    shutil.copytree(DEPLOY / "k8s", tmp_path / "k8s")
    shutil.copytree(DEPLOY / "grafana", tmp_path / "grafana")
    site = tmp_path / "k8s" / "overlays" / "site"
    site.mkdir()
    (site / "kustomization.yaml").write_text(kustomization)
    return kustomize_build(site)


SITE = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../prod]
patches:
  - patch: |
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: router-config}
      data: {ROUTER_INTAKE_LOCATION_IDS: '["intakeA1", "intakeB2"]'}
  - patch: |
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: leadflow-infra}
      data: {KAFKA_BOOTSTRAP_SERVERS: "broker-0.example.net:9093,broker-1.example.net:9093"}
transformers: [../../transformers/kafka-address]
"""


def test_prod_with_the_ids_set_passes_and_the_broker_address_is_one_setting(tmp_path: Path) -> None:
    objects = _overlay_on_prod(tmp_path, SITE)
    assert k8s_problems(objects) == []
    triggers = [t for o in of_kind(objects, "ScaledObject").values() for t in o["spec"]["triggers"]]
    assert len(triggers) == 6  # router 3, onboarding 1, analytics 2
    assert {t["metadata"]["bootstrapServers"] for t in triggers} == {
        "broker-0.example.net:9093,broker-1.example.net:9093"
    }


@pytest.mark.parametrize("tree", OVERLAYS)
def test_every_overlay_sets_the_required_settings(tree: str) -> None:
    objects = render(tree)
    router_config = of_kind(objects, "ConfigMap")["router-config"]["data"]
    assert router_config[INTAKE].strip()
    assert ACCEPT_ALL not in router_config
    for service in ("router", "onboarding", "analytics", "ingest"):
        assert of_kind(objects, "ConfigMap")[f"{service}-config"]["data"]["LEADFLOW_ENV"] == "production"


def _secret_env(objects: list[Obj], workload: str) -> dict[str, str]:
    deployment = {**of_kind(objects, "Deployment"), **of_kind(objects, "Job")}[workload]
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
        for c in pod_spec(deployment)["containers"]
        for e in c.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


@pytest.mark.parametrize("tree", OVERLAYS)
def test_tokens_passwords_and_urls_come_from_secrets(tree: str) -> None:
    objects = render(tree)
    for service in ("router", "onboarding", "analytics"):
        env = _secret_env(objects, service)
        assert env[f"{service.upper()}_API_TOKEN"] == "leadflow-api-tokens"
        assert env["REDIS_URL"] == "leadflow-redis"
        assert env[f"{service.upper()}_DATABASE_URL"] == f"leadflow-{service}-db"
    assert _secret_env(objects, "router")["GHL_AGENCY_TOKEN"] == "leadflow-ghl"
    assert "REDIS_URL" not in of_kind(objects, "ConfigMap")["leadflow-infra"]["data"]


def test_prod_kafka_clients_and_keda_use_tls_and_sasl_from_one_secret() -> None:
    objects = render("prod")
    infra = of_kind(objects, "ConfigMap")["leadflow-infra"]["data"]
    assert infra["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    for workload in ("ingest", "router", "onboarding", "analytics", "kafka-topics"):
        env = _secret_env(objects, workload)
        assert env["KAFKA_SASL_USERNAME"] == env["KAFKA_SASL_PASSWORD"] == "leadflow-kafka"
    auth = of_kind(objects, "TriggerAuthentication")["kafka"]["spec"]
    assert {r["parameter"]: r["name"] for r in auth["secretTargetRef"]} == dict.fromkeys(
        ("username", "password", "ca"), "leadflow-kafka"
    )
    scaler = of_kind(objects, "ConfigMap")["leadflow-kafka-scaler"]["data"]
    assert scaler == {"tls": "enable", "sasl": KEDA_SASL[infra["KAFKA_SASL_MECHANISM"]]}
    for scaled in of_kind(objects, "ScaledObject").values():
        assert all(t["authenticationRef"]["name"] == "kafka" for t in scaled["spec"]["triggers"])


def _mutated(tree: str) -> list[Obj]:
    return copy.deepcopy(render(tree))


def test_the_checks_catch_each_mistake() -> None:
    objects = _mutated("dev")
    router = of_kind(objects, "Deployment")["router"]
    container = pod_spec(router)["containers"][0]
    container["env"].append({"name": ACCEPT_ALL, "value": "true"})
    container["env"].append({"name": "ROUTER_API_TOKEN", "value": "literal"})
    of_kind(objects, "ConfigMap")["analytics-config"]["data"]["ANALYTICS_API_TOKEN"] = "in-a-configmap"
    of_kind(objects, "ConfigMap")["router-config"]["data"][INTAKE] = "[]"
    trigger = of_kind(objects, "ScaledObject")["onboarding"]["spec"]["triggers"][0]
    trigger["metadata"]["bootstrapServers"] = "literal:9092"
    del of_kind(objects, "ScaledObject")["analytics"]["spec"]["triggers"][0]["authenticationRef"]
    found = "\n".join(k8s_problems(objects))
    assert f"{ACCEPT_ALL} is set" in found
    assert "router/router: ROUTER_API_TOKEN is not read from a Secret" in found
    assert "ConfigMap analytics-config: ANALYTICS_API_TOKEN is secret-ish" in found
    assert "must be a non-empty JSON list" in found
    assert "onboarding trigger commands-lag: bootstrapServers differs" in found
    assert "analytics trigger events-lag: no TriggerAuthentication" in found


def test_compose_routes_only_the_intake_sub_accounts_and_requires_a_token() -> None:
    document = compose()
    assert compose_problems(document) == []
    router = document["services"]["router"]["environment"]
    assert ACCEPT_ALL not in router
    assert compose_value(router[INTAKE], {}) == '["intakeCorporate000001"]'  # the simulator's
    assert compose_value(router[INTAKE], {INTAKE: '["real1"]'}) == '["real1"]'
    for service in ("router", "onboarding", "analytics"):
        raw = document["services"][service]["environment"][f"{service.upper()}_API_TOKEN"]
        assert compose_value(raw, {}) is None  # compose refuses to start without LEADFLOW_API_TOKEN
        assert compose_value(raw, {"LEADFLOW_API_TOKEN": "x" * 24}) == "x" * 24
    document["services"]["router"]["environment"][ACCEPT_ALL] = "true"
    document["services"]["analytics"]["environment"]["ANALYTICS_API_TOKEN"] = "local-dev-token"
    found = "\n".join(compose_problems(document))
    assert ACCEPT_ALL in found and "ANALYTICS_API_TOKEN is a literal" in found


def test_no_known_dev_token_is_shipped_in_a_deploy_file() -> None:
    from leadflow_common.api_tokens import KNOWN_DEV_TOKENS

    files = [REPO / "docker-compose.yml", *K8S.rglob("*.yaml")]
    for path in files:
        text = path.read_text().lower()
        for token in KNOWN_DEV_TOKENS - {"secret", "token", "password"}:  # words in comments/keys
            assert token not in text, f"{path.relative_to(REPO)} ships {token!r}"


def test_ingress_rate_limit_answers_429_not_503() -> None:
    """GHL retries a 429 and drops a 503: the controller setting ships with the overlay's limit."""
    controller = of_kind(kustomize_build(K8S / "ingress-nginx"), "ConfigMap")["ingress-nginx-controller"]
    assert controller["metadata"]["namespace"] == "ingress-nginx"
    assert controller["data"]["limit-req-status-code"] == "429"
    assert controller["data"]["limit-conn-status-code"] == "429"
    ingress = of_kind(render("prod"), "Ingress")["ingest"]["metadata"]["annotations"]
    assert int(ingress["nginx.ingress.kubernetes.io/limit-rps"]) > 0

"""Refuse a deployment that would run insecure or route nothing/everything (pure checks on the
rendered objects; offline).

    uv run python -m deploy.tools.check_config deploy/k8s/overlays/prod   # exit 1 + one line per problem
    uv run python -m deploy.tools.check_config docker-compose.yml

- ``ROUTER_INTAKE_LOCATION_IDS`` is set, a JSON list of non-empty ids, and no placeholder;
  ``ROUTER_ACCEPT_ALL_LOCATIONS`` is set nowhere (with real GHL it loops: the contacts the router
  copies into franchise sub-accounts come back as ContactCreate).
- Secret-ish variables (tokens, passwords, database and Redis URLs) come from Secrets
  (``secretKeyRef``), never from a literal or a ConfigMap; every API has its token.
- Every KEDA Kafka trigger authenticates through an existing TriggerAuthentication and uses the
  broker address of ``leadflow-infra``; with SASL/TLS the scaler gets the same mechanism,
  credentials and CA as the services, and every Kafka client pod gets the password and the CA.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from deploy.tools.binaries import kustomize_build

Obj = dict[str, Any]
INTAKE = "ROUTER_INTAKE_LOCATION_IDS"
ACCEPT_ALL = "ROUTER_ACCEPT_ALL_LOCATIONS"
API_SERVICES = ("router", "onboarding", "analytics")
PLACEHOLDER = re.compile(r"SET-ME|REPLACE|CHANGE-?ME|TODO", re.IGNORECASE)
_SECRETISH = re.compile(r"(TOKEN|PASSWORD|SECRET|DATABASE_URL)$|^REDIS_URL$")
# KEDA's names for the SASL mechanisms of leadflow_common.settings.KafkaSettings.
KEDA_SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}
_COMPOSE_VAR = re.compile(r"^\$\{(?P<name>\w+)(?P<op>:[-?])(?P<arg>.*)\}$", re.DOTALL)


def secretish(name: str) -> bool:
    return bool(_SECRETISH.search(name))


def intake_problem(value: str | None, where: str) -> str | None:
    if value is None or not value.strip():
        return f"{where}: {INTAKE} is required (JSON list of the intake sub-account ids)"
    if PLACEHOLDER.search(value):
        return f"{where}: {INTAKE} is still the placeholder: set the intake sub-account ids"
    try:
        ids = json.loads(value)
    except ValueError:
        return f'{where}: {INTAKE} is not JSON (expected a list like ["aBcD1234"])'
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.strip() for i in ids):
        return f"{where}: {INTAKE} must be a non-empty JSON list of ids"
    return None


def _containers(objects: list[Obj]) -> Iterator[tuple[str, Obj, Obj]]:
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job"):
            pod = obj["spec"]["template"]["spec"]
            for container in pod["containers"]:
                yield obj["metadata"]["name"], container, pod


def _config_maps(objects: list[Obj]) -> dict[str, dict[str, str]]:
    return {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}


def _environment(container: Obj, config_maps: dict[str, dict[str, str]]) -> dict[str, Obj]:
    """Variable → where its value comes from (envFrom first, env overrides, as Kubernetes does)."""
    found: dict[str, Obj] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            for key, value in config_maps.get(source["configMapRef"]["name"], {}).items():
                found[key] = {"configMap": source["configMapRef"]["name"], "value": value}
        if "secretRef" in source:
            found[f"<all of Secret {source['secretRef']['name']}>"] = {"secretRef": source["secretRef"]}
    for entry in container.get("env", []):
        found[entry["name"]] = entry
    return found


def k8s_problems(objects: list[Obj]) -> list[str]:
    problems: list[str] = []
    config_maps = _config_maps(objects)
    for name, data in config_maps.items():
        problems += [f"ConfigMap {name}: {key} is secret-ish: use a Secret" for key in data if secretish(key)]
    infra = config_maps.get("leadflow-infra", {})
    protocol = infra.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    for workload, container, pod in _containers(objects):
        env = _environment(container, config_maps)
        where = f"{workload}/{container['name']}"
        for variable, source in env.items():
            if secretish(variable) and "secretKeyRef" not in source.get("valueFrom", {}):
                problems.append(f"{where}: {variable} is not read from a Secret (secretKeyRef)")
            if variable == ACCEPT_ALL:
                problems.append(f"{where}: {ACCEPT_ALL} is set: route only the intake sub-accounts")
        if workload in API_SERVICES:
            if f"{workload.upper()}_API_TOKEN" not in env:
                problems.append(f"{where}: {workload.upper()}_API_TOKEN is missing")
            if env.get("LEADFLOW_ENV", {}).get("value") != "production":
                problems.append(f"{where}: LEADFLOW_ENV=production is missing (tokens would be optional)")
        if workload == "router":
            problems.append(intake_problem(env.get(INTAKE, {}).get("value"), where) or "")
        if protocol != "PLAINTEXT" and "leadflow.io/egress-kafka" in _pod_labels(objects, workload):
            problems += _kafka_client_problems(where, env, pod, protocol)
    problems += _keda_problems(objects, infra, config_maps)
    return [p for p in problems if p]


def _pod_labels(objects: list[Obj], workload: str) -> dict[str, str]:
    for obj in objects:
        if obj["kind"] in ("Deployment", "Job") and obj["metadata"]["name"] == workload:
            labels: dict[str, str] = obj["spec"]["template"]["metadata"].get("labels", {})
            return labels
    return {}


def _kafka_client_problems(where: str, env: dict[str, Obj], pod: Obj, protocol: str) -> list[str]:
    problems = []
    if protocol.startswith("SASL") and not {"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"} <= env.keys():
        problems.append(f"{where}: {protocol} without KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD")
    cafile = env.get("KAFKA_SSL_CAFILE", {}).get("value")
    if protocol.endswith("SSL") and cafile:
        mounts = [m["mountPath"] for c in pod["containers"] for m in c.get("volumeMounts", [])]
        if not any(cafile.startswith(m.rstrip("/") + "/") for m in mounts):
            problems.append(f"{where}: KAFKA_SSL_CAFILE {cafile} is not mounted")
    return problems


def _keda_problems(
    objects: list[Obj], infra: dict[str, str], config_maps: dict[str, dict[str, str]]
) -> list[str]:
    problems = []
    auths = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "TriggerAuthentication"}
    for scaled in (o for o in objects if o["kind"] == "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            where = f"ScaledObject {scaled['metadata']['name']} trigger {trigger.get('name')}"
            if trigger["type"] != "kafka":
                continue
            if trigger["metadata"].get("bootstrapServers") != infra.get("KAFKA_BOOTSTRAP_SERVERS"):
                problems.append(
                    f"{where}: bootstrapServers differs from leadflow-infra KAFKA_BOOTSTRAP_SERVERS"
                )
            ref = trigger.get("authenticationRef", {}).get("name")
            if ref not in auths:
                problems.append(f"{where}: no TriggerAuthentication (authenticationRef {ref!r})")
    protocol = infra.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    for name, spec in auths.items():
        params = {r["parameter"]: r for r in spec.get("secretTargetRef", [])}
        values = {
            r["parameter"]: config_maps.get(r["name"], {}).get(r["key"])
            for r in spec.get("configMapTargetRef", [])
        }
        if protocol.startswith("SASL"):
            mechanism = KEDA_SASL.get(infra.get("KAFKA_SASL_MECHANISM", ""))
            if values.get("sasl") != mechanism:
                problems.append(
                    f"TriggerAuthentication {name}: sasl {values.get('sasl')!r}, services use {mechanism!r}"
                )
            problems += [
                f"TriggerAuthentication {name}: {p} must come from a Secret"
                for p in ("username", "password")
                if p not in params
            ]
        if protocol.endswith("SSL"):
            if values.get("tls") != "enable":
                problems.append(f"TriggerAuthentication {name}: tls must be enable ({protocol})")
            if "ca" not in params and infra.get("KAFKA_SSL_CAFILE"):
                problems.append(f"TriggerAuthentication {name}: ca must come from a Secret")
    return problems


def compose_value(raw: object, env: dict[str, str]) -> str | None:
    """A compose value after interpolation; None when it would be empty or compose refuses it."""
    if raw is None:
        return None
    text = str(raw)
    match = _COMPOSE_VAR.match(text)
    if match is None:
        return text
    value = env.get(match["name"])
    if value:
        return value
    return match["arg"] if match["op"] == ":-" else None


def compose_problems(document: Obj, env: dict[str, str] | None = None) -> list[str]:
    env = env or {}
    problems: list[str] = []
    for name, service in document["services"].items():
        environment = service.get("environment", {})
        if ACCEPT_ALL in environment:
            problems.append(f"compose {name}: {ACCEPT_ALL} is set: route only the intake sub-accounts")
        for variable, raw in environment.items():
            if variable.endswith("_API_TOKEN") and not str(raw).startswith("${"):
                problems.append(f"compose {name}: {variable} is a literal: read it from the environment")
    router = document["services"]["router"]["environment"]
    if INTAKE not in router:
        problems.append(f"compose router: {INTAKE} is required")
    else:
        problems.append(intake_problem(compose_value(router[INTAKE], env), "compose router") or "")
    for service in API_SERVICES:
        raw = document["services"][service]["environment"].get(f"{service.upper()}_API_TOKEN")
        if raw is None:
            problems.append(f"compose {service}: {service.upper()}_API_TOKEN is missing")
        elif not str(raw).startswith("${") or ":?" not in str(raw):
            problems.append(f"compose {service}: {service.upper()}_API_TOKEN must be a required variable")
    return [p for p in problems if p]


def problems_of(target: Path) -> list[str]:
    if target.suffix in (".yml", ".yaml"):
        return compose_problems(yaml.safe_load(target.read_text()))
    return k8s_problems(kustomize_build(target))


def main(argv: list[str]) -> int:
    found = [p for target in argv for p in problems_of(Path(target))]
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""docker-compose.yml validates against the Compose specification and starts in a sane order."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import yaml

from tests.unit.deploy.manifests import REPO, SCHEMAS

PORTS = {"ingest": 8001, "router": 8002, "onboarding": 8003, "analytics": 8004, "ghl-simulator": 8010}
SCHEMA_OWNERS = ("router", "onboarding", "analytics")


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return document


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, "\n".join(errors)


def test_every_service_has_a_healthcheck_or_is_a_one_shot_job() -> None:
    services = compose()["services"]
    completed = {
        dep
        for svc in services.values()
        for dep, cond in svc.get("depends_on", {}).items()
        if cond["condition"] == "service_completed_successfully"
    }
    for name, svc in services.items():
        check = svc["healthcheck"]
        if check.get("disable"):
            assert name in completed and svc["restart"] == "no", f"{name}: only one-shot jobs skip health"
        else:
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_dependencies_wait_for_health_or_completion() -> None:
    services = compose()["services"]
    for name, svc in services.items():
        for dep, cond in svc.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if services[dep]["healthcheck"].get("disable"):
                assert cond["condition"] == "service_completed_successfully", (name, dep)
            elif name != "prometheus":
                assert cond["condition"] == "service_healthy", (name, dep)


def test_the_stack_is_complete() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft, no ZooKeeper
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert {"postgres", "redis", "kafka-topics"} <= services.keys()
    for owner in SCHEMA_OWNERS:
        job = services[f"{owner}-migrate"]
        assert job["command"] == ["migrate"]
        assert job["environment"][f"{owner.upper()}_DB_SCHEMA"] == owner
        waits_for = services[owner]["depends_on"][f"{owner}-migrate"]["condition"]
        assert waits_for == "service_completed_successfully"


def test_services_listen_on_their_conventional_ports_and_build_from_their_dockerfile() -> None:
    services = compose()["services"]
    for name, port in PORTS.items():
        svc = services[name]
        assert svc["ports"] == [f"{port}:{port}"]
        assert str(port) in " ".join(svc["healthcheck"]["test"])
        dockerfile = REPO / svc["build"]["dockerfile"]
        assert dockerfile.is_file(), dockerfile
        for image_user in services.values():
            if image_user.get("image") == svc["image"] and "build" not in image_user:
                assert image_user["pull_policy"] == "never"


def test_the_sync_runs_in_a_router_process_of_its_own() -> None:
    services = compose()["services"]
    router, sync = services["router"]["environment"], services["router-sync"]["environment"]
    assert router["ROUTER_SYNC_ENABLED"] == "false" and "ROUTER_ROUTING_ENABLED" not in router
    assert (sync["ROUTER_SYNC_ENABLED"], sync["ROUTER_ROUTING_ENABLED"]) == ("true", "false")
    assert {k: v for k, v in sync.items() if not k.startswith(("ROUTER_SYNC", "ROUTER_ROUTING"))} == {
        k: v for k, v in router.items() if not k.startswith(("ROUTER_SYNC", "ROUTER_ROUTING"))
    }
    assert services["router-sync"]["image"] == services["router"]["image"]
    assert services["router-sync"]["depends_on"] == services["router"]["depends_on"]


def test_prometheus_scrapes_every_service() -> None:
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert {f"{name}:{port}" for name, port in PORTS.items()} | {"router-sync:8002"} <= targets
    mount = compose()["services"]["prometheus"]["volumes"][0]
    assert mount.startswith("./deploy/prometheus:")

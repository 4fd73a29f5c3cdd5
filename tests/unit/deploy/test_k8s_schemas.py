"""Every rendered object validates offline with kubeconform (strict: unknown fields fail):
built-in kinds against the Kubernetes 1.32 JSON schemas, KEDA and Prometheus Operator custom
resources against their upstream CRDs, all vendored in deploy/schemas (deploy/tools/vendor_schemas.py)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import jsonschema
import pytest

from deploy.tools.binaries import kubeconform
from deploy.tools.vendor_schemas import CRDS, KUBERNETES, kind_filename
from tests.unit.deploy.manifests import K8S_VERSION, SCHEMAS, TREES, Obj, render

# kubeconform compiles Go on its first run on a machine (cached afterwards).
pytestmark = pytest.mark.timeout(900)


def validate(objects: list[Obj]) -> list[dict[str, Any]]:
    """kubeconform's verdict per object; never downloads (every location is a local path)."""
    command = [
        kubeconform(),
        "-strict",
        "-output",
        "json",
        "-verbose",
        "-kubernetes-version",
        K8S_VERSION,
        "-schema-location",
        f"{KUBERNETES.parent}/{{{{.NormalizedKubernetesVersion}}}}-standalone{{{{.StrictSuffix}}}}/"
        "{{.ResourceKind}}{{.KindSuffix}}.json",
        "-schema-location",
        f"{CRDS}/{{{{.Group}}}}/{{{{.ResourceKind}}}}_{{{{.ResourceAPIVersion}}}}.json",
        "-",
    ]
    stream = "\n".join(json.dumps(o) + "\n---" for o in objects)
    result = subprocess.run(command, input=stream, capture_output=True, text=True, check=False)
    report: list[dict[str, Any]] = json.loads(result.stdout)["resources"]
    return report


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_object_validates(tree: str) -> None:
    objects = render(tree)
    report = validate(objects)
    assert len(report) == len(objects)  # nothing skipped for want of a schema
    bad = [
        f"{r['kind']}/{r['name']}: {r['status']}: {r['msg']}" for r in report if r["status"] != "statusValid"
    ]
    assert not bad, "\n".join(bad)


def test_only_the_schemas_in_use_are_vendored() -> None:
    """One Kubernetes version, only the kinds the manifests use (regenerate with vendor_schemas)."""
    used = {(o["apiVersion"], o["kind"]) for tree in TREES for o in render(tree)}
    custom = {o for o in used if o[0].split("/")[0] in {p.name for p in CRDS.iterdir()}}
    vendored = {p.name for p in KUBERNETES.iterdir()}
    assert vendored == {kind_filename(a, k) for a, k in used - custom}
    crds = {p.relative_to(CRDS).as_posix() for p in CRDS.rglob("*.json")}
    assert crds == {f"{a.split('/')[0]}/{k.lower()}_{a.split('/')[1]}.json" for a, k in custom}


def test_kubeconform_catches_mistakes() -> None:
    objects = render("base")
    deployment = next(o for o in objects if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/x"
    scaled = next(o for o in objects if o["kind"] == "ScaledObject")
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 100  # must be a string
    monitor = next(o for o in objects if o["kind"] == "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    rule = next(o for o in objects if o["kind"] == "PrometheusRule")
    rule["spec"]["groups"][0]["rules"][0]["for"] = 10  # a duration string
    found = {r["kind"]: r["msg"] for r in validate([deployment, scaled, monitor, rule])}
    assert "paht" in found["Deployment"]
    assert "lagThreshold" in found["ScaledObject"]
    assert "intervall" in found["ServiceMonitor"]
    assert "/for" in found["PrometheusRule"]


@cache
def kafka_metadata_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / "keda-kafka-trigger-metadata.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("tree", sorted(TREES))
def test_kafka_triggers_use_only_the_kafka_scalers_keys(tree: str) -> None:
    """The CRD types trigger metadata as map[string]string; KEDA ignores keys it does not know."""
    problems = []
    for scaled in (o for o in render(tree) if o["kind"] == "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            if trigger["type"] == "kafka":
                errors = kafka_metadata_validator().iter_errors(trigger["metadata"])
                problems += [f"{scaled['metadata']['name']}: {e.message}" for e in errors]
    assert not problems, "\n".join(problems)


def test_the_metadata_check_catches_a_typo() -> None:
    scaled = next(o for o in render("base") if o["kind"] == "ScaledObject")
    metadata = scaled["spec"]["triggers"][0]["metadata"] | {"lagTreshold": "5"}
    assert any("lagTreshold" in e.message for e in kafka_metadata_validator().iter_errors(metadata))

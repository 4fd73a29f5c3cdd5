"""Every rendered object validates offline: built-in kinds against the Kubernetes JSON schemas
(kubernetes-validate, strict: unknown fields fail), custom resources against deploy/schemas/."""

from __future__ import annotations

import json
from functools import cache

import jsonschema
import kubernetes_validate
import pytest

from tests.unit.deploy.manifests import K8S_VERSION, SCHEMAS, TREES, render

CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_v1alpha1_scaledobject.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_v1_servicemonitor.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_v1_prometheusrule.json",
}


@cache
def crd_validator(filename: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / filename).read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_object_validates(tree: str) -> None:
    failures = []
    for obj in render(tree):
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        crd = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
        if crd:
            failures += [f"{name}: {e.json_path}: {e.message}" for e in crd_validator(crd).iter_errors(obj)]
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{name}: {error.path}: {error.message}")
    assert not failures, "\n".join(failures)


def test_crd_schemas_catch_mistakes() -> None:
    scaled = next(o for o in render("base") if o["kind"] == "ScaledObject")
    validator = crd_validator(CRD_SCHEMAS[("keda.sh/v1alpha1", "ScaledObject")])
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 100  # must be a string
    scaled["spec"]["maxReplicas"] = 3  # HPA's name, not KEDA's
    messages = [e.message for e in validator.iter_errors(scaled)]
    assert any("100 is not of type 'string'" in m for m in messages)
    assert any("maxReplicas" in m for m in messages)


def test_kubernetes_schemas_catch_mistakes() -> None:
    deployment = next(o for o in render("base") if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)

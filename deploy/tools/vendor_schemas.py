"""Regenerate deploy/schemas/ for kubeconform: only the kinds the manifests use, one k8s version.

    uv run python -m deploy.tools.vendor_schemas

- Built-in kinds: from the Kubernetes JSON schemas that the ``kubernetes-validate`` wheel ships
  (``v<version>-local-strict``, generated from Kubernetes' OpenAPI by openapi2jsonschema, the
  same source as yannh/kubernetes-json-schema). Each kind becomes a standalone file holding only
  the definitions it reaches, in kubeconform's layout ``kubernetes/v<version>-standalone-strict/
  <kind>-<group>-<version>.json``.
- Custom resources: the CRDs' ``openAPIV3Schema`` from the upstream Go modules (KEDA,
  Prometheus Operator) fetched with ``go mod download`` from the Go module proxy, converted as
  kubeconform's openapi2jsonschema does in strict mode (objects with properties reject unknown
  fields; int-or-string becomes a union), in ``crds/<group>/<kind>_<version>.json``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from deploy.tools.binaries import K8S_VERSION, REPO, kustomize_build

SCHEMAS = REPO / "deploy" / "schemas"
KUBERNETES = SCHEMAS / "kubernetes" / f"v{K8S_VERSION}-standalone-strict"
CRDS = SCHEMAS / "crds"
TREES = ("base", "overlays/dev", "overlays/prod", "ingress-nginx")
# Go module → the CRD files leadflow's manifests use (module versions = the operators' releases).
CRD_SOURCES = {
    "github.com/kedacore/keda/v2@v2.17.2": [
        "config/crd/bases/keda.sh_scaledobjects.yaml",
        "config/crd/bases/keda.sh_triggerauthentications.yaml",
    ],
    "github.com/prometheus-operator/prometheus-operator@v0.85.0": [
        "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
        "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
    ],
}

Schema = dict[str, Any]


def used_kinds() -> set[tuple[str, str]]:
    return {
        (obj["apiVersion"], obj["kind"])
        for tree in TREES
        for obj in kustomize_build(REPO / "deploy" / "k8s" / tree)
    }


def kind_filename(api_version: str, kind: str) -> str:
    """kubeconform's ``{{.ResourceKind}}{{.KindSuffix}}``: deployment-apps-v1, service-v1."""
    group, _, version = api_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix}.json"


def standalone(kind_file: str, source: Path) -> Schema:
    definitions: Schema = json.loads((source / "_definitions.json").read_text())["$defs"]
    root: Schema = json.loads((source / kind_file).read_text())
    needed: dict[str, Any] = {}

    def relink(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: relink(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str) and "#/$defs/" in ref:  # "/api/_definitions.json#/$defs/X" or "#/$defs/X"
                name = ref.rsplit("/", 1)[-1]
                out["$ref"] = f"#/$defs/{name}"
                if name not in needed:
                    needed[name] = None
                    needed[name] = relink(definitions[name])
            return out
        if isinstance(node, list):
            return [relink(v) for v in node]
        return node

    schema: Schema = relink(root)
    schema["$defs"] = dict(sorted(needed.items()))
    return schema


def strict(node: Any) -> Any:
    """openapi2jsonschema's strict conversion of a CRD's openAPIV3Schema."""
    if isinstance(node, list):
        return [strict(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: strict(v) for k, v in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    open_object = out.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in out and "additionalProperties" not in out and not open_object:
        out["additionalProperties"] = False
    return out


def crd_schemas() -> dict[Path, Schema]:
    found: dict[Path, Schema] = {}
    for module, files in CRD_SOURCES.items():
        info = subprocess.run(
            ["go", "mod", "download", "-json", module], check=True, capture_output=True, text=True
        ).stdout
        directory = Path(json.loads(info)["Dir"])
        for relative in files:
            crd = yaml.safe_load((directory / relative).read_text())
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = strict(version["schema"]["openAPIV3Schema"])
                schema["$schema"] = "http://json-schema.org/draft-07/schema#"
                schema["description"] = f"{kind} ({group}/{version['name']}) from {module} {relative}"
                found[CRDS / group / f"{kind.lower()}_{version['name']}.json"] = schema
    return found


def main() -> None:
    source = (
        Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{K8S_VERSION}-local-strict"
    )
    files: dict[Path, Schema] = {}
    crd_groups = {p.parent.name for p in crd_schemas()}
    for api_version, kind in sorted(used_kinds()):
        if api_version.split("/")[0] in crd_groups:
            continue
        files[KUBERNETES / kind_filename(api_version, kind)] = standalone(
            kind_filename(api_version, kind), source
        )
    files.update(crd_schemas())
    for path, schema in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()

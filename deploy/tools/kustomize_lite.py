"""A small offline renderer of the kustomize features deploy/k8s uses, for tests without the binary.

Supported (and nothing else, loudly): ``resources`` (files and directories holding a
kustomization), ``namespace``, ``labels`` (``pairs`` on metadata.labels, plus pod templates when
``includeTemplates``; selectors are never touched), ``images`` (``newName``/``newTag``/``digest``)
and ``patches`` given as ``path`` to a strategic-merge patch. Strategic merge follows Kubernetes'
merge keys for built-in kinds; for custom resources (KEDA, Prometheus Operator) lists are replaced
whole, as kustomize does for kinds it has no schema for.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
BUILTIN_GROUPS = {"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}
# Strategic-merge keys of the list fields our manifests patch (k8s.io/api patchMergeKey tags).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not implement, or is inconsistent."""


def build(directory: str | Path) -> list[Obj]:
    """Render the kustomization in ``directory`` like ``kustomize build`` would."""
    root = Path(directory)
    kfile = root / "kustomization.yaml"
    spec = yaml.safe_load(kfile.read_text())
    unknown = set(spec) - SUPPORTED_KEYS
    if unknown:
        raise KustomizeError(f"{kfile}: unsupported fields {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        path = root / entry
        objects.extend(build(path) if path.is_dir() else load_documents(path))
    _check_unique(objects, kfile)
    for patch in spec.get("patches", []):
        _apply_patch(objects, root, patch)
    for label_set in spec.get("labels", []):
        _apply_labels(objects, label_set)
    for image in spec.get("images", []):
        _apply_image(objects, image)
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = spec["namespace"]
    return objects


def load_documents(path: Path) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def object_id(obj: Obj) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def _check_unique(objects: list[Obj], where: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for obj in objects:
        oid = object_id(obj)
        if oid in seen:
            raise KustomizeError(f"{where}: {oid} defined twice")
        seen.add(oid)


def _apply_patch(objects: list[Obj], root: Path, patch: Obj) -> None:
    if set(patch) != {"path"}:
        raise KustomizeError(f"only `patches: - path:` is supported, got {patch}")
    for doc in load_documents(root / patch["path"]):
        target = next((o for o in objects if object_id(o) == object_id(doc)), None)
        if target is None:
            raise KustomizeError(f"patch {patch['path']}: no target {object_id(doc)}")
        builtin = target["apiVersion"] in BUILTIN_GROUPS
        merged = strategic_merge(target, doc, builtin)
        target.clear()
        target.update(merged)


def strategic_merge(base: Any, patch: Any, builtin: bool, field: str = "") -> Any:
    """Merge ``patch`` into ``base``: maps recursively, keyed lists by merge key, other lists replace."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value, builtin, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and builtin and field in MERGE_KEYS:
        key = MERGE_KEYS[field]
        out_list = copy.deepcopy(base)
        for item in patch:
            match = next((i for i, b in enumerate(out_list) if b.get(key) == item.get(key)), None)
            if match is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[match] = strategic_merge(out_list[match], item, builtin)
        return out_list
    return copy.deepcopy(patch)


def _apply_labels(objects: list[Obj], label_set: Obj) -> None:
    if label_set.get("includeSelectors"):
        raise KustomizeError("labels.includeSelectors is not supported (selectors are immutable)")
    pairs = label_set["pairs"]
    for obj in objects:
        obj.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
        template = obj.get("spec", {}).get("template")
        if label_set.get("includeTemplates") and isinstance(template, dict):
            template.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)


def _apply_image(objects: list[Obj], image: Obj) -> None:
    for container in _containers(objects):
        ref = container.get("image", "")
        name, tag = _split_image(ref)
        if name != image["name"]:
            continue
        new_name = image.get("newName", name)
        if "digest" in image:
            container["image"] = f"{new_name}@{image['digest']}"
        else:
            new_tag = image.get("newTag", tag)
            container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name


def _split_image(ref: str) -> tuple[str, str | None]:
    if "@" in ref:
        return ref.split("@", 1)[0], None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
        return name, tag
    return ref, None


def _containers(objects: list[Obj]) -> list[Obj]:
    found: list[Obj] = []
    for obj in objects:
        pod = obj.get("spec", {}).get("template", {}).get("spec", {})
        found.extend(pod.get("containers", []))
        found.extend(pod.get("initContainers", []))
    return found

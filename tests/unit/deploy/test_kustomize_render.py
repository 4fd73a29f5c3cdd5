"""Every kustomize tree renders with the real kustomize (`kubectl kustomize`, kubectl is a dev
dependency) into unique objects, and the overlays change what they should."""

from __future__ import annotations

import pytest

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

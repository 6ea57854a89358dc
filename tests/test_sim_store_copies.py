"""The store hands out copies (fast ones) and keeps its own objects: what a caller changes in what it
read, created or was sent never reaches the store or the watch log. Also: a write that changes nothing
but the resourceVersion is no change, and kinds follow the CRDs that come and go (as the real API
server's discovery does: k8s.io/apiextensions-apiserver pkg/controller/establish)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from liqo_tutor.sim.store import Cluster, ClusterSpec, Obj, World, clone


def _cluster() -> Cluster:
    world = World(seed="copies")
    return world.add_cluster(ClusterSpec(name="london"))


def _config_map(data: dict[str, Any]) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default", "labels": {"app": "a"}},
        "data": data,
    }


def test_reads_and_writes_return_copies_the_store_does_not_share() -> None:
    cluster = _cluster()
    sent = _config_map({"k": "v"})
    created = cluster.create(sent)
    sent["data"]["k"] = "changed by the caller after create"
    created["metadata"]["labels"]["app"] = "changed"
    got = cluster.get("configmaps", "default", "cm")
    assert got is not None
    assert got["data"] == {"k": "v"} and got["metadata"]["labels"] == {"app": "a"}
    got["data"]["k"] = "x"
    listed = cluster.list("configmaps", "default", labels={"app": "a"})
    assert [o["data"] for o in listed] == [{"k": "v"}]
    listed[0]["metadata"]["labels"].clear()
    assert cluster.list("configmaps", "default", labels={"app": "a"}), "a listed copy was the stored object"
    updated = cluster.update({**_config_map({"k": "w"}), "metadata": {"name": "cm", "namespace": "default"}})
    updated["data"]["k"] = "not stored"
    assert (cluster.get("configmaps", "default", "cm") or {})["data"] == {"k": "w"}
    events = cluster.events_since(1)
    assert [e.type for e in events if e.key == "configmaps"] == ["ADDED", "MODIFIED"]
    assert [e.obj["data"] for e in events if e.key == "configmaps"] == [{"k": "v"}, {"k": "w"}]


def test_an_update_that_changes_nothing_but_the_resource_version_is_no_change() -> None:
    cluster = _cluster()
    first = cluster.create(_config_map({"k": "v"}))
    rv, log = cluster.rv, len(cluster.events_since(1))
    same = cluster.get("configmaps", "default", "cm")
    assert same is not None
    same["metadata"].pop("resourceVersion")
    assert cluster.update(same)["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert (cluster.rv, len(cluster.events_since(1))) == (rv, log)
    same["data"] = {"k": "other"}
    assert cluster.update(same)["metadata"]["resourceVersion"] != first["metadata"]["resourceVersion"]
    assert len(cluster.events_since(1)) == log + 1


class _Opaque:
    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Opaque) and other.value == self.value


def test_clone_is_deep_and_takes_what_marshal_does_not() -> None:
    data: dict[str, Any] = {"a": [{"b": 1}, (2, 3)], "c": None, "d": 1.5, "e": True}
    copied = clone(data)
    assert copied == data and copied is not data
    copied["a"][0]["b"] = 9
    assert data["a"][0]["b"] == 1
    odd: dict[str, Any] = {"o": [_Opaque(1)], "m": OrderedDict(x=1)}
    odd_copy = clone(odd)
    assert odd_copy == odd and odd_copy["o"][0] is not odd["o"][0]
    assert type(odd_copy["m"]) is OrderedDict


def _crd(plural: str) -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.example.io"},
        "spec": {
            "group": "example.io",
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": plural[:-1], "kind": plural[:-1].title(),
                      "listKind": f"{plural[:-1].title()}List"},
            "versions": [{"name": "v1", "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": {"type": "object"}}}],
        },
    }


def test_kinds_follow_the_crds_that_come_and_go() -> None:
    cluster = _cluster()
    assert cluster.kind_for("widgets") is None  # asked before: the answer must not stick
    cluster.create(_crd("widgets"))
    found = cluster.kind_for("widgets")
    assert found is not None and found.key == "widgets.example.io"
    assert cluster.kind_for("widget") is found and cluster.kind_for("Widget") is found
    cluster.delete("customresourcedefinitions.apiextensions.k8s.io", None, "widgets.example.io")
    assert cluster.kind_for("widgets") is None
    assert cluster.kind_for("pods") is not None

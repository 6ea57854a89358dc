"""--explain's descriptions of what changed, and the readable rendering of JSON outputs."""

from __future__ import annotations

import json
from typing import Any

from liqo_tutor import explain, jsonview


def _list(*items: dict[str, Any]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)})


def _node(name: str, **labels: str) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "labels": labels}}


def _ns(name: str) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"name": name}}


def _svc(ns: str, name: str, ip: str) -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": {"clusterIP": ip}}


def _pod(ns: str, name: str, node: str) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": {"nodeName": node}}


BASE = [_node("a-control-plane"), _ns("default"), _ns("kube-system"), _svc("default", "kubernetes", "10.0.0.1")]


def test_virtual_node_service_and_pods_are_described() -> None:
    before = {"a": explain.Snapshot.parse(_list(*BASE)), "b": explain.Snapshot.parse(_list(*BASE))}
    after = {
        "a": explain.Snapshot.parse(
            _list(*BASE, _node("b", **{"liqo.io/type": "virtual-node"}), _ns("demo"),
                  _svc("demo", "web", "10.0.3.4"), _pod("demo", "web-1", "a-control-plane"))
        ),
        "b": explain.Snapshot.parse(_list(*BASE, _ns("demo"), _svc("demo", "web", "10.9.8.7"))),
    }
    out = explain.describe(before, after)
    assert "node b appeared (virtual node)" in out["a"]
    assert "service demo/web appeared with ClusterIP 10.0.3.4" in out["a"]
    assert "1 pod appeared in demo (web-1) on a-control-plane" in out["a"]
    assert "no pod runs in demo" not in out["a"]
    assert out["b"] == ["namespace demo appeared", "service demo/web appeared with ClusterIP 10.9.8.7",
                        "no pod runs in demo"]


def test_appearing_and_vanishing_clusters_and_quiet_steps() -> None:
    absent = explain.Snapshot.absent()
    up = explain.Snapshot.parse(_list(*BASE, _node("a-worker")))
    assert explain.describe({"a": absent}, {"a": up})["a"][0] == "the cluster appeared with 2 nodes"
    assert explain.describe({"a": up}, {"a": up}) == {"a": ["nothing changed"]}
    assert explain.describe({"a": up}, {"a": absent}) == {"a": ["the cluster is gone (or does not answer)"]}
    assert explain.describe({"a": absent}, {"a": absent}) == {}
    gone = explain.Snapshot.parse(_list(*BASE[:-1]))
    assert explain.describe({"a": up}, {"a": gone})["a"] == [
        "node a-worker disappeared", "service default/kubernetes disappeared"]
    assert not explain.Snapshot.parse("not json").reachable


def test_snapshot_argv_names_the_cluster() -> None:
    argv = explain.snapshot_argv("/k/london", "ctx")
    assert argv[:3] == ["kubectl", "get", explain.KINDS]
    assert argv[-4:] == ["--kubeconfig", "/k/london", "--context", "ctx"]


def test_long_json_lists_are_cut_with_a_count() -> None:
    data = [{"id": i, "origin": "EWR", "dest": "IAH", "nested": {"k": list(range(30))}} for i in range(7)]
    text = jsonview.readable(json.dumps(data))
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "// a list of 7 items"
    assert "… 5 more items" in text
    assert '"id": 0' in text and '"id": 1' in text and '"id": 2' not in text
    assert "… 28 more items" in text  # the nested list of 30, cut to 2
    assert max(len(line) for line in lines) < 80


def test_small_and_non_json_outputs() -> None:
    assert jsonview.readable("[]") == "[]"
    assert jsonview.readable('{"a": 1, "b": "x"}') == '{"a": 1, "b": "x"}'
    assert jsonview.readable("NAME  ROLE\nnewyork Provider") is None
    assert jsonview.readable("[not json") is None
    long = jsonview.readable(json.dumps({"s": "x" * 200}))
    assert long is not None and "…" in long and len(long) < 100


def test_a_long_list_of_flat_objects_stays_a_few_lines() -> None:
    flights = [{f"k{j}": j * 1000 + i for j in range(20)} for i in range(30)]
    text = jsonview.readable(json.dumps(flights))
    assert text is not None
    lines = text.splitlines()
    assert len(lines) <= 6, text  # header, [, two items on one line each, "… 28 more items", ]
    assert lines[2].lstrip().startswith('{"k0": 0, ') and lines[2].rstrip(",").endswith("more}")
    assert "… 28 more items" in text

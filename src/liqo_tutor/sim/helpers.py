"""Small helpers shared by the simulated controllers (built-in and Liqo): conditions, selectors, events."""

from __future__ import annotations

import time
from typing import Any

from liqo_tutor.sim.store import Cluster, Obj, now_iso

__all__ = [
    "VIRTUAL_NODE_LABEL",
    "VIRTUAL_NODE_VALUE",
    "cond",
    "find_cond",
    "is_virtual_node",
    "labels_match",
    "live",
    "micro_time",
    "node_ready",
    "node_selector_terms_match",
    "owned_by",
    "owner_ref",
    "pod_ready",
    "record_event",
    "selector_matches",
    "set_status",
]

VIRTUAL_NODE_LABEL = "liqo.io/type"
VIRTUAL_NODE_VALUE = "virtual-node"


def live(cluster: Cluster, key: str, namespace: str | None = None) -> list[Obj]:
    """The stored objects of kind `key` ("pods", "replicasets.apps"), by namespace and name, WITHOUT
    the copy Cluster.list makes: read them, never change them (write through the Cluster API)."""
    return [
        obj
        for (ns, _name), obj in sorted(cluster.objects.get(key, {}).items())
        if namespace is None or ns == namespace
    ]


def find_cond(conditions: list[Obj] | None, ctype: str) -> Obj:
    """The condition of type `ctype` in a list, or {}."""
    for c in conditions or []:
        if c.get("type") == ctype:
            return c
    return {}


def cond(
    ctype: str, status: str, reason: str = "", message: str = "", t: str = "", probe: bool = True
) -> Obj:
    """A pod-style condition (lastProbeTime null, lastTransitionTime, optional reason/message)."""
    c: Obj = {"type": ctype, "status": status}
    if probe:
        c["lastProbeTime"] = None
    c["lastTransitionTime"] = t
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def set_status(cluster: Cluster, key: str, obj: Obj, status: dict[str, Any]) -> bool:
    """Write `status` unless it is already the object's status; True when written."""
    if obj.get("status") == status:
        return False
    meta = obj["metadata"]
    cluster.update_status(key, meta.get("namespace"), meta["name"], status)
    return True


def pod_ready(pod: Obj) -> bool:
    """The pod's Ready condition is True."""
    return find_cond((pod.get("status") or {}).get("conditions"), "Ready").get("status") == "True"


def node_ready(node: Obj) -> bool:
    """The node's Ready condition is True."""
    return find_cond((node.get("status") or {}).get("conditions"), "Ready").get("status") == "True"


def is_virtual_node(node: Obj | None) -> bool:
    """A Liqo virtual node (label liqo.io/type=virtual-node): its pods run in another cluster."""
    if not node:
        return False
    return (node.get("metadata", {}).get("labels") or {}).get(VIRTUAL_NODE_LABEL) == VIRTUAL_NODE_VALUE


def labels_match(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    """A map selector (Service spec.selector, nodeSelector): every pair present; empty matches nothing."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _requirement(key: str, op: str, values: list[str], labels: dict[str, str]) -> bool:
    have = labels.get(key)
    if op == "In":
        return have is not None and have in values
    if op == "NotIn":
        return have is None or have not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and have is not None and len(values) == 1:
        try:
            left, right = int(have), int(values[0])
        except ValueError:
            return False
        return left > right if op == "Gt" else left < right
    return False


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """A metav1.LabelSelector: None matches nothing, {} matches everything (LabelSelectorAsSelector)."""
    if selector is None:
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        if not _requirement(
            str(expr.get("key")), str(expr.get("operator")), expr.get("values") or [], labels
        ):
            return False
    return True


def node_selector_terms_match(node: Obj, terms: list[Obj] | None) -> bool:
    """A v1.NodeSelector's terms: OR of terms, AND inside a term; matchFields knows metadata.name.

    No terms selects every node; a term without requirements selects none (component-helpers
    scheduling/corev1/nodeaffinity).
    """
    if not terms:
        return True
    labels = node.get("metadata", {}).get("labels") or {}
    fields = {"metadata.name": node.get("metadata", {}).get("name", "")}
    for term in terms:
        exprs = term.get("matchExpressions") or []
        flds = term.get("matchFields") or []
        if not exprs and not flds:
            continue
        if all(
            _requirement(str(e.get("key")), str(e.get("operator")), e.get("values") or [], labels)
            for e in exprs
        ) and all(
            _requirement(str(f.get("key")), str(f.get("operator")), f.get("values") or [], fields)
            for f in flds
        ):
            return True
    return False


def owner_ref(obj: Obj, controller: bool = True) -> Obj:
    """An ownerReference to `obj` (blockOwnerDeletion, controller)."""
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def owned_by(obj: Obj, owner: Obj) -> bool:
    return any(r.get("uid") == owner["metadata"]["uid"] for r in obj["metadata"].get("ownerReferences") or [])


def micro_time(t: float | None = None) -> str:
    """metav1.MicroTime as the API server writes it: 2024-01-02T03:04:05.123456Z."""
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e6):06d}Z"


def _involved(obj: Obj, field_path: str) -> Obj:
    meta = obj["metadata"]
    involved: Obj = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if not involved["namespace"]:
        del involved["namespace"]
    if field_path:
        involved["fieldPath"] = field_path
    return involved


def record_event(
    cluster: Cluster,
    obj: Obj,
    etype: str,
    reason: str,
    message: str,
    *,
    component: str,
    host: str = "",
    field_path: str = "",
    new_api: bool = False,
    action: str = "",
) -> Obj:
    """Create a core/v1 Event about `obj`, named `<name>.<hex nanoseconds>` like client-go's recorder.

    `new_api` writes it as an events.k8s.io/v1 recorder does (eventTime, reportingController, no
    source/first/lastTimestamp), the way kube-scheduler's events read through core/v1.
    """
    meta = obj["metadata"]
    now = time.time()
    involved = _involved(obj, field_path)
    event: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{int(now * 1e9):x}",
            "namespace": meta.get("namespace") or "default",
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": etype,
        "count": 1,
    }
    if new_api:
        event.update(
            {
                "source": {},
                "firstTimestamp": None,
                "lastTimestamp": None,
                "eventTime": micro_time(now),
                "action": action,
                "reportingComponent": component,
                "reportingInstance": f"{component}-{host}" if host else component,
            }
        )
    else:
        event.update(
            {
                "source": {"component": component, **({"host": host} if host else {})},
                "firstTimestamp": now_iso(now),
                "lastTimestamp": now_iso(now),
                "eventTime": None,
                "reportingComponent": component,
                "reportingInstance": host,
            }
        )
    stamp = int(now * 1e9)
    while cluster.get("events", event["metadata"]["namespace"], event["metadata"]["name"]) is not None:
        stamp += 1  # two events about one object within the clock's resolution
        event["metadata"]["name"] = f"{meta['name']}.{stamp:x}"
    return cluster.create(event)

"""The DaemonSet controller (pkg/controller/daemon): one pod per node that the pod fits, bound by the
default scheduler through a required node affinity on the node's name."""

from __future__ import annotations

import copy

from liqo_tutor.sim.helpers import (
    live,
    node_selector_terms_match,
    owned_by,
    owner_ref,
    pod_ready,
    record_event,
    set_status,
)
from liqo_tutor.sim.scheduler import effective_taints, tolerates
from liqo_tutor.sim.store import Cluster, Obj, World
from liqo_tutor.sim.workloads import pod_template_hash

__all__ = ["DaemonSetController", "daemon_pod_tolerations", "should_run"]

# pkg/controller/daemon/util/daemonset_util.go AddOrUpdateDaemonPodTolerations, in its order.
_DEFAULT_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)


def daemon_pod_tolerations(spec: Obj) -> list[Obj]:
    """The template's tolerations plus the ones every daemon pod gets."""
    tolerations = list(spec.get("tolerations") or [])
    wanted = list(_DEFAULT_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        tolerations = [t for t in tolerations if not (t.get("key") == key and t.get("effect") == effect)]
        tolerations.append({"key": key, "operator": "Exists", "effect": effect})
    return tolerations


def should_run(ds: Obj, node: Obj) -> bool:
    """NodeShouldRunDaemonPod: node selector and required affinity match, every NoSchedule/NoExecute
    taint tolerated."""
    spec = (ds.get("spec") or {}).get("template", {}).get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is not None and not node_selector_terms_match(node, required.get("nodeSelectorTerms") or []):
        return False
    tolerations = daemon_pod_tolerations(spec)
    return all(
        tolerates(tolerations, t)
        for t in effective_taints(node)
        if t.get("effect") in ("NoSchedule", "NoExecute")
    )


def _node_affinity(spec: Obj, node_name: str) -> None:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: a required matchFields metadata.name term."""
    affinity = spec.setdefault("affinity", {})
    node_aff = affinity.setdefault("nodeAffinity", {})
    node_aff["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
        ]
    }


class DaemonSetController:
    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            nodes = live(cluster, "nodes")
            for ds in live(cluster, "daemonsets.apps"):
                if not ds["metadata"].get("deletionTimestamp"):
                    changed |= self._one(world, cluster, ds, nodes)
        return changed

    def _one(self, world: World, cluster: Cluster, ds: Obj, nodes: list[Obj]) -> bool:
        ns = ds["metadata"]["namespace"]
        changed = False
        pods = [
            p
            for p in live(cluster, "pods", ns)
            if owned_by(p, ds) and not p["metadata"].get("deletionTimestamp")
        ]
        by_node: dict[str, list[Obj]] = {}
        for p in pods:
            by_node.setdefault(_target_node(p), []).append(p)
        wanted = {n["metadata"]["name"] for n in nodes if should_run(ds, n)}
        for node_name in sorted(wanted):
            mine = [p for p in by_node.get(node_name, []) if (p.get("status") or {}).get("phase") != "Failed"]
            for p in by_node.get(node_name, []):
                if p not in mine or mine.index(p) > 0:
                    _delete(cluster, ds, p)
                    changed = True
            if not mine:
                created = cluster.create(self._pod(world, ds, node_name))
                _event(cluster, ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
                changed = True
        for node_name, stray in by_node.items():
            if node_name not in wanted:
                for p in stray:
                    _delete(cluster, ds, p)
                    changed = True
        return self._status(cluster, ds, wanted) or changed

    def _pod(self, world: World, ds: Obj, node_name: str) -> Obj:
        tmpl = copy.deepcopy(ds["spec"].get("template", {}))
        meta = tmpl.get("metadata") or {}
        meta.pop("creationTimestamp", None)
        labels = dict(meta.get("labels") or {})
        labels["controller-revision-hash"] = pod_template_hash(ds["spec"].get("template", {}), 10)
        labels["pod-template-generation"] = str(ds["metadata"].get("generation", 1))
        spec = tmpl.get("spec", {})
        spec["tolerations"] = daemon_pod_tolerations(spec)
        _node_affinity(spec, node_name)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **meta,
                "labels": labels,
                "name": f"{ds['metadata']['name']}-{world.random_suffix(5)}",
                "namespace": ds["metadata"]["namespace"],
                "ownerReferences": [owner_ref(ds)],
            },
            "spec": spec,
        }

    def _status(self, cluster: Cluster, ds: Obj, wanted: set[str]) -> bool:
        pods = [p for p in live(cluster, "pods", ds["metadata"]["namespace"]) if owned_by(p, ds)]
        on = {_target_node(p) for p in pods}
        ready = {_target_node(p) for p in pods if pod_ready(p)}
        status: Obj = {
            "currentNumberScheduled": len(on & wanted),
            "desiredNumberScheduled": len(wanted),
            "numberMisscheduled": len(on - wanted),
            "numberReady": len(ready & wanted),
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": len(on & wanted),
            "numberAvailable": len(ready & wanted),
        }
        if len(wanted) - len(ready & wanted):
            status["numberUnavailable"] = len(wanted) - len(ready & wanted)
        if not status["numberAvailable"]:
            del status["numberAvailable"]
        return set_status(cluster, "daemonsets.apps", ds, status)


def _event(cluster: Cluster, ds: Obj, reason: str, message: str) -> None:
    record_event(cluster, ds, "Normal", reason, message, component="daemonset-controller")


def _delete(cluster: Cluster, ds: Obj, pod: Obj) -> None:
    cluster.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
    _event(cluster, ds, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")


def _target_node(pod: Obj) -> str:
    """The node a daemon pod is for: its nodeName, else its metadata.name affinity term."""
    if pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"])
    required = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for f in term.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("values"):
                return str(f["values"][0])
    return ""

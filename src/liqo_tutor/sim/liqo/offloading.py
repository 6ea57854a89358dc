"""The NamespaceOffloading controller of both lines: cluster selection, remote namespaces, status.

Follows pkg/liqo-controller-manager/offloading/namespaceoffloading-controller/ at v1.2.0
(pkg/liqo-controller-manager/namespaceoffloading-controller/ at v0.10.3, the same logic):
- every peered cluster with a virtual node has a NamespaceMap; the cluster selector is matched against
  the virtual node's labels (an empty selector matches every cluster) - clusterselector.go;
- per cluster, `remoteNamespacesConditions[<NamespaceMap>]` holds OffloadingRequired (True/ClusterSelected
  or False/ClusterNotSelected) and, for a selected cluster or one whose namespace still exists, Ready
  (NamespaceCreated, Creating, CreationLoopBackOff, Terminating) with the messages of status.go;
- offloadingPhase: Terminating while deleted, NoClusterSelected, Ready, AllFailed, SomeFailed, InProgress;
- the namespace gets `liqo.io/scheduling-enabled=true` for Remote and LocalAndRemote, loses it for
  Local and on deletion (labels.go, lifecycle.go); the finalizer goes once no remote namespace is left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.helpers import node_selector_terms_match
from liqo_tutor.sim.store import World

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.controllers import LiqoController
    from liqo_tutor.sim.liqo.objects import Info

__all__ = ["matches", "offloading", "peers"]

Obj = dict[str, Any]

NSO = "namespaceoffloadings.offloading.liqo.io"
NSO_FINALIZER = "namespaceoffloading.liqo.io/finalizer"
REMOTE_ID = "liqo.io/remote-cluster-id"
SCHEDULING_LABEL = "liqo.io/scheduling-enabled"

_REQUIRED = {
    True: (
        "True",
        "ClusterSelected",
        "The remote cluster has been selected through the ClusterSelector field",
    ),
    False: (
        "False",
        "ClusterNotSelected",
        "The remote cluster has not been selected through the ClusterSelector field",
    ),
}
_READY = {
    "Accepted": ("True", "NamespaceCreated", "Namespace correctly offloaded to the remote cluster"),
    "CreationLoopBackOff": (
        "False",
        "CreationLoopBackOff",
        "Some problems occurred during remote namespace creation",
    ),
    "Terminating": ("False", "Terminating", "The remote namespace is being deleted"),
    "Creating": ("False", "Creating", "The remote namespace is being created"),
}


def matches(labels: dict[str, str], terms: list[Obj] | None) -> bool:
    """k8s MatchNodeSelectorTerms against a (fake) node with these labels; no terms match everything."""
    return node_selector_terms_match({"metadata": {"labels": labels}}, terms)


def peers(ctl: LiqoController, infos: dict[str, Info], o: Info) -> list[tuple[Info, dict[str, str]]]:
    """(remote, labels of its virtual node) for every cluster `o` has a virtual node of."""
    out: list[tuple[Info, dict[str, str]]] = []
    for node in o.cluster.list("nodes", labels={"liqo.io/type": "virtual-node"}):
        labels = node["metadata"].get("labels") or {}
        r = ctl.by_id(infos, labels.get(REMOTE_ID, ""), o.line)
        if r is not None and r is not o and all(r is not p for p, _ in out):
            out.append((r, labels))
    return out


def _conditions(prev: list[Obj] | None, required: bool, phase: str) -> list[Obj]:
    from liqo_tutor.sim.liqo.objects import _merge_conditions

    status, reason, message = _REQUIRED[required]
    new = [{"type": "OffloadingRequired", "status": status, "reason": reason, "message": message}]
    if required or phase:
        status, reason, message = _READY[phase or "Creating"]
        new.append({"type": "Ready", "status": status, "reason": reason, "message": message})
    return _merge_conditions(prev, new)


def _phase(deleting: bool, required: int, ready: int, failed: int) -> str:
    if deleting:
        return "Terminating"
    if required == 0:
        return "NoClusterSelected"
    if ready == required:
        return "Ready"
    if failed == required:
        return "AllFailed"
    return "SomeFailed" if failed else "InProgress"


def _one(
    ctl: LiqoController, world: World, infos: dict[str, Info], o: Info, nso: Obj, now: float
) -> tuple[bool, list[tuple[str, str]]]:
    """Reconcile one NamespaceOffloading; returns (changed, [(remote cluster, remote ns) wanted])."""
    meta = nso["metadata"]
    ns, spec = meta["namespace"], nso.get("spec") or {}
    deleting = bool(meta.get("deletionTimestamp"))
    remote_name = ctl._remote_ns_name(o, ns, spec)
    terms = (spec.get("clusterSelector") or {}).get("nodeSelectorTerms")
    old = nso.get("status") or {}
    old_conds = old.get("remoteNamespacesConditions") or {}
    conditions: dict[str, list[Obj]] = {}
    wanted: list[tuple[str, str]] = []
    required = ready = failed = 0
    for r, labels in peers(ctl, infos, o):
        selected = not deleting and matches(labels, terms)
        key = ctl._map_key(o, r)
        phase = ""
        if selected:
            required += 1
            wanted.append((r.name, remote_name))
            ok, reason, _message = ctl._ensure_remote_ns(world, o, r, ns, remote_name, now)
            phase = "Accepted" if ok else reason
            ready += phase == "Accepted"
            failed += phase == "CreationLoopBackOff"
        elif _ours(r, remote_name, o):
            phase = "Terminating"
        if deleting and not phase:
            continue  # offloading towards this cluster correctly terminated: its conditions go
        conditions[key] = _conditions(old_conds.get(key), selected, phase)
    status: Obj = {
        "offloadingPhase": _phase(deleting, required, ready, failed),
        "remoteNamespaceName": remote_name,
        "observedGeneration": meta.get("generation", 1),
    }
    if conditions:
        status["remoteNamespacesConditions"] = conditions
    changed = False
    if status != old:
        o.cluster.update_status(NSO, ns, meta["name"], status)
        if status["offloadingPhase"] != old.get("offloadingPhase"):
            world.record(o.name, f"namespace {ns} offloading {status['offloadingPhase']}")
        changed = True
    strategy = spec.get("podOffloadingStrategy") or "LocalAndRemote"
    changed |= _scheduling_label(o, ns, not deleting and strategy != "Local")
    return changed, wanted


def _ours(r: Info, remote_name: str, o: Info) -> bool:
    ns_obj = r.cluster.get("namespaces", None, remote_name)
    return ns_obj is not None and (ns_obj["metadata"].get("labels") or {}).get(REMOTE_ID) == o.cluster_id


def _scheduling_label(o: Info, ns: str, want: bool) -> bool:
    ns_obj = o.cluster.get("namespaces", None, ns)
    if ns_obj is None or ns_obj["metadata"].get("deletionTimestamp"):
        return False
    labels = ns_obj["metadata"].get("labels") or {}
    if want == (labels.get(SCHEDULING_LABEL) == "true"):
        return False
    if want:
        labels[SCHEDULING_LABEL] = "true"
    else:
        labels.pop(SCHEDULING_LABEL, None)
    ns_obj["metadata"]["labels"] = labels
    ns_obj["metadata"].pop("resourceVersion", None)
    o.cluster.update(ns_obj)
    return True


def _finalizers(
    ctl: LiqoController, world: World, infos: dict[str, Info], o: Info, nso: Obj, now: float
) -> bool:
    """Add the finalizer; on deletion remove it once no remote namespace of this offloading is left."""
    meta = nso["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    tkey = f"nso/{meta['namespace']}/"
    if not meta.get("deletionTimestamp"):
        if NSO_FINALIZER in finalizers:
            return False
        meta["finalizers"] = [*finalizers, NSO_FINALIZER]
    else:
        remote_name = ctl._remote_ns_name(o, meta["namespace"], nso.get("spec") or {})
        if any(_ours(r, remote_name, o) for r in infos.values() if r is not o):
            return False
        if NSO_FINALIZER not in finalizers or not ctl._after(
            world, o.cluster, tkey + "gone", "unoffload", now
        ):
            return False
        meta["finalizers"] = [f for f in finalizers if f != NSO_FINALIZER]
        ctl._clear(o.cluster, tkey)
    meta.pop("resourceVersion", None)
    o.cluster.update(nso)
    return True


def offloading(ctl: LiqoController, world: World, infos: dict[str, Info], now: float) -> bool:
    """Every NamespaceOffloading of every cluster, then the remote namespaces nobody wants any more."""
    from liqo_tutor.sim.liqo.objects import _list

    changed = False
    wanted_remote: dict[str, set[tuple[str, str]]] = {}  # remote cluster -> {(remote ns, origin id)}
    for o in infos.values():
        for nso in _list(o.cluster, NSO):
            changed |= _finalizers(ctl, world, infos, o, nso, now)
            current = o.cluster.get(NSO, nso["metadata"]["namespace"], nso["metadata"]["name"])
            if current is None:
                continue
            one_changed, wanted = _one(ctl, world, infos, o, current, now)
            changed |= one_changed
            for rname, rns in wanted:
                wanted_remote.setdefault(rname, set()).add((rns, o.cluster_id))
    changed |= ctl._collect_remote_namespaces(world, wanted_remote, now)
    return changed

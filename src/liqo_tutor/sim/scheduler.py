"""kube-scheduler in miniature: the default filter plugins, a spreading score, binding, FailedScheduling.

Filters run per node in the default profile's order and the first that rejects a node gives its
reason (pkg/scheduler/apis/config/v1/default_plugins.go): NodeUnschedulable, TaintToleration,
NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity. The message of a pod
that fits nowhere is FitError.Error() of pkg/scheduler/framework/types.go, followed by the
DefaultPreemption post-filter message (pkg/scheduler/framework/preemption/preemption.go).
Pods bound to a virtual node (label liqo.io/type=virtual-node) are not run by the local kubelet
(sim/kubelet.py): the Liqo virtual kubelet owns them.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from liqo_tutor.sim import volumes
from liqo_tutor.sim.helpers import (
    cond,
    find_cond,
    node_ready,
    node_selector_terms_match,
    record_event,
    selector_matches,
    set_status,
)
from liqo_tutor.sim.quantity import quantity
from liqo_tutor.sim.store import Cluster, Obj, World, now_iso

__all__ = ["Scheduler", "fit_error_message", "tolerates"]

SCHEDULER = "default-scheduler"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
UNSCHEDULABLE = "Unschedulable"

# pkg/scheduler/framework/plugins/*: the reasons each filter plugin gives.
ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_SPREAD_LABEL = ERR_SPREAD + " (missing required label)"
ERR_POD_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_POD_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_PORTS = "node(s) didn't have free ports for the requested pod ports"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"

def tolerates(tolerations: list[Obj] | None, taint: Obj) -> bool:
    """v1.Toleration.ToleratesTaint: effect, key (empty = any), Exists or Equal value."""
    for tol in tolerations or []:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("key") and tol.get("key") != taint.get("key"):
            continue
        op = tol.get("operator") or "Equal"
        if op == "Exists" or (op == "Equal" and (tol.get("value") or "") == (taint.get("value") or "")):
            return True
    return False


def effective_taints(node: Obj) -> list[Obj]:
    """The node's taints plus the one the node lifecycle controller keeps on a NotReady node."""
    taints = list((node.get("spec") or {}).get("taints") or [])
    if not node_ready(node) and not any(t.get("key") == "node.kubernetes.io/not-ready" for t in taints):
        taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
    return taints


def _requests(pod: Obj) -> dict[str, float]:
    spec = pod.get("spec") or {}
    total: dict[str, float] = {}
    for c in spec.get("containers") or []:
        for k, v in ((c.get("resources") or {}).get("requests") or {}).items():
            total[k] = total.get(k, 0.0) + quantity(v)
    for c in spec.get("initContainers") or []:
        for k, v in ((c.get("resources") or {}).get("requests") or {}).items():
            total[k] = max(total.get(k, 0.0), quantity(v))
    return total


def _host_ports(pod: Obj) -> set[tuple[int, str]]:
    return {
        (int(p["hostPort"]), p.get("protocol", "TCP"))
        for c in (pod.get("spec") or {}).get("containers") or []
        for p in c.get("ports") or []
        if p.get("hostPort")
    }


@dataclass
class Snapshot:
    """Nodes and the pods assigned to them, kept current while a round binds pods."""

    cluster: Cluster
    nodes: list[Obj]
    by_node: dict[str, list[Obj]] = field(default_factory=dict)
    ns_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def take(cls, cluster: Cluster) -> Snapshot:
        snap = cls(cluster, cluster.list("nodes"))
        for pod in cluster.objects.get("pods", {}).values():
            node = (pod.get("spec") or {}).get("nodeName")
            if node and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                snap.by_node.setdefault(node, []).append(pod)
        for ns in cluster.objects.get("namespaces", {}).values():
            snap.ns_labels[ns["metadata"]["name"]] = ns["metadata"].get("labels") or {}
        return snap

    def node_labels(self, name: str) -> dict[str, str]:
        node = next((n for n in self.nodes if n["metadata"]["name"] == name), None)
        return (node or {}).get("metadata", {}).get("labels") or {}

    def assigned(self) -> list[tuple[Obj, dict[str, str]]]:
        """Every assigned pod with its node's labels."""
        out: list[tuple[Obj, dict[str, str]]] = []
        for node in self.nodes:
            labels = node["metadata"].get("labels") or {}
            out.extend((p, labels) for p in self.by_node.get(node["metadata"]["name"], []))
        return out


# --- filters --------------------------------------------------------------------------------------


def _node_affinity_ok(pod: Obj, node: Obj) -> bool:
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is None:
        return True
    return node_selector_terms_match(node, required.get("nodeSelectorTerms") or [])


def _resources_reason(pod: Obj, node: Obj, snap: Snapshot) -> str:
    pods = snap.by_node.get(node["metadata"]["name"], [])
    alloc = (node.get("status") or {}).get("allocatable") or {}
    if "pods" in alloc and len(pods) + 1 > quantity(alloc["pods"]):
        return "Too many pods"
    want = _requests(pod)
    used: dict[str, float] = {}
    for p in pods:
        for res, amount in _requests(p).items():
            used[res] = used.get(res, 0.0) + amount
    for res in sorted(want):
        if want[res] and res in alloc and used.get(res, 0.0) + want[res] > quantity(alloc[res]) + 1e-9:
            return f"Insufficient {res}"
    return ""


def filter_node(pod: Obj, node: Obj, snap: Snapshot) -> tuple[str, str] | None:
    """(reason, code) of the first default filter plugin that rejects `node`, or None when it fits."""
    spec = pod.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    unsched = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    if (node.get("spec") or {}).get("unschedulable") and not tolerates(tolerations, unsched):
        return ERR_UNSCHEDULABLE, UNRESOLVABLE
    for taint in effective_taints(node):
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, taint):
            return (
                f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}",
                UNRESOLVABLE,
            )
    if not _node_affinity_ok(pod, node):
        return ERR_AFFINITY, UNRESOLVABLE
    wanted_ports = _host_ports(pod)
    if wanted_ports and any(
        wanted_ports & _host_ports(p) for p in snap.by_node.get(node["metadata"]["name"], [])
    ):
        return ERR_PORTS, UNSCHEDULABLE
    reason = _resources_reason(pod, node, snap)
    if reason:
        return reason, UNSCHEDULABLE
    volume_reason = volumes.filter_node(snap.cluster, pod, node)  # VolumeBinding (sim/volumes.py)
    if volume_reason:
        return volume_reason, UNRESOLVABLE
    spread = _spread_filter(pod, node, snap)
    if spread:
        return spread
    return _inter_pod_filter(pod, node, snap)


def spread_selector(pod: Obj, constraint: Obj) -> dict[str, Any] | None:
    selector: dict[str, Any] | None = copy.deepcopy(constraint.get("labelSelector"))
    keys = constraint.get("matchLabelKeys") or []
    if selector is None or not keys:
        return selector
    labels = pod["metadata"].get("labels") or {}
    for key in keys:
        if key in labels:
            selector.setdefault("matchExpressions", []).append(
                {"key": key, "operator": "In", "values": [labels[key]]}
            )
    return selector


def spread_counts(pod: Obj, constraint: Obj, snap: Snapshot, hard_keys: list[str]) -> dict[str, int]:
    """Matching pods per domain of `constraint`, over the nodes the pod's node affinity allows
    that carry every key in `hard_keys` (podtopologyspread/filtering.go calPreFilterState)."""
    selector = spread_selector(pod, constraint)
    key = constraint.get("topologyKey", "")
    ns = pod["metadata"].get("namespace")
    counts: dict[str, int] = {}
    for node in snap.nodes:
        labels = node["metadata"].get("labels") or {}
        if not all(k in labels for k in hard_keys) or key not in labels:
            continue
        if constraint.get("nodeAffinityPolicy", "Honor") == "Honor" and not _node_affinity_ok(pod, node):
            continue
        if constraint.get("nodeTaintsPolicy", "Ignore") == "Honor" and any(
            t.get("effect") in ("NoSchedule", "NoExecute")
            and not tolerates((pod.get("spec") or {}).get("tolerations"), t)
            for t in effective_taints(node)
        ):
            continue
        n = sum(
            1
            for p in snap.by_node.get(node["metadata"]["name"], [])
            if p["metadata"].get("namespace") == ns
            and not p["metadata"].get("deletionTimestamp")
            and selector_matches(selector, p["metadata"].get("labels"))
        )
        counts[labels[key]] = counts.get(labels[key], 0) + n
    return counts


def _spread_filter(pod: Obj, node: Obj, snap: Snapshot) -> tuple[str, str] | None:
    hard = [
        c
        for c in (pod.get("spec") or {}).get("topologySpreadConstraints") or []
        if c.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
    ]
    if not hard:
        return None
    labels = node["metadata"].get("labels") or {}
    keys = [c.get("topologyKey", "") for c in hard]
    for c in hard:
        key = c.get("topologyKey", "")
        if key not in labels:
            return ERR_SPREAD_LABEL, UNRESOLVABLE
        counts = spread_counts(pod, c, snap, keys)
        min_match = min(counts.values()) if counts else 0
        if c.get("minDomains") and len(counts) < int(c["minDomains"]):
            min_match = 0
        self_match = 1 if selector_matches(spread_selector(pod, c), pod["metadata"].get("labels")) else 0
        if counts.get(labels[key], 0) + self_match - min_match > int(c.get("maxSkew", 1)):
            return ERR_SPREAD, UNSCHEDULABLE
    return None


def _term_namespaces(term: Obj, owner: Obj, snap: Snapshot) -> set[str] | None:
    """The namespaces a pod (anti-)affinity term looks at; None = all of them."""
    names = set(term.get("namespaces") or [])
    ns_sel = term.get("namespaceSelector")
    if ns_sel is not None:
        if not ns_sel.get("matchLabels") and not ns_sel.get("matchExpressions"):
            return None
        names |= {n for n, labels in snap.ns_labels.items() if selector_matches(ns_sel, labels)}
    return names or {owner["metadata"].get("namespace", "")}


def term_matches(term: Obj, owner: Obj, other: Obj, snap: Snapshot) -> bool:
    """`other` is selected by the (anti-)affinity `term` of pod `owner`."""
    namespaces = _term_namespaces(term, owner, snap)
    if namespaces is not None and other["metadata"].get("namespace") not in namespaces:
        return False
    return selector_matches(term.get("labelSelector"), other["metadata"].get("labels"))


def _required(pod: Obj, kind: str) -> list[Obj]:
    aff = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return list(aff.get("requiredDuringSchedulingIgnoredDuringExecution") or [])


def _inter_pod_filter(pod: Obj, node: Obj, snap: Snapshot) -> tuple[str, str] | None:
    labels = node["metadata"].get("labels") or {}
    assigned = snap.assigned()
    for term in _required(pod, "podAffinity"):
        key = term.get("topologyKey", "")
        matching = [(p, nl) for p, nl in assigned if term_matches(term, pod, p, snap)]
        if not matching and term_matches(term, pod, pod, snap):
            continue  # the first pod of a group that wants to be together
        if key not in labels or not any(nl.get(key) == labels[key] for _, nl in matching):
            return ERR_POD_AFFINITY, UNRESOLVABLE
    for term in _required(pod, "podAntiAffinity"):
        key = term.get("topologyKey", "")
        if key in labels and any(
            nl.get(key) == labels[key] and term_matches(term, pod, p, snap) for p, nl in assigned
        ):
            return ERR_POD_ANTI_AFFINITY, UNSCHEDULABLE
    for other, nl in assigned:
        for term in _required(other, "podAntiAffinity"):
            key = term.get("topologyKey", "")
            if key in labels and nl.get(key) == labels[key] and term_matches(term, other, pod, snap):
                return ERR_EXISTING_ANTI_AFFINITY, UNSCHEDULABLE
    return None


# --- message ------------------------------------------------------------------------------------


def _histogram(reasons: list[str]) -> str:
    return ", ".join(sorted(f"{n} {r}" for r, n in Counter(reasons).items()))


def fit_error_message(pod: Obj, statuses: dict[str, tuple[str, str]], snap: Snapshot) -> str:
    """FitError.Error() plus the DefaultPreemption post-filter message."""
    total = len(statuses)
    msg = f"0/{total} nodes are available: {_histogram([r for r, _ in statuses.values()])}."
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return msg + " preemption: not eligible due to preemptionPolicy=Never."
    prio = int((pod.get("spec") or {}).get("priority") or 0)
    post = []
    for name, (_reason, code) in statuses.items():
        if code == UNRESOLVABLE:
            post.append(NOT_HELPFUL)
        elif not any(
            int((p.get("spec") or {}).get("priority") or 0) < prio for p in snap.by_node.get(name, [])
        ):
            post.append(NO_VICTIMS)
        else:
            post.append(NO_VICTIMS)  # victims exist but the playground never preempts
    return msg + f" preemption: 0/{total} nodes are available: {_histogram(post)}.."


# --- scheduling and binding ----------------------------------------------------------------------


class Scheduler:
    """Binds pending pods of `schedulerName: default-scheduler` to the best node that fits."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            pending = [
                p
                for p in cluster.objects.get("pods", {}).values()
                if not (p.get("spec") or {}).get("nodeName")
                and not p["metadata"].get("deletionTimestamp")
                and (p.get("spec") or {}).get("schedulerName", SCHEDULER) == SCHEDULER
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            ]
            if not pending:
                continue
            snap = Snapshot.take(cluster)
            pending.sort(
                key=lambda p: (
                    -int(p["spec"].get("priority") or 0),
                    p["metadata"].get("creationTimestamp", ""),
                )
            )
            for pod in [copy.deepcopy(p) for p in pending]:
                changed |= self.schedule_one(cluster, pod, snap, now)
        return changed

    def schedule_one(self, cluster: Cluster, pod: Obj, snap: Snapshot, now: float) -> bool:
        if (pod.get("spec") or {}).get("schedulingGates"):
            return _unschedulable(
                cluster,
                pod,
                "SchedulingGated",
                "Scheduling is blocked due to non-empty scheduling gates",
                now,
                event=False,
            )
        if not snap.nodes:
            return _unschedulable(cluster, pod, "Unschedulable", "no nodes available to schedule pods", now)
        unbindable = volumes.prefilter(cluster, pod)  # VolumeBinding PreFilter (sim/volumes.py)
        if unbindable:
            n = len(snap.nodes)
            return _unschedulable(
                cluster,
                pod,
                "Unschedulable",
                f"0/{n} nodes are available: {unbindable}. preemption: 0/{n} "
                f"nodes are available: {n} {NOT_HELPFUL}..",
                now,
            )
        statuses: dict[str, tuple[str, str]] = {}
        feasible = []
        for node in snap.nodes:
            verdict = filter_node(pod, node, snap)
            if verdict is None:
                feasible.append(node)
            else:
                statuses[node["metadata"]["name"]] = verdict
        if not feasible:
            return _unschedulable(cluster, pod, "Unschedulable", fit_error_message(pod, statuses, snap), now)
        from liqo_tutor.sim.scoring import best_node  # scoring builds on this module's filters

        chosen = best_node(pod, feasible, snap)
        if not volumes.prebind(cluster, pod, chosen["metadata"]["name"]):  # claims bound first (PreBind)
            return False
        _bind(cluster, pod, chosen, snap, now)
        return True


def _control_plane(cluster: Cluster) -> str:
    for node in cluster.objects.get("nodes", {}).values():
        if "node-role.kubernetes.io/control-plane" in (node["metadata"].get("labels") or {}):
            return str(node["metadata"]["name"])
    return ""


def _unschedulable(
    cluster: Cluster, pod: Obj, reason: str, message: str, now: float, event: bool = True
) -> bool:
    status = copy.deepcopy(pod.get("status") or {})
    old = find_cond(status.get("conditions"), "PodScheduled")
    if old.get("status") == "False" and old.get("reason") == reason and old.get("message") == message:
        return False
    t = (
        old["lastTransitionTime"]
        if old.get("status") == "False" and old.get("lastTransitionTime")
        else now_iso(now)
    )
    status["phase"] = "Pending"
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    status["conditions"].append(cond("PodScheduled", "False", reason, message, t))
    set_status(cluster, "pods", pod, status)
    if event:
        record_event(
            cluster,
            pod,
            "Warning",
            "FailedScheduling",
            message,
            component=SCHEDULER,
            host=_control_plane(cluster),
            new_api=True,
            action="Scheduling",
        )
    return True


def _bind(cluster: Cluster, pod: Obj, node: Obj, snap: Snapshot, now: float) -> None:
    """The binding subresource: spec.nodeName, then PodScheduled=True (registry/core/pod/storage)."""
    name = node["metadata"]["name"]
    current = cluster.get("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
    if current is None:
        return
    current["spec"]["nodeName"] = name
    current["metadata"].pop("resourceVersion", None)
    bound = cluster.update(current)
    status = copy.deepcopy(bound.get("status") or {})
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    status["conditions"].append(cond("PodScheduled", "True", t=now_iso(now)))
    set_status(cluster, "pods", bound, status)
    snap.by_node.setdefault(name, []).append(bound)
    ns, pname = pod["metadata"]["namespace"], pod["metadata"]["name"]
    record_event(
        cluster,
        bound,
        "Normal",
        "Scheduled",
        f"Successfully assigned {ns}/{pname} to {name}",
        component=SCHEDULER,
        host=_control_plane(cluster),
        new_api=True,
        action="Binding",
    )

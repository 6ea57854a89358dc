"""kube-scheduler's default scoring: each plugin's raw score, its normalization to 0..100, and the
default profile's weights (pkg/scheduler/apis/config/v1/default_plugins.go): TaintToleration 3,
NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit (LeastAllocated) 1,
NodeResourcesBalancedAllocation 1. Ties go to the node with fewer pods, then by name (the real
scheduler picks one of the best at random). ImageLocality is left out.

Sources: plugins/noderesources/least_allocated.go, balanced_allocation.go, resource_allocation.go
(non-zero requests: 100m CPU, 200Mi memory for a container without requests, pkg/scheduler/util),
plugins/podtopologyspread/scoring.go (system default constraints, scoreForCount, NormalizeScore),
plugins/interpodaffinity/scoring.go, plugins/nodeaffinity, plugins/tainttoleration,
plugins/helper/normalize_score.go.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from liqo_tutor.sim.helpers import labels_match, node_selector_terms_match, selector_matches
from liqo_tutor.sim.quantity import quantity
from liqo_tutor.sim.scheduler import Snapshot, spread_selector, term_matches, tolerates
from liqo_tutor.sim.store import Obj

__all__ = ["best_node", "scores"]

MAX = 100.0
_DEFAULT_CPU = 0.1
_DEFAULT_MEMORY = 200.0 * 1024 * 1024
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


def _nonzero(pod: Obj) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in (pod.get("spec") or {}).get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += quantity(req["cpu"]) if "cpu" in req else _DEFAULT_CPU
        mem += quantity(req["memory"]) if "memory" in req else _DEFAULT_MEMORY
    return cpu, mem


def _fractions(pod: Obj, node: Obj, snap: Snapshot) -> tuple[float, float]:
    """Requested / allocatable for CPU and memory, the incoming pod included."""
    alloc = (node.get("status") or {}).get("allocatable") or {}
    cpu, mem = _nonzero(pod)
    for p in snap.by_node.get(node["metadata"]["name"], []):
        c, m = _nonzero(p)
        cpu, mem = cpu + c, mem + m
    cap_cpu, cap_mem = quantity(alloc.get("cpu", 0)), quantity(alloc.get("memory", 0))
    return (cpu / cap_cpu if cap_cpu else 1.0), (mem / cap_mem if cap_mem else 1.0)


def _least_allocated(pod: Obj, node: Obj, snap: Snapshot) -> float:
    fc, fm = _fractions(pod, node, snap)
    return (max(0.0, 1 - fc) + max(0.0, 1 - fm)) * MAX / 2


def _balanced(pod: Obj, node: Obj, snap: Snapshot) -> float:
    fc, fm = (min(f, 1.0) for f in _fractions(pod, node, snap))
    return (1 - abs(fc - fm) / 2) * MAX


def _peer_predicate(pod: Obj, snap: Snapshot) -> Callable[[Obj], bool] | None:
    """System default spreading selects the pods of the same Services and controller (selector.go
    DefaultSelector); None when nothing selects the pod."""
    ns = pod["metadata"].get("namespace")
    labels = pod["metadata"].get("labels") or {}
    selectors = [
        (s.get("spec") or {}).get("selector") or {}
        for s in snap.cluster.objects.get("services", {}).values()
        if s["metadata"].get("namespace") == ns
        and labels_match((s.get("spec") or {}).get("selector"), labels)
    ]
    owners = {r.get("uid") for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")}
    if not selectors and not owners:
        return None

    def peer(other: Obj) -> bool:
        if other["metadata"].get("namespace") != ns or other["metadata"].get("deletionTimestamp"):
            return False
        theirs = {r.get("uid") for r in other["metadata"].get("ownerReferences") or [] if r.get("controller")}
        other_labels = other["metadata"].get("labels") or {}
        return bool(owners & theirs) or any(labels_match(sel, other_labels) for sel in selectors)

    return peer


def _spread_constraints(pod: Obj, snap: Snapshot) -> list[tuple[str, int, Callable[[Obj], bool]]]:
    declared = (pod.get("spec") or {}).get("topologySpreadConstraints") or []
    out: list[tuple[str, int, Callable[[Obj], bool]]] = []
    for c in declared:
        if c.get("whenUnsatisfiable") == "ScheduleAnyway":
            sel = spread_selector(pod, c)
            ns = pod["metadata"].get("namespace")

            def match(o: Obj, sel: dict[str, object] | None = sel, ns: str | None = ns) -> bool:
                return o["metadata"].get("namespace") == ns and selector_matches(
                    sel, o["metadata"].get("labels")
                )

            out.append((str(c.get("topologyKey", "")), int(c.get("maxSkew", 1)), match))
    if declared:
        return out
    peer = _peer_predicate(pod, snap)
    return [(HOSTNAME, 3, peer), (ZONE, 5, peer)] if peer else []


def _spread_raw(pod: Obj, nodes: list[Obj], snap: Snapshot) -> dict[str, float | None]:
    raw: dict[str, float | None] = {n["metadata"]["name"]: 0.0 for n in nodes}
    for key, max_skew, match in _spread_constraints(pod, snap):
        domains = {(n["metadata"].get("labels") or {}).get(key) for n in nodes} - {None}
        if not domains:
            continue
        counts: dict[str, int] = {}
        for node in snap.nodes:
            value = (node["metadata"].get("labels") or {}).get(key)
            if value is not None and value in domains:
                pods = snap.by_node.get(node["metadata"]["name"], [])
                counts[value] = counts.get(value, 0) + sum(1 for p in pods if match(p))
        weight = math.log(len(domains) + 2)
        for node in nodes:
            name, value = node["metadata"]["name"], (node["metadata"].get("labels") or {}).get(key)
            current = raw[name]
            if value is None or current is None:
                raw[name] = None  # a node without the key cannot be scored for this constraint
            else:
                raw[name] = current + counts.get(value, 0) * weight + (max_skew - 1)
    return raw


def _normalized_spread(raw: dict[str, float | None]) -> dict[str, float]:
    valid = [v for v in raw.values() if v is not None]
    if not valid:
        return dict.fromkeys(raw, 0.0)
    hi, lo = max(valid), min(valid)
    return {n: 0.0 if v is None else (MAX if hi == 0 else MAX * (hi + lo - v) / hi) for n, v in raw.items()}


def _inter_pod_raw(pod: Obj, node: Obj, snap: Snapshot) -> float:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    labels = node["metadata"].get("labels") or {}
    score = 0.0
    assigned = snap.assigned()
    for kind, sign in (("podAffinity", 1), ("podAntiAffinity", -1)):
        for wt in (affinity.get(kind) or {}).get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            term = wt.get("podAffinityTerm") or {}
            key = term.get("topologyKey", "")
            if key in labels:
                hits = sum(
                    1 for p, nl in assigned if nl.get(key) == labels[key] and term_matches(term, pod, p, snap)
                )
                score += sign * int(wt.get("weight", 0)) * hits
    return score


def _node_affinity_raw(pod: Obj, node: Obj) -> float:
    prefs = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
        "preferredDuringSchedulingIgnoredDuringExecution"
    ) or []
    return float(
        sum(
            int(p.get("weight", 0))
            for p in prefs
            if node_selector_terms_match(node, [p.get("preference") or {}])
        )
    )


def _soft_taints_raw(pod: Obj, node: Obj) -> float:
    tolerations = [
        t
        for t in (pod.get("spec") or {}).get("tolerations") or []
        if t.get("effect") in (None, "", "PreferNoSchedule")
    ]
    return float(
        sum(
            1
            for t in (node.get("spec") or {}).get("taints") or []
            if t.get("effect") == "PreferNoSchedule" and not tolerates(tolerations, t)
        )
    )


def _scale(raw: dict[str, float], reverse: bool = False) -> dict[str, float]:
    """helper.DefaultNormalizeScore."""
    hi = max(raw.values(), default=0.0)
    if hi == 0:
        return dict.fromkeys(raw, MAX if reverse else 0.0)
    return {n: (MAX - v * MAX / hi if reverse else v * MAX / hi) for n, v in raw.items()}


def _min_max(raw: dict[str, float]) -> dict[str, float]:
    """interpodaffinity NormalizeScore: (score - min) / (max - min), 0 when all equal."""
    hi, lo = max(raw.values(), default=0.0), min(raw.values(), default=0.0)
    return {n: (MAX * (v - lo) / (hi - lo) if hi > lo else 0.0) for n, v in raw.items()}


def scores(pod: Obj, nodes: list[Obj], snap: Snapshot) -> dict[str, float]:
    """The weighted sum of the default score plugins for each feasible node."""
    names = [n["metadata"]["name"] for n in nodes]
    parts = [
        (3, _scale({n["metadata"]["name"]: _soft_taints_raw(pod, n) for n in nodes}, reverse=True)),
        (2, _scale({n["metadata"]["name"]: _node_affinity_raw(pod, n) for n in nodes})),
        (2, _normalized_spread(_spread_raw(pod, nodes, snap))),
        (2, _min_max({n["metadata"]["name"]: _inter_pod_raw(pod, n, snap) for n in nodes})),
        (1, {n["metadata"]["name"]: _least_allocated(pod, n, snap) for n in nodes}),
        (1, {n["metadata"]["name"]: _balanced(pod, n, snap) for n in nodes}),
    ]
    return {name: sum(w * part[name] for w, part in parts) for name in names}


def best_node(pod: Obj, nodes: list[Obj], snap: Snapshot) -> Obj:
    if len(nodes) == 1:
        return nodes[0]
    total = scores(pod, nodes, snap)
    return min(
        nodes,
        key=lambda n: (
            -round(total[n["metadata"]["name"]], 6),
            len(snap.by_node.get(n["metadata"]["name"], [])),
            n["metadata"]["name"],
        ),
    )

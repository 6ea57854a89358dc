"""Liqo's pod mutating webhook (`pod.mutate.liqo.io`), as an admission hook of the playground.

Follows pkg/webhooks/pod/{pod,mutations}.go at v1.2.0 (pkg/liqo-controller-manager/webhooks/pod/ at
v0.10.3) and the MutatingWebhookConfiguration of the chart (templates/webhooks/liqo-mutating-webhook.yaml):
on CREATE of a pod in a namespace labelled `liqo.io/scheduling-enabled=true` (the NamespaceOffloading
controller sets it for the Remote and LocalAndRemote strategies), read the namespace's
NamespaceOffloading `offloading` and
- Local: change nothing (the virtual-node taint keeps the pod off virtual nodes);
- Remote: add the toleration of the virtual-node taint, and require the cluster selector's terms, each
  ANDed with `liqo.io/type In (virtual-node)` (an empty selector becomes that single term);
- LocalAndRemote: add the toleration; with a non-empty cluster selector, require its terms OR'ed with
  `liqo.io/type NotIn (virtual-node)` (local nodes stay allowed).
The imposed selector is merged into the pod's own required node affinity term by term
(utils.MergeNodeSelector: (A || B) && (C || D) -> (A && C) || (A && D) || (B && C) || (B && D)).
v1 leaves pods of the Liqo runtime class untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from liqo_tutor.sim.store import ApiError, Cluster, ResourceKind

__all__ = ["SCHEDULING_LABEL", "imposed_selector", "mutate_pod", "pod_admission"]

Obj = dict[str, Any]

SCHEDULING_LABEL = "liqo.io/scheduling-enabled"
NSO = "namespaceoffloadings.offloading.liqo.io"
TYPE_LABEL = "liqo.io/type"
TYPE_NODE = "virtual-node"
TOLERATION = {"key": "virtual-node.liqo.io/not-allowed", "operator": "Exists", "effect": "NoExecute"}
LIQO_RUNTIME_CLASS = "liqo"


def imposed_selector(spec: Obj) -> Obj | None:
    """The NodeSelector the strategy imposes (None: nothing to impose)."""
    strategy = spec.get("podOffloadingStrategy") or "LocalAndRemote"
    terms = copy.deepcopy((spec.get("clusterSelector") or {}).get("nodeSelectorTerms") or [])
    if strategy == "Remote":
        if not terms:
            terms = [{}]
        for term in terms:
            term["matchExpressions"] = [
                *(term.get("matchExpressions") or []),
                {"key": TYPE_LABEL, "operator": "In", "values": [TYPE_NODE]},
            ]
        return {"nodeSelectorTerms": terms}
    if strategy == "LocalAndRemote":
        if not terms:
            return None
        terms.append({"matchExpressions": [{"key": TYPE_LABEL, "operator": "NotIn", "values": [TYPE_NODE]}]})
        return {"nodeSelectorTerms": terms}
    return None


def _merge(own: Obj, imposed: Obj) -> Obj:
    merged = []
    for a in own.get("nodeSelectorTerms") or []:
        for b in imposed.get("nodeSelectorTerms") or []:
            merged.append(
                {
                    "matchExpressions": [
                        *copy.deepcopy(a.get("matchExpressions") or []),
                        *copy.deepcopy(b.get("matchExpressions") or []),
                    ]
                }
            )
    return {"nodeSelectorTerms": merged}


def mutate_pod(nso_spec: Obj, pod_spec: Obj, v1: bool) -> None:
    """Apply the strategy of a NamespaceOffloading spec to a pod spec, in place."""
    strategy = nso_spec.get("podOffloadingStrategy") or "LocalAndRemote"
    if strategy == "Local":
        return
    if v1 and pod_spec.get("runtimeClassName") == LIQO_RUNTIME_CLASS:
        return
    pod_spec["tolerations"] = [*(pod_spec.get("tolerations") or []), dict(TOLERATION)]
    imposed = imposed_selector(nso_spec)
    if imposed is None:
        return
    affinity = pod_spec.setdefault("affinity", {}) or {}
    pod_spec["affinity"] = affinity
    node_affinity = affinity.setdefault("nodeAffinity", {}) or {}
    affinity["nodeAffinity"] = node_affinity
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    if not required.get("nodeSelectorTerms"):
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = imposed
    else:
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = _merge(required, imposed)


def pod_admission(
    liqo_running: Callable[[Cluster], Any],
) -> Callable[[Cluster, ResourceKind, Obj, Obj | None], None]:
    """The webhook as a store admission hook; `liqo_running(cluster)` gives the Liqo Info or None."""

    def hook(cluster: Cluster, kind: ResourceKind, new: Obj, old: Obj | None) -> None:
        if kind.key != "pods" or old is not None:
            return
        namespace = (new.get("metadata") or {}).get("namespace") or ""
        ns_obj = cluster.get("namespaces", None, namespace) if namespace else None
        if ns_obj is None or (ns_obj["metadata"].get("labels") or {}).get(SCHEDULING_LABEL) != "true":
            return
        info = liqo_running(cluster)
        if info is None:
            return
        nso = cluster.get(NSO, namespace, "offloading") if cluster.kind_for(NSO) else None
        if nso is None:
            raise ApiError(
                500,
                "InternalError",
                'Internal error occurred: admission webhook "pod.mutate.liqo.io" denied the request: '
                "failed retrieving NamespaceOffloading",
            )
        mutate_pod(nso.get("spec") or {}, new.setdefault("spec", {}), bool(info.line.v1))

    return hook

"""--explain: what a step changed in each cluster, from kubectl snapshots taken before and after it.

Generic Kubernetes only (nodes, namespaces, Services, pods); nothing here knows the tutorial. A node
is called virtual when one of its labels says so (virtual-kubelet's `type=virtual-kubelet`, Liqo's
`liqo.io/type=virtual-node`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from liqo_tutor import timeouts
from liqo_tutor.errors import LiqoTutorError
from liqo_tutor.tools import kubectl
from liqo_tutor.tools.kubectl import with_kubeconfig

if TYPE_CHECKING:
    from liqo_tutor.shell import ClusterShell

__all__ = ["KINDS", "Snapshot", "describe", "snapshot_argv", "snapshots"]

KINDS = "nodes,namespaces,services,pods"
# Lines beyond this per cluster are summarised: a Liqo install starts dozens of pods.
MAX_NAMES = 3


def snapshot_argv(kubeconfig: str, context: str | None = None) -> list[str]:
    return with_kubeconfig(kubectl.get_all_json(KINDS), kubeconfig, context)


@dataclass(frozen=True)
class Snapshot:
    """One cluster at one moment; `reachable` False when it does not exist (yet) or does not answer."""

    reachable: bool
    nodes: dict[str, bool] = field(default_factory=dict)  # name -> virtual
    namespaces: frozenset[str] = frozenset()
    services: dict[str, str] = field(default_factory=dict)  # "ns/name" -> ClusterIP
    pods: dict[str, str] = field(default_factory=dict)  # "ns/name" -> node

    @classmethod
    def absent(cls) -> Snapshot:
        return cls(reachable=False)

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        """From `kubectl get nodes,namespaces,services,pods -A -o json` (a List)."""
        try:
            items = json.loads(text).get("items") or []
        except (ValueError, AttributeError):
            return cls.absent()
        nodes: dict[str, bool] = {}
        namespaces: set[str] = set()
        services: dict[str, str] = {}
        pods: dict[str, str] = {}
        for item in items:
            if not isinstance(item, dict):
                continue
            meta = item.get("metadata") or {}
            name = str(meta.get("name", ""))
            key = f"{meta.get('namespace', '')}/{name}"
            kind = item.get("kind")
            if kind == "Node":
                labels = meta.get("labels") or {}
                nodes[name] = any("virtual" in str(v) for v in labels.values())
            elif kind == "Namespace":
                namespaces.add(name)
            elif kind == "Service":
                services[key] = str((item.get("spec") or {}).get("clusterIP") or "None")
            elif kind == "Pod":
                pods[key] = str((item.get("spec") or {}).get("nodeName") or "")
        return cls(True, nodes, frozenset(namespaces), services, pods)


def snapshots(shell: ClusterShell) -> dict[str, Snapshot]:
    """What each reachable cluster holds now; the reads reach the transcript only (hidden)."""
    hidden = shell.hidden()
    shots: dict[str, Snapshot] = {}
    for name, target in shell.clusters.items():
        if not target.kubeconfig.exists():
            shots[name] = Snapshot.absent()
            continue
        try:
            res = hidden.run(kubectl.get_all_json(KINDS), cluster=name, timeout=shell.scaled(timeouts.QUICK))
        except LiqoTutorError:
            shots[name] = Snapshot.absent()
            continue
        shots[name] = Snapshot.parse(res.stdout)
    return shots


def _names(keys: list[str]) -> str:
    shown = ", ".join(keys[:MAX_NAMES])
    return shown + (f" and {len(keys) - MAX_NAMES} more" if len(keys) > MAX_NAMES else "")


def _pods_by_namespace(keys: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in sorted(keys):
        ns, _, name = key.partition("/")
        out.setdefault(ns, []).append(name)
    return out


def _one(before: Snapshot, after: Snapshot) -> list[str]:
    if not before.reachable and not after.reachable:
        return []
    if not after.reachable:
        return ["the cluster is gone (or does not answer)"]
    lines: list[str] = []
    if not before.reachable:
        count = len(after.nodes)
        lines.append(f"the cluster appeared with {count} node{'s' if count != 1 else ''}")
        before = Snapshot(True, {}, frozenset(), {}, {})
    else:
        for node in sorted(set(after.nodes) - set(before.nodes)):
            lines.append(f"node {node} appeared" + (" (virtual node)" if after.nodes[node] else ""))
        for node in sorted(set(before.nodes) - set(after.nodes)):
            lines.append(f"node {node} disappeared" + (" (virtual node)" if before.nodes[node] else ""))
    new_ns = sorted(after.namespaces - before.namespaces)
    gone_ns = sorted(before.namespaces - after.namespaces)
    if new_ns and len(new_ns) <= MAX_NAMES:
        lines.extend(f"namespace {ns} appeared" for ns in new_ns)
    elif new_ns:
        lines.append(f"{len(new_ns)} namespaces appeared: {_names(new_ns)}")
    lines.extend(f"namespace {ns} disappeared" for ns in gone_ns)
    for svc in sorted(set(after.services) - set(before.services)):
        lines.append(f"service {svc} appeared with ClusterIP {after.services[svc]}")
    for svc in sorted(set(before.services) - set(after.services)):
        lines.append(f"service {svc} disappeared")
    for svc in sorted(set(after.services) & set(before.services)):
        if after.services[svc] != before.services[svc]:
            lines.append(f"service {svc} changed ClusterIP {before.services[svc]} -> {after.services[svc]}")
    new_pods = _pods_by_namespace(set(after.pods) - set(before.pods))
    gone_pods = _pods_by_namespace(set(before.pods) - set(after.pods))
    for ns, names in new_pods.items():
        where = Counter(after.pods[f"{ns}/{n}"] or "no node yet" for n in names)
        on = ", ".join(node + (f" x{n}" if n > 1 else "") for node, n in sorted(where.items()))
        plural = "s" if len(names) != 1 else ""
        lines.append(f"{len(names)} pod{plural} appeared in {ns} ({_names(names)}) on {on}")
    for ns, names in gone_pods.items():
        lines.append(f"{len(names)} pod{'s' if len(names) != 1 else ''} disappeared from {ns}")
    # Where something new appeared but no pod did, say so: "the Service is here, its pods are not".
    touched = set(new_ns) | {s.partition("/")[0] for s in set(after.services) - set(before.services)}
    for ns in sorted(touched - set(new_pods)):
        if not any(k.startswith(f"{ns}/") for k in after.pods):
            lines.append(f"no pod runs in {ns}")
    return lines


def describe(before: Mapping[str, Snapshot], after: Mapping[str, Snapshot]) -> dict[str, list[str]]:
    """Per cluster, one line per change; clusters where nothing changed say so."""
    out: dict[str, list[str]] = {}
    for cluster in after:
        lines = _one(before.get(cluster, Snapshot.absent()), after[cluster])
        if lines or after[cluster].reachable:
            out[cluster] = lines or ["nothing changed"]
    return out


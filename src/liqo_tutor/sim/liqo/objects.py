"""Shared by the Liqo controllers: constants, the Info of a Liqo installation, store helpers,
and LiqoBase (timers, discovery of installations, namespace naming) that each concern extends."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from liqo_tutor.sim import delays
from liqo_tutor.sim.liqo import delay
from liqo_tutor.sim.liqo.versions import Line, line_of
from liqo_tutor.sim.store import ApiError, Cluster, ResourceKind, World, now_iso

__all__ = ["Info", "LiqoBase", "hex6"]

Obj = dict[str, Any]

LIQO_NS = "liqo"
REMOTE_ID = "liqo.io/remote-cluster-id"
FC_V0 = "foreignclusters.discovery.liqo.io"
FC_V1 = "foreignclusters.core.liqo.io"
NSO = "namespaceoffloadings.offloading.liqo.io"
RS = "resourceslices.authentication.liqo.io"
VN_V1 = "virtualnodes.offloading.liqo.io"
TENANTS = "tenants.authentication.liqo.io"
IDENTITIES = "identities.authentication.liqo.io"
GWS = "gatewayservers.networking.liqo.io"
GWC = "gatewayclients.networking.liqo.io"
CONN = "connections.networking.liqo.io"
CONF = "configurations.networking.liqo.io"
NSO_FINALIZER = "namespaceoffloading.liqo.io/finalizer"
MANAGED_BY_NSMAP = "liqo.io/managed-by-namespace-map"
ORIGINAL_NAME = "liqo.io/original-name"
REFLECTION_MANAGER = "endpointslice.reflection.liqo.io"
V1_EXTERNAL_CIDR = ipaddress.IPv4Network("10.70.0.0/16")
# deployments/liqo/values.yaml at v1.2.0: offloading.defaultNodeResources
V1_DEFAULT_RESOURCES = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "20Gi"}


def hex6(cluster_id: str) -> str:
    return hashlib.sha256(cluster_id.encode()).hexdigest()[:6]


@dataclass
class Info:
    """Liqo as installed and running in one cluster."""

    cluster: Cluster
    line: Line
    cluster_id: str
    cluster_name: str
    # --cluster-labels of the controller-manager (the chart renders discovery.config.clusterLabels there)
    cluster_labels: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def fc_key(self) -> str:
        return FC_V0 if self.line.v0 else FC_V1


# --------------------------------------------------------------------------------------------
# small store helpers
# --------------------------------------------------------------------------------------------


def _has(cluster: Cluster, key: str) -> bool:
    return cluster.kind_for(key) is not None


def _list(
    cluster: Cluster, key: str, namespace: str | None = None, labels: dict[str, str] | None = None
) -> list[Obj]:
    if not _has(cluster, key):
        return []
    if namespace and not cluster.namespace_exists(namespace):
        return []
    return cluster.list(key, namespace, labels)


def _get(cluster: Cluster, key: str, namespace: str | None, name: str) -> Obj | None:
    if not _has(cluster, key):
        return None
    kind = cluster.kind_for(key)
    if kind is not None and kind.namespaced and (not namespace or not cluster.namespace_exists(namespace)):
        return None
    return cluster.get(key, namespace, name)


def _api_version(cluster: Cluster, key: str) -> tuple[str, str]:
    kind = cluster.kind_for(key)
    assert kind is not None
    return kind.api_version, kind.kind


def _create(cluster: Cluster, key: str, obj: Obj) -> bool:
    kind: ResourceKind | None = cluster.kind_for(key)
    if kind is None:
        return False
    obj = {"apiVersion": kind.api_version, "kind": kind.kind, **obj}
    try:
        cluster.create(obj)
    except ApiError as exc:
        if exc.code in (404, 403, 409):
            return False
        raise
    return True


def _set_status(cluster: Cluster, key: str, obj: Obj, status: Obj) -> bool:
    if (obj.get("status") or {}) == status:
        return False
    meta = obj["metadata"]
    cluster.update_status(key, meta.get("namespace"), meta["name"], status)
    return True


def _delete(cluster: Cluster, key: str, namespace: str | None, name: str) -> bool:
    if _get(cluster, key, namespace, name) is None:
        return False
    current = cluster.get(key, namespace, name)
    if current and current["metadata"].get("deletionTimestamp"):
        return False
    cluster.delete(key, namespace, name)
    return True


def _cond(conditions: list[Obj] | None, ctype: str) -> Obj:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c
    return {}


def _merge_conditions(old: list[Obj] | None, new: list[Obj]) -> list[Obj]:
    """Keep lastTransitionTime when the status of a condition did not change."""
    out = []
    for c in new:
        prev = _cond(old, c["type"])
        c = dict(c)
        if prev and prev.get("status") == c.get("status") and prev.get("lastTransitionTime"):
            c["lastTransitionTime"] = prev["lastTransitionTime"]
        else:
            c["lastTransitionTime"] = now_iso()
        out.append(c)
    return out


def _pod_ready(pod: Obj) -> bool:
    st = pod.get("status") or {}
    if pod["metadata"].get("deletionTimestamp") or st.get("phase") != "Running" or not st.get("podIP"):
        return False
    return _cond(st.get("conditions"), "Ready").get("status") == "True"


def _selector_matches(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


class LiqoBase:
    """Timers and discovery every Liqo concern uses."""

    # -- timers ----------------------------------------------------------------------------

    @staticmethod
    def _timers(cluster: Cluster) -> dict[str, float]:
        timers: dict[str, float] = cluster.private.setdefault("liqo_timers", {})
        return timers

    def _after(self, world: World, cluster: Cluster, key: str, name: str, now: float) -> bool:
        timers = self._timers(cluster)
        if key not in timers:
            timers[key] = now + delay(name)
            # Peering and offloading advance one chain across both clusters: they keep the whole
            # playground busy, not one cluster.
            delays.trace(name, None, now, timers[key] - now)
            if timers[key] > now:
                world.wake_at(timers[key] + 0.001)
        return now >= timers[key]

    def _clear(self, cluster: Cluster, prefix: str) -> None:
        """Forget the timer `prefix`, or every timer under it when it ends with "/".

        Matching stops at a "/" boundary: clearing "unoff/demo" leaves "unoff/demo-2" running.
        """
        timers = self._timers(cluster)
        under = prefix if prefix.endswith("/") else prefix + "/"
        for key in [k for k in timers if k == prefix or k.startswith(under)]:
            del timers[key]

    # -- discovery of Liqo installations ---------------------------------------------------

    @staticmethod
    def info(cluster: Cluster) -> Info | None:
        """Liqo running in this cluster: the controller-manager pod is Running."""
        if not cluster.namespace_exists(LIQO_NS):
            return None
        running = [
            p
            for p in cluster.list("pods", LIQO_NS, {"app.kubernetes.io/name": "controller-manager"})
            if (p.get("status") or {}).get("phase") == "Running"
            and not p["metadata"].get("deletionTimestamp")
        ]
        if not running:
            return None
        dep = cluster.get("deployments.apps", LIQO_NS, "liqo-controller-manager")
        cm = cluster.get("configmaps", LIQO_NS, "liqo-clusterid-configmap")
        if dep is None or cm is None:
            return None
        containers = dep.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}]
        tag = str(containers[0].get("image", "")).rpartition(":")[2]
        data = cm.get("data") or {}
        line = line_of(tag)
        cluster_id = str(data.get("CLUSTER_ID", ""))
        labels: dict[str, str] = {}
        for arg in containers[0].get("args") or []:
            if str(arg).startswith("--cluster-labels="):
                for kv in str(arg).removeprefix("--cluster-labels=").split(","):
                    k, eq, v = kv.partition("=")
                    if eq and k:
                        labels[k] = v
        return Info(cluster, line, cluster_id, str(data.get("CLUSTER_NAME") or cluster_id), labels)

    def infos(self, world: World) -> dict[str, Info]:
        """Liqo per cluster; recomputed only when some object of some cluster changed."""
        key = tuple((name, id(cluster), cluster.rv) for name, cluster in world.clusters.items())
        cached: tuple[tuple[object, ...], dict[str, Info]] | None = getattr(self, "_infos_cache", None)
        if cached is not None and cached[0] == key:
            return dict(cached[1])
        out = {}
        for name, cluster in world.clusters.items():
            found = self.info(cluster)
            if found is not None:
                out[name] = found
        self._infos_cache = (key, out)
        return dict(out)

    @staticmethod
    def by_id(infos: dict[str, Info], cluster_id: str, line: Line) -> Info | None:
        for i in infos.values():
            if i.cluster_id == cluster_id and i.line.v0 == line.v0:
                return i
        return None

    # -- namespace naming --------------------------------------------------------------------

    @staticmethod
    def _remote_ns_name(origin: Info, ns: str, spec: Obj) -> str:
        strategy = spec.get("namespaceMappingStrategy") or "DefaultName"
        if strategy == "EnforceSameName":
            return ns
        if strategy == "SelectedName" and spec.get("remoteNamespaceName"):
            return str(spec["remoteNamespaceName"])
        if origin.line.v0:
            return f"{ns}-{origin.cluster_name}-{hex6(origin.cluster_id)}"
        return f"{ns}-{origin.cluster_id}"

    @staticmethod
    def _map_key(origin: Info, remote: Info) -> str:
        if origin.line.v0:
            return f"{remote.cluster_name}-{hex6(remote.cluster_id)}"
        return remote.cluster_id

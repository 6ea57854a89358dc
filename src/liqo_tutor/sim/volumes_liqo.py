"""Liqo's virtual storage class `liqo` (provisioner `liqo.io/storage`), consumer side.

Follows liqo v1.2.0: deployments/liqo/templates/liqo-storage-class.yaml (class `liqo`, provisioner
`liqo.io/storage`, WaitForFirstConsumer; values storage.virtualStorageClassName=liqo,
storage.storageNamespace=liqo-storage, realStorageClassName="" = the cluster's default class),
pkg/liqo-controller-manager/offloading/storageprovisioner (a local node: a real claim named after the
virtual claim's UID in `liqo-storage`, then a PV `pvc-<uid>` of class `liqo` with the real volume's
source and node affinity `liqo.io/type DoesNotExist` merged with the real one), remoteprovisioner.go and
pkg/virtualKubelet/reflection/storage (a virtual node: a claim with the same name in the remote
namespace, reflection labels offloading.liqo.io/origin|destination, the remote default class; the
local PV is a placeholder hostPath /tmp/liqo-placeholder with node affinity
liqo.io/remote-cluster-id In [remote]).
Liqo v0.10.3 does the same (pkg/liqo-controller-manager/storageprovisioner, the class from the chart's
storage.enable); its remote claim carries v0's reflection labels (pkg/virtualKubelet/forge/meta.go:
virtualkubelet.liqo.io/origin|destination) and the cluster IDs are UUIDs.

Hook for the provider side: `set_remote_claim_provider(fn)` replaces `default_remote_claim` (which
finds the provider cluster by its liqo-clusterid-configmap and the remote namespace by the
NamespaceOffloading status) when the Liqo emulation wants to own the remote claim's creation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from liqo_tutor.sim.helpers import is_virtual_node
from liqo_tutor.sim.store import Cluster, Obj, World
from liqo_tutor.sim.volumes import pv_for

__all__ = [
    "LIQO_PROVISIONER",
    "default_remote_claim",
    "liqo_storage_class",
    "register",
    "set_remote_claim_provider",
]

LIQO_PROVISIONER = "liqo.io/storage"
LIQO_NS = "liqo"
STORAGE_NS = "liqo-storage"
REMOTE_ID = "liqo.io/remote-cluster-id"
ORIGIN = "offloading.liqo.io/origin"
DESTINATION = "offloading.liqo.io/destination"
ORIGIN_V0 = "virtualkubelet.liqo.io/origin"
DESTINATION_V0 = "virtualkubelet.liqo.io/destination"
PLACEHOLDER = "/tmp/liqo-placeholder"
_NOT_REFLECTED = (
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/selected-node",
    "volume.beta.kubernetes.io/storage-class",
)

# fn(world, consumer cluster, virtual claim, virtual node) -> remote cluster ID once the remote claim exists.
RemoteClaimProvider = Callable[[World, Cluster, Obj, Obj], "str | None"]
_provider: list[RemoteClaimProvider] = []


def set_remote_claim_provider(fn: RemoteClaimProvider) -> None:
    """Let the Liqo emulation create the remote claim (replaces the default)."""
    _provider[:] = [fn]


def liqo_storage_class(name: str = "liqo") -> Obj:
    """The chart's StorageClass, as `helm template` renders it with the default values."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {"meta.helm.sh/release-name": "liqo", "meta.helm.sh/release-namespace": LIQO_NS},
        },
        "provisioner": LIQO_PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def cluster_id(cluster: Cluster) -> str | None:
    cm = cluster.objects.get("configmaps", {}).get((LIQO_NS, "liqo-clusterid-configmap"))
    value = ((cm or {}).get("data") or {}).get("CLUSTER_ID")
    return str(value) if value else None


def _reflection_keys(cluster: Cluster) -> tuple[str, str]:
    """The origin/destination label keys of the Liqo line whose controller-manager runs in `cluster`."""
    from liqo_tutor.sim.liqo.versions import line_of

    dep = cluster.objects.get("deployments.apps", {}).get((LIQO_NS, "liqo-controller-manager")) or {}
    containers = ((dep.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [{}]
    tag = str(containers[0].get("image", "")).rpartition(":")[2]
    return (ORIGIN_V0, DESTINATION_V0) if line_of(tag).v0 else (ORIGIN, DESTINATION)


def _origin(labels: dict[str, str]) -> str | None:
    return labels.get(ORIGIN) or labels.get(ORIGIN_V0)


def _liqo_running(cluster: Cluster) -> bool:
    return cluster.objects.get("deployments.apps", {}).get((LIQO_NS, "liqo-controller-manager")) is not None


def _remote_namespace(cluster: Cluster, namespace: str) -> str:
    for nso in cluster.objects.get("namespaceoffloadings.offloading.liqo.io", {}).values():
        if nso["metadata"].get("namespace") == namespace:
            name = (nso.get("status") or {}).get("remoteNamespaceName")
            if name:
                return str(name)
    return namespace


def default_remote_claim(world: World, cluster: Cluster, claim: Obj, node: Obj) -> str | None:
    """Create (or keep) the claim in the provider cluster; its cluster ID once it exists there."""
    remote_id = str((node["metadata"].get("labels") or {}).get(REMOTE_ID, ""))
    remote = next(
        (c for c in world.clusters.values() if c is not cluster and cluster_id(c) == remote_id), None
    )
    local_id = cluster_id(cluster) or ""
    if remote is None:
        return None
    meta = claim["metadata"]
    rns = _remote_namespace(cluster, meta["namespace"])
    if not remote.namespace_exists(rns):
        return None
    existing = remote.get("persistentvolumeclaims", rns, meta["name"])
    if existing is not None:
        labels = existing["metadata"].get("labels") or {}
        return remote_id if _origin(labels) == local_id else None
    origin_key, destination_key = _reflection_keys(cluster)
    spec = claim.get("spec") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _NOT_REFLECTED}
    remote_spec: Obj = {
        "accessModes": list(spec.get("accessModes") or []),
        "volumeMode": spec.get("volumeMode") or "Filesystem",
        "resources": copy.deepcopy(spec.get("resources") or {}),
    }
    remote.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": meta["name"],
                "namespace": rns,
                "labels": {**(meta.get("labels") or {}), origin_key: local_id, destination_key: remote_id},
                **({"annotations": annotations} if annotations else {}),
            },
            "spec": remote_spec,
        }
    )
    return remote_id


_provider.append(default_remote_claim)


def _pv(claim: Obj, sc: Obj) -> Obj:
    pv = pv_for(claim, sc, f"pvc-{claim['metadata']['uid']}")
    pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] = LIQO_PROVISIONER
    return pv


def _remote(world: World, cluster: Cluster, claim: Obj, sc: Obj, node: Obj) -> Obj | None:
    remote_id = _provider[0](world, cluster, claim, node)
    if remote_id is None:
        return None
    pv = _pv(claim, sc)
    pv["spec"]["hostPath"] = {"path": PLACEHOLDER}
    pv["spec"]["nodeAffinity"] = {
        "required": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": REMOTE_ID, "operator": "In", "values": [remote_id]}]}
            ]
        }
    }
    return pv


def _local(cluster: Cluster, claim: Obj, sc: Obj, node: Obj) -> Obj | None:
    if not cluster.namespace_exists(STORAGE_NS):
        return None
    meta = claim["metadata"]
    node_name = node["metadata"]["name"]
    real = cluster.get("persistentvolumeclaims", STORAGE_NS, meta["uid"])
    if real is None:
        spec = copy.deepcopy(claim.get("spec") or {})
        spec.pop("storageClassName", None)
        spec.pop("volumeName", None)
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {
                    "name": meta["uid"],
                    "namespace": STORAGE_NS,
                    "annotations": {
                        "volume.kubernetes.io/selected-node": node_name,
                        "volume.alpha.kubernetes.io/selected-node": node_name,
                    },
                    "labels": {
                        "storage.liqo.io/virtual-pvc-namespace": meta["namespace"],
                        "storage.liqo.io/virtual-pvc-name": meta["name"],
                    },
                },
                "spec": spec,
            }
        )
        return None
    volume = (real.get("spec") or {}).get("volumeName")
    real_pv = cluster.get("persistentvolumes", None, volume) if volume else None
    if real_pv is None:
        return None
    pv = _pv(claim, sc)
    rspec = real_pv.get("spec") or {}
    for source in ("hostPath", "local", "csi", "nfs"):
        if source in rspec:
            pv["spec"][source] = copy.deepcopy(rspec[source])
    not_virtual = {"key": "liqo.io/type", "operator": "DoesNotExist"}
    real_terms = ((rspec.get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms") or [{}]
    pv["spec"]["nodeAffinity"] = {
        "required": {
            "nodeSelectorTerms": [
                {"matchExpressions": [not_virtual, *(t.get("matchExpressions") or [])]} for t in real_terms
            ]
        }
    }
    return pv


def _provision(world: World, cluster: Cluster, claim: Obj, sc: Obj, node: Obj | None) -> Obj | None:
    if node is None or not _liqo_running(cluster):
        return None
    if is_virtual_node(node):
        return _remote(world, cluster, claim, sc, node)
    return _local(cluster, claim, sc, node)


class LiqoStorageController:
    """What the Liqo chart and controller-manager keep: class `liqo`, namespace `liqo-storage`;
    real claims and remote claims whose virtual claim is gone are removed."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            sc = cluster.objects.get("storageclasses.storage.k8s.io", {}).get(("", "liqo"))
            if _liqo_running(cluster):
                if sc is None and not cluster.private.get("liqo_sc_created"):
                    cluster.private["liqo_sc_created"] = True
                    cluster.create(liqo_storage_class())
                    changed = True
                if not cluster.namespace_exists(STORAGE_NS):
                    cluster.create(
                        {
                            "apiVersion": "v1",
                            "kind": "Namespace",
                            "metadata": {
                                "name": STORAGE_NS,
                                "labels": {"liqo.io/storage-provisioner": "true"},
                            },
                        }
                    )
                    changed = True
            elif cluster.private.pop("liqo_sc_created", None) and sc is not None:
                cluster.delete("storageclasses.storage.k8s.io", None, "liqo")
                changed = True
            changed |= self._orphans(world, cluster)
        return changed

    @staticmethod
    def _orphans(world: World, cluster: Cluster) -> bool:
        changed = False
        uids = {c["metadata"]["uid"] for c in cluster.objects.get("persistentvolumeclaims", {}).values()}
        for (ns, name), claim in list(cluster.objects.get("persistentvolumeclaims", {}).items()):
            if claim["metadata"].get("deletionTimestamp"):
                continue
            labels = claim["metadata"].get("labels") or {}
            if ns == STORAGE_NS and "storage.liqo.io/virtual-pvc-name" in labels and name not in uids:
                cluster.delete("persistentvolumeclaims", ns, name)
                changed = True
            origin = _origin(labels)
            if origin:
                home = next((c for c in world.clusters.values() if cluster_id(c) == origin), None)
                if home is not None and not any(
                    c["metadata"]["name"] == name
                    for c in home.objects.get("persistentvolumeclaims", {}).values()
                ):
                    cluster.delete("persistentvolumeclaims", ns, name)
                    changed = True
        return changed


def register(world: World) -> None:
    from liqo_tutor.sim import volumes

    volumes.PROVISIONERS[LIQO_PROVISIONER] = _provision
    world.register(LiqoStorageController())

"""Virtual nodes of both Liqo lines, as the virtual kubelet registers them.

- Node object: pkg/virtualKubelet/liqoNodeProvider/setup.go (`node()`, same at v0.10.3 and v1.2.0):
  labels kubernetes.io/hostname, kubernetes.io/role=agent, kubernetes.io/os=linux,
  kubernetes.io/arch=amd64, liqo.io/type=virtual-node, liqo.io/remote-cluster-id,
  node.kubernetes.io/exclude-from-external-load-balancers=true and the alpha exclude-balancer label,
  merged with the VirtualNode's spec.labels; taint virtual-node.liqo.io/not-allowed=true:NoExecute;
  capacity and allocatable from the VirtualNode's resource quota.
- v1: the ResourceSlice's status (resources, nodeLabels = the provider's --cluster-labels) becomes a
  VirtualNode named after the provider's cluster ID, whose node has the same name
  (pkg/liqo-controller-manager/offloading/forge/virtualnode.go,
  authentication/remoteresourceslice-controller/slicestatus.go).
- v0: the provider's ResourceOffer (named after the provider's cluster name, spec.labels = its cluster
  labels, spec.resourceQuota = its free resources times the sharing percentage) becomes the node
  `liqo-<cluster name>` (resource-request-controller/offerUpdater.go, resourceoffer-controller).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.quantity import quantity
from liqo_tutor.sim.store import World, now_iso

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.controllers import LiqoController
    from liqo_tutor.sim.liqo.objects import Info

__all__ = ["virtual_nodes"]

Obj = dict[str, Any]

REMOTE_ID = "liqo.io/remote-cluster-id"
FC_V0 = "foreignclusters.discovery.liqo.io"
RS = "resourceslices.authentication.liqo.io"
VN_V1 = "virtualnodes.offloading.liqo.io"
OFFERS = "resourceoffers.sharing.liqo.io"
TAINT = {"key": "virtual-node.liqo.io/not-allowed", "value": "true", "effect": "NoExecute"}
# A kind node as the v0 resource monitor reads it when the playground's nodes publish no capacity.
KIND_NODE = {"cpu": "4", "memory": "8Gi", "pods": "110"}
SHARING_PERCENTAGE = 90  # liqoctl v0.10.3 install --sharing-percentage default

CONDITION_TYPES = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
_SUFFICIENT = "The remote cluster is advertising sufficient resources"
_CONDITIONS = {  # type -> {ready: (status, reason, message)}
    "Ready": {
        True: ("True", "KubeletReady", "The Liqo Virtual Kubelet is posting ready status"),
        False: ("False", "KubeletNotReady", "The Liqo Virtual Kubelet is currently not ready"),
    },
    "MemoryPressure": {
        True: ("False", "RemoteClusterHasSufficientMemory", _SUFFICIENT),
        False: ("False", "RemoteClusterHasSufficientMemory", _SUFFICIENT),
    },
    "DiskPressure": {
        True: ("False", "RemoteClusterHasNoDiskPressure", _SUFFICIENT),
        False: ("False", "RemoteClusterHasNoDiskPressure", _SUFFICIENT),
    },
    "PIDPressure": {
        True: ("False", "RemoteClusterHasNoPIDPressure", _SUFFICIENT),
        False: ("False", "RemoteClusterHasNoPIDPressure", _SUFFICIENT),
    },
    "NetworkUnavailable": {
        True: ("False", "LiqoNetworkingUp", "The Liqo cluster interconnection is established"),
        False: ("True", "LiqoNetworkingDown", "The Liqo cluster interconnection is down"),
    },
}

def _cond(conditions: list[Obj] | None, ctype: str) -> Obj:
    return next((c for c in conditions or [] if c.get("type") == ctype), {})


def _base_labels(name: str, rid: str) -> dict[str, str]:
    return {
        "kubernetes.io/hostname": name,
        "kubernetes.io/role": "agent",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "liqo.io/type": "virtual-node",
        REMOTE_ID: rid,
        "node.kubernetes.io/exclude-from-external-load-balancers": "true",
        "alpha.service-controller.kubernetes.io/exclude-balancer": "true",
    }


def _storage_types(cluster: Any) -> list[Obj]:
    """v0.10.3 offerUpdater.go getStorageClasses: every StorageClass of the provider, the default marked."""
    if cluster.kind_for("storageclasses") is None:
        return []
    out: list[Obj] = []
    for sc in cluster.list("storageclasses"):
        ann = sc["metadata"].get("annotations") or {}
        default = ann.get("storageclass.kubernetes.io/is-default-class") == "true"
        out.append({"storageClassName": sc["metadata"]["name"], **({"default": True} if default else {})})
    return out


def _v0_offer_quota(r: Info) -> dict[str, str]:
    """The provider's resources (physical nodes) times the sharing percentage."""
    totals = {"cpu": 0.0, "memory": 0.0, "pods": 0.0}
    for node in r.cluster.list("nodes"):
        if (node["metadata"].get("labels") or {}).get("liqo.io/type") == "virtual-node":
            continue
        alloc = (node.get("status") or {}).get("allocatable") or KIND_NODE
        for k in totals:
            totals[k] += quantity(str(alloc.get(k, KIND_NODE[k])))
    share = SHARING_PERCENTAGE / 100
    return {
        "cpu": f"{int(totals['cpu'] * share * 1000)}m",
        "memory": f"{int(totals['memory'] * share / 2**20)}Mi",
        "pods": str(int(totals["pods"] * share)),
    }


def _v0_desired(ctl: LiqoController, infos: dict[str, Info], x: Info) -> tuple[dict[str, Obj], bool]:
    """node name -> {rid, labels, quota}; ResourceOffers kept in the tenant namespaces."""
    from liqo_tutor.sim.liqo.objects import _create, _list

    want: dict[str, Obj] = {}
    changed = False
    for fc in _list(x.cluster, FC_V0):
        conds = (fc.get("status") or {}).get("peeringConditions")
        rid = ((fc.get("spec") or {}).get("clusterIdentity") or {}).get("clusterID", "")
        r = ctl.by_id(infos, rid, x.line)
        if (
            r is None
            or _cond(conds, "OutgoingPeering").get("status") != "Established"
            or _cond(conds, "NetworkStatus").get("status") != "Established"
        ):
            continue
        tns = ((fc.get("status") or {}).get("tenantNamespace") or {}).get("local") or ""
        quota = _v0_offer_quota(r)
        spec = {
            "clusterId": r.cluster_id,
            "labels": dict(r.cluster_labels),
            "resourceQuota": {"hard": quota},
            "storageClasses": _storage_types(r.cluster),
        }
        if tns and x.cluster.namespace_exists(tns) and x.cluster.kind_for(OFFERS) is not None:
            offer = x.cluster.get(OFFERS, tns, r.cluster_name)
            if offer is None:
                changed |= _create(
                    x.cluster,
                    OFFERS,
                    {
                        "metadata": {
                            "name": r.cluster_name,
                            "namespace": tns,
                            "labels": {"discovery.liqo.io/cluster-id": r.cluster_id},
                        },
                        "spec": spec,
                    },
                )
                offer = x.cluster.get(OFFERS, tns, r.cluster_name)
            elif offer.get("spec") != spec:
                offer["spec"] = spec
                offer["metadata"].pop("resourceVersion", None)
                x.cluster.update(offer)
                changed = True
            status = {"phase": "Accepted", "virtualKubeletStatus": "Created"}
            if offer is not None and offer.get("status") != status:
                x.cluster.update_status(OFFERS, tns, r.cluster_name, status)
                changed = True
        want[f"liqo-{fc['metadata']['name']}"] = {
            "rid": rid,
            "labels": spec["labels"],
            "quota": quota,
            "storage": bool(spec["storageClasses"]),
        }
    return want, changed


def _v1_virtual_node_spec(rs: Obj, pid: str) -> Obj:
    st = rs.get("status") or {}
    return {
        "clusterID": pid,
        "createNode": True,
        "disableNetworkCheck": False,
        "labels": {REMOTE_ID: pid, **(st.get("nodeLabels") or {})},
        "resourceQuota": {"hard": dict(st.get("resources") or {})},
        "storageClasses": list(st.get("storageClasses") or []),
    }


def _v1_desired(x: Info) -> tuple[dict[str, Obj], bool]:
    from liqo_tutor.sim.liqo.objects import _create, _get, _list

    changed = False
    for rs in _list(x.cluster, RS):
        pid = (rs.get("spec") or {}).get("providerClusterID") or rs["metadata"]["name"]
        accepted = _cond((rs.get("status") or {}).get("conditions"), "Authentication")
        ann = rs["metadata"].get("annotations") or {}
        tns = rs["metadata"]["namespace"]
        if (
            accepted.get("status") != "Accepted"
            or ann.get("liqo.io/create-virtual-node") == "false"
            or rs["metadata"].get("deletionTimestamp")
        ):
            continue
        spec = _v1_virtual_node_spec(rs, pid)
        # virtualnodecreator-controller: the kubeconfig of the Identity "resourceslice-<slice>".
        spec["kubeconfigSecretRef"] = {"name": f"kubeconfig-resourceslice-{rs['metadata']['name']}"}
        vn = _get(x.cluster, VN_V1, tns, pid)
        if vn is None:
            labels = {REMOTE_ID: pid, "liqo.io/resourceslice-name": rs["metadata"]["name"]}
            changed |= _create(
                x.cluster,
                VN_V1,
                {"metadata": {"name": pid, "namespace": tns, "labels": labels}, "spec": spec},
            )
        elif any((vn.get("spec") or {}).get(k) != v for k, v in spec.items()):
            vn["spec"] = {**(vn.get("spec") or {}), **spec}
            vn["metadata"].pop("resourceVersion", None)
            x.cluster.update(vn)
            changed = True
    want: dict[str, Obj] = {}
    for vn in _list(x.cluster, VN_V1):
        spec = vn.get("spec") or {}
        if spec.get("createNode", True) and not vn["metadata"].get("deletionTimestamp"):
            want[vn["metadata"]["name"]] = {
                "rid": spec.get("clusterID", ""),
                "labels": dict(spec.get("labels") or {}),
                "quota": dict((spec.get("resourceQuota") or {}).get("hard") or {}),
                "storage": bool(spec.get("storageClasses")),
            }
    return want, changed


def virtual_nodes(ctl: LiqoController, world: World, infos: dict[str, Info], now: float) -> bool:
    """Desired virtual nodes: v0 from an established outgoing peering, v1 from VirtualNodes."""
    changed = False
    for x in infos.values():
        if x.line.v0:
            want, changed_here = _v0_desired(ctl, infos, x)
        else:
            want, changed_here = _v1_desired(x)
        changed |= changed_here
        for node in x.cluster.list("nodes", labels={"liqo.io/type": "virtual-node"}):
            name = node["metadata"]["name"]
            if name not in want:
                ctl._clear(x.cluster, f"vn/{name}/")
                if not node["metadata"].get("deletionTimestamp"):
                    x.cluster.delete("nodes", None, name)
                    world.record(x.name, f"virtual node {name} removed")
                    changed = True
        for name, desired in want.items():
            if not ctl._after(world, x.cluster, f"vn/{name}/create", "peer_node", now):
                continue
            r = ctl.by_id(infos, desired["rid"], x.line)
            changed |= _ensure_node(x, name, r, desired)
            vnode = x.cluster.get("nodes", None, name)
            if vnode is None:
                continue
            ready = r is not None and ctl._after(
                world, x.cluster, f"vn/{name}/ready", "virtual_node_ready", now
            )
            changed |= _node_ready(world, x, vnode, ready)
            if x.line.v1:
                changed |= _v1_vn_status(x, name, ready)
    return changed


def _v1_vn_status(x: Info, name: str, ready: bool) -> bool:
    """VirtualNode conditions: VirtualKubelet and Node, Running once the node is Ready."""
    state = "Running" if ready else "Creating"
    for vn in x.cluster.list(VN_V1) if x.cluster.kind_for(VN_V1) else []:
        if vn["metadata"]["name"] != name:
            continue
        old = (vn.get("status") or {}).get("conditions") or []
        if [(c.get("type"), c.get("status")) for c in old] == [("VirtualKubelet", state), ("Node", state)]:
            return False
        t = now_iso()
        conds = [{"type": k, "status": state, "lastTransitionTime": t} for k in ("VirtualKubelet", "Node")]
        x.cluster.update_status(VN_V1, vn["metadata"]["namespace"], name, {"conditions": conds})
        return True
    return False


def _ensure_node(x: Info, name: str, r: Info | None, desired: Obj) -> bool:
    labels = {**_base_labels(name, str(desired["rid"])), **desired["labels"]}
    # liqoNodeProvider (v1.2.0 utils.go desiredVirtualNodeMetadata, v0.10.3 reconciler.go): whether the
    # VirtualNode lists storage classes of the provider.
    labels["storage.liqo.io/available"] = "true" if desired.get("storage") else "false"
    quota = dict(desired["quota"])
    node = x.cluster.get("nodes", None, name)
    if node is None:
        version = r.cluster.spec.k8s_version if r else x.cluster.spec.k8s_version
        x.cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": labels},
                "spec": {"taints": [dict(TAINT)]},
                "status": {
                    "addresses": [{"type": "InternalIP", "address": ""}],
                    "allocatable": quota,
                    "capacity": dict(quota),
                    "conditions": [
                        {
                            "type": t,
                            "status": "Unknown",
                            "lastHeartbeatTime": None,
                            "lastTransitionTime": None,
                        }
                        for t in CONDITION_TYPES
                    ],
                    "nodeInfo": {
                        "kubeletVersion": version,
                        "kubeProxyVersion": version,
                        "operatingSystem": "Linux",
                        "architecture": "amd64",
                        "osImage": "",
                        "kernelVersion": "",
                        "containerRuntimeVersion": "",
                    },
                },
            }
        )
        return True
    changed = False
    if node["metadata"].get("labels") != labels:
        node["metadata"]["labels"] = labels
        node["metadata"].pop("resourceVersion", None)
        node = x.cluster.update(node)
        changed = True
    st = copy.deepcopy(node.get("status") or {})
    if st.get("capacity") != quota:
        st["capacity"], st["allocatable"] = quota, dict(quota)
        x.cluster.update_status("nodes", None, name, st)
        changed = True
    return changed


def _node_ready(world: World, x: Info, node: Obj, ready: bool) -> bool:
    """liqoNodeProvider/conditions.go: Ready and the pressure/network conditions, as the VK posts them."""
    st = copy.deepcopy(node.get("status") or {})
    old = {c.get("type"): c for c in st.get("conditions") or []}
    if _cond(st.get("conditions"), "Ready").get("status") == ("True" if ready else "False"):
        return False
    now = now_iso()
    conds = []
    for ctype in CONDITION_TYPES:
        status, reason, message = _CONDITIONS[ctype][ready]
        prev = old.get(ctype) or {}
        same = prev.get("status") == status
        conds.append(
            {
                "type": ctype,
                "status": status,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": now,
                "lastTransitionTime": prev.get("lastTransitionTime") if same else now,
            }
        )
    st["conditions"] = conds
    x.cluster.update_status("nodes", None, node["metadata"]["name"], st)
    if ready:
        world.record(x.name, f"virtual node {node['metadata']['name']} ready")
    return True

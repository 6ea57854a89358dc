"""Liqo's per-peering pods: virtual kubelets (both lines) and v1 gateways, as Deployments.

- Virtual kubelet: Deployment `vk-<virtual node>` in the VirtualNode's (tenant) namespace, one
  `virtual-kubelet` container (pkg/vkMachinery/forge/creation.go, same at v0.10.3; labels
  vkMachinery.KubeletBaseLabels plus the remote cluster ID and the virtual node). The virtual node's
  InternalIP is the virtual kubelet pod's IP (LiqoNodeIP in pkg/virtualKubelet/forge/forge.go).
- v1 gateway: Deployment named after its GatewayServer/GatewayClient (`gw-<remote id>`) in the tenant
  namespace, containers gateway, wireguard and geneve, labels of the chart's gateway templates
  (templates/liqo-wireguard-gateway-*-template.yaml, _helpers.tpl liqo.labelsTemplate).
Each Deployment is owned by the object it serves, so it goes (garbage collection) when that object goes.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.helpers import owner_ref
from liqo_tutor.sim.store import ApiError, Cluster, World

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.controllers import LiqoController
    from liqo_tutor.sim.liqo.objects import Info

__all__ = ["LiqoWorkloads"]

Obj = dict[str, Any]

REMOTE_ID = "liqo.io/remote-cluster-id"
VN_V1 = "virtualnodes.offloading.liqo.io"
OFFERS = "resourceoffers.sharing.liqo.io"
GWS = "gatewayservers.networking.liqo.io"
GWC = "gatewayclients.networking.liqo.io"
REPO = "ghcr.io/liqotech"


def _deployment(name: str, namespace: str, labels: dict[str, str], containers: list[Obj], owner: Obj) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels),
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}},
        },
    }


def _ensure(cluster: Cluster, body: Obj) -> bool:
    meta = body["metadata"]
    if not cluster.namespace_exists(meta["namespace"]):
        return False
    if cluster.get("deployments.apps", meta["namespace"], meta["name"]) is not None:
        return False
    try:
        cluster.create(copy.deepcopy(body))
    except ApiError:
        return False
    return True


def _vk_labels(info: Info, rid: str, node: str) -> dict[str, str]:
    if info.line.v0:
        return {
            "app.kubernetes.io/name": "virtual-kubelet",
            "app.kubernetes.io/instance": "virtual-kubelet",
            "app.kubernetes.io/managed-by": "advertisementoperator",
            "app.kubernetes.io/component": "virtual-kubelet",
            "app.kubernetes.io/part-of": "liqo",
            "discovery.liqo.io/cluster-id": rid,
            "discovery.liqo.io/virtual-node": node,
        }
    return {"offloading.liqo.io/component": "virtual-kubelet", REMOTE_ID: rid, "liqo.io/virtual-node": node}


class LiqoWorkloads:
    def __init__(self, liqo: LiqoController) -> None:
        self.liqo = liqo

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for info in self.liqo.infos(world).values():
            changed |= self._virtual_kubelets(info)
            if info.line.v1:
                changed |= self._gateways(info)
            changed |= self._node_addresses(info)
        return changed

    def _virtual_kubelets(self, info: Info) -> bool:
        cluster, tag = info.cluster, info.line.text
        owners: list[tuple[Obj, str, str]] = []  # (owner, remote id, node name)
        if info.line.v1 and cluster.kind_for(VN_V1) is not None:
            for vn in cluster.list(VN_V1):
                rid = str((vn.get("spec") or {}).get("clusterID", ""))
                owners.append((vn, rid, vn["metadata"]["name"]))
        elif info.line.v0 and cluster.kind_for(OFFERS) is not None:
            for offer in cluster.list(OFFERS):
                rid = str((offer.get("spec") or {}).get("clusterId", ""))
                owners.append((offer, rid, f"liqo-{offer['metadata']['name']}"))
        changed = False
        for owner, rid, node in owners:
            if owner["metadata"].get("deletionTimestamp"):
                continue
            container = {"name": "virtual-kubelet", "image": f"{REPO}/virtual-kubelet:{tag}"}
            body = _deployment(
                f"vk-{node}", owner["metadata"]["namespace"], _vk_labels(info, rid, node), [container], owner
            )
            body["spec"]["template"]["spec"]["serviceAccountName"] = f"vk-{node}"
            changed |= _ensure(cluster, body)
        return changed

    @staticmethod
    def _gateways(info: Info) -> bool:
        cluster, tag = info.cluster, info.line.text
        changed = False
        for key in (GWS, GWC):
            if cluster.kind_for(key) is None:
                continue
            for gw in cluster.list(key):
                meta = gw["metadata"]
                if meta.get("deletionTimestamp"):
                    continue
                name, ns = meta["name"], meta["namespace"]
                labels = {
                    "app.kubernetes.io/name": name,
                    "app.kubernetes.io/instance": f"liqo-{name}",
                    "app.kubernetes.io/component": "networking",
                    "app.kubernetes.io/part-of": "liqo",
                    "app.kubernetes.io/managed-by": "Helm",
                    "networking.liqo.io/component": "gateway",
                    "networking.liqo.io/gateway-name": name,
                    "networking.liqo.io/gateway-namespace": ns,
                }
                containers = [
                    {"name": "gateway", "image": f"{REPO}/gateway:{tag}"},
                    {"name": "wireguard", "image": f"{REPO}/gateway/wireguard:{tag}"},
                    {"name": "geneve", "image": f"{REPO}/gateway/geneve:{tag}"},
                ]
                body = _deployment(name, ns, labels, containers, gw)
                body["spec"]["template"]["metadata"]["labels"]["networking.liqo.io/active"] = "true"
                changed |= _ensure(cluster, body)
        return changed

    @staticmethod
    def _node_addresses(info: Info) -> bool:
        """The virtual node's InternalIP is its virtual kubelet pod's IP."""
        cluster = info.cluster
        changed = False
        for node in cluster.list("nodes", labels={"liqo.io/type": "virtual-node"}):
            name = node["metadata"]["name"]
            ips = [
                str((p.get("status") or {}).get("podIP") or "")
                for p in cluster.list("pods")
                if (p["metadata"].get("labels") or {}).get(
                    "discovery.liqo.io/virtual-node" if info.line.v0 else "liqo.io/virtual-node"
                )
                == name
                and (p.get("status") or {}).get("podIP")
                and not p["metadata"].get("deletionTimestamp")
            ]
            if not ips:
                continue
            st = copy.deepcopy(node.get("status") or {})
            addresses = [{"type": "InternalIP", "address": ips[0]}]
            if st.get("addresses") == addresses:
                continue
            st["addresses"] = addresses
            cluster.update_status("nodes", None, name, st)
            changed = True
        return changed

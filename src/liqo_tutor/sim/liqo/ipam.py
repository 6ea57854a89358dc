"""v1 IPAM Networks of the Liqo namespace (deployments/liqo/templates/liqo-ipam-networks.yaml at v1.2.0).

The chart creates `pod-cidr` and `service-cidr` (the cluster's own, which liqoctl's kind provider reads
from the cluster), `external-cidr` (10.70.0.0/16) and `internal-cidr` (10.80.0.0/16); the IPAM writes
each one's `status.cidr`. `liqoctl info -v` reads them.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.store import ApiError, World

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.controllers import LiqoController
    from liqo_tutor.sim.liqo.objects import Info

__all__ = ["Ipam"]

NETWORKS = "networks.ipam.liqo.io"
STORAGES = "ipamstorages.net.liqo.io"
LIQO_NS = "liqo"


class Ipam:
    def __init__(self, liqo: LiqoController) -> None:
        self.liqo = liqo

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for info in self.liqo.infos(world).values():
            cluster = info.cluster
            if info.line.v0:
                changed |= _v0_storage(info)
                continue
            if cluster.kind_for(NETWORKS) is None:
                continue
            wanted = {
                "pod-cidr": (cluster.spec.pod_subnet, True),
                "service-cidr": (cluster.spec.service_subnet, True),
                "external-cidr": ("10.70.0.0/16", False),
                "internal-cidr": ("10.80.0.0/16", False),
            }
            for name, (cidr, not_remapped) in wanted.items():
                if cluster.get(NETWORKS, LIQO_NS, name) is not None:
                    continue
                labels = {
                    "app.kubernetes.io/name": "ipam",
                    "app.kubernetes.io/part-of": "liqo",
                    "ipam.liqo.io/network-type": name,
                }
                if not_remapped:
                    labels |= {
                        "ipam.liqo.io/network-not-remapped": "true",
                        "ipam.liqo.io/network-shared": "true",
                    }
                body: dict[str, Any] = {
                    "apiVersion": "ipam.liqo.io/v1alpha1",
                    "kind": "Network",
                    "metadata": {
                        "name": name,
                        "namespace": LIQO_NS,
                        "labels": labels,
                        "annotations": {"liqo.io/preinstalled": "true"},
                    },
                    "spec": {"cidr": cidr, **({"preAllocated": 1} if name == "external-cidr" else {})},
                }
                try:
                    cluster.create(body)
                    cluster.update_status(NETWORKS, LIQO_NS, name, {"cidr": cidr})
                except ApiError:
                    continue
                changed = True
        return changed


def _v0_storage(info: Info) -> bool:
    """v0: one IpamStorage (generateName ipamstorage-) holding the cluster's pod, service and external
    CIDRs (pkg/liqonet/ipam/ipamStorage.go)."""
    from liqo_tutor.sim.liqo.virtualkubelet import v0_external_cidr

    cluster = info.cluster
    if cluster.kind_for(STORAGES) is None or cluster.list(STORAGES):
        return False
    spec = {
        "podCIDR": cluster.spec.pod_subnet,
        "serviceCIDR": str(ipaddress.ip_network(cluster.spec.service_subnet, strict=False)),
        "externalCIDR": str(v0_external_cidr(info)),
        "reservedSubnets": [],
    }
    body = {
        "apiVersion": "net.liqo.io/v1alpha1",
        "kind": "IpamStorage",
        "metadata": {"generateName": "ipamstorage-", "labels": {"net.liqo.io/ipamstorage": "true"}},
        "spec": spec,
    }
    try:
        cluster.create(body)
    except ApiError:
        return False
    return True

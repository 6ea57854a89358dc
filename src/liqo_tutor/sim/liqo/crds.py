"""The CustomResourceDefinitions each Liqo line installs (as apiextensions.k8s.io/v1 JSON objects)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from liqo_tutor.sim.liqo.versions import Line

__all__ = ["Crd", "crd_objects", "crds_for"]

AGE = ("Age", "date", ".metadata.creationTimestamp", 0)


def _cond(path: str, ctype: str) -> str:
    return f'{path}[?(@.type=="{ctype}")].status'


@dataclass(frozen=True)
class Crd:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    columns: tuple[tuple[str, str, str, int], ...] = (AGE,)  # (name, type, jsonPath, priority)
    categories: tuple[str, ...] = ("liqo",)

    @property
    def name(self) -> str:
        return f"{self.plural}.{self.group}"

    def to_obj(self) -> dict[str, Any]:
        columns = []
        for name, ctype, path, prio in self.columns:
            col: dict[str, Any] = {"name": name, "type": ctype, "jsonPath": path}
            if prio:
                col["priority"] = prio
            columns.append(col)
        names: dict[str, Any] = {
            "kind": self.kind,
            "listKind": f"{self.kind}List",
            "plural": self.plural,
            "singular": self.kind.lower(),
            "categories": list(self.categories),
        }
        if self.short_names:
            names["shortNames"] = list(self.short_names)
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": self.name, "labels": {"app.kubernetes.io/part-of": "liqo"}},
            "spec": {
                "group": self.group,
                "names": names,
                "scope": "Namespaced" if self.namespaced else "Cluster",
                "versions": [
                    {
                        "name": self.version,
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            }
                        },
                        "subresources": {"status": {}},
                        "additionalPrinterColumns": columns,
                    }
                ],
            },
        }


_PC = ".status.peeringConditions"
_V0 = (
    Crd(
        "discovery.liqo.io",
        "v1alpha1",
        "ForeignCluster",
        "foreignclusters",
        False,
        columns=(
            ("Type", "string", ".spec.peeringType", 0),
            ("Outgoing peering", "string", _cond(_PC, "OutgoingPeering"), 0),
            ("Incoming peering", "string", _cond(_PC, "IncomingPeering"), 0),
            ("Networking", "string", _cond(_PC, "NetworkStatus"), 0),
            ("Authentication", "string", _cond(_PC, "AuthenticationStatus"), 0),
            ("ClusterID", "string", ".spec.clusterIdentity.clusterID", 1),
            ("ClusterName", "string", ".spec.clusterIdentity.clusterName", 1),
            AGE,
        ),
    ),
    Crd("discovery.liqo.io", "v1alpha1", "ResourceRequest", "resourcerequests", True),
    Crd(
        "sharing.liqo.io",
        "v1alpha1",
        "ResourceOffer",
        "resourceoffers",
        True,
        ("offer",),
        (
            ("Status", "string", ".status.phase", 0),
            ("VirtualKubeletStatus", "string", ".status.virtualKubeletStatus", 0),
            ("Local", "string", ".metadata.labels.liqo\\.io/replication", 0),
            AGE,
        ),
    ),
    # apis/net/v1alpha1 networkconfig_types.go / tunnel_endpoint_types.go printcolumns (v0.10.3).
    Crd(
        "net.liqo.io",
        "v1alpha1",
        "NetworkConfig",
        "networkconfigs",
        True,
        (),
        (
            ("Peering Cluster", "string", ".spec.cluster.clusterName", 0),
            ("Endpoint IP", "string", ".spec.endpointIP", 1),
            ("VPN Backend", "string", ".spec.backendType", 1),
            ("Processed", "string", ".status.processed", 0),
            ("Local", "string", ".metadata.labels.liqo\\.io/replication", 0),
            AGE,
        ),
    ),
    Crd(
        "net.liqo.io",
        "v1alpha1",
        "TunnelEndpoint",
        "tunnelendpoints",
        True,
        (),
        (
            ("Peering Cluster", "string", ".spec.clusterIdentity.clusterName", 0),
            ("Endpoint IP", "string", ".spec.endpointIP", 1),
            ("Backend type", "string", ".spec.backendType", 0),
            ("Latency", "string", ".status.connection.latency.value", 1),
            ("Connection status", "string", ".status.connection.status", 0),
            AGE,
        ),
    ),
    Crd("net.liqo.io", "v1alpha1", "IpamStorage", "ipamstorages", False, categories=("liqo",)),
    Crd(
        "offloading.liqo.io",
        "v1alpha1",
        "NamespaceOffloading",
        "namespaceoffloadings",
        True,
        ("nsof",),
        (
            ("NamespaceMappingStrategy", "string", ".spec.namespaceMappingStrategy", 0),
            ("PodOffloadingStrategy", "string", ".spec.podOffloadingStrategy", 0),
            ("OffloadingPhase", "string", ".status.offloadingPhase", 0),
            ("RemoteNamespaceName", "string", ".status.remoteNamespaceName", 1),
            AGE,
        ),
    ),
    Crd("virtualkubelet.liqo.io", "v1alpha1", "NamespaceMap", "namespacemaps", True, ("nm",)),
    Crd(
        "virtualkubelet.liqo.io",
        "v1alpha1",
        "ShadowPod",
        "shadowpods",
        True,
        (),
        (("Status", "string", ".status.phase", 0), AGE),
    ),
    Crd(
        "virtualkubelet.liqo.io",
        "v1alpha1",
        "VirtualNode",
        "virtualnodes",
        True,
        ("vn",),
        (
            ("ClusterName", "string", ".spec.clusterIdentity.clusterName", 0),
            AGE,
        ),
    ),
)

_V1 = (
    Crd(
        "core.liqo.io",
        "v1beta1",
        "ForeignCluster",
        "foreignclusters",
        False,
        ("fc",),
        (
            ("Role", "string", ".status.role", 0),
            ("ClusterID", "string", ".spec.clusterID", 1),
            AGE,
        ),
    ),
    Crd(
        "offloading.liqo.io",
        "v1beta1",
        "NamespaceOffloading",
        "namespaceoffloadings",
        True,
        ("nso", "nsof", "nsoff", "nsoffloading"),
        (
            ("NamespaceMappingStrategy", "string", ".spec.namespaceMappingStrategy", 0),
            ("PodOffloadingStrategy", "string", ".spec.podOffloadingStrategy", 0),
            ("OffloadingPhase", "string", ".status.offloadingPhase", 0),
            ("RemoteNamespaceName", "string", ".status.remoteNamespaceName", 1),
            AGE,
        ),
    ),
    Crd("offloading.liqo.io", "v1beta1", "NamespaceMap", "namespacemaps", True, ("nm",)),
    Crd(
        "offloading.liqo.io",
        "v1beta1",
        "ShadowPod",
        "shadowpods",
        True,
        (),
        (("Status", "string", ".status.phase", 0), AGE),
    ),
    Crd("offloading.liqo.io", "v1beta1", "ShadowEndpointSlice", "shadowendpointslices", True),
    Crd(
        "offloading.liqo.io",
        "v1beta1",
        "VirtualNode",
        "virtualnodes",
        True,
        ("vn",),
        (
            ("ClusterID", "string", ".spec.clusterID", 0),
            ("Create Node", "boolean", ".spec.createNode", 0),
            AGE,
            ("Node", "string", '.status.conditions[?(@.type=="Node")].status', 1),
            ("VirtualKubelet", "string", '.status.conditions[?(@.type=="VirtualKubelet")].status', 1),
        ),
    ),
    Crd(
        "authentication.liqo.io",
        "v1beta1",
        "ResourceSlice",
        "resourceslices",
        True,
        (),
        (
            ("Authentication", "string", _cond(".status.conditions", "Authentication"), 0),
            ("Resources", "string", _cond(".status.conditions", "Resources"), 0),
            AGE,
        ),
    ),
    Crd("authentication.liqo.io", "v1beta1", "Tenant", "tenants", True),
    Crd("authentication.liqo.io", "v1beta1", "Identity", "identities", True),
    Crd("networking.liqo.io", "v1beta1", "Configuration", "configurations", True),
    Crd("networking.liqo.io", "v1beta1", "GatewayServer", "gatewayservers", True),
    Crd("networking.liqo.io", "v1beta1", "GatewayClient", "gatewayclients", True),
    Crd(
        "networking.liqo.io",
        "v1beta1",
        "Connection",
        "connections",
        True,
        (),
        (
            ("Type", "string", ".spec.type", 0),
            ("Status", "string", ".status.value", 0),
            AGE,
        ),
    ),
    Crd(
        "ipam.liqo.io",
        "v1alpha1",
        "Network",
        "networks",
        True,
        (),
        (("Desired CIDR", "string", ".spec.cidr", 0), ("Remapped CIDR", "string", ".status.cidr", 0), AGE),
    ),
    Crd("ipam.liqo.io", "v1alpha1", "IP", "ips", True),
)


def crds_for(line: Line) -> tuple[Crd, ...]:
    return _V0 if line.v0 else _V1


def crd_objects(line: Line) -> list[dict[str, Any]]:
    return [c.to_obj() for c in crds_for(line)]


def find(line: Line, plural: str) -> Crd:
    for c in crds_for(line):
        if c.plural == plural:
            return c
    raise KeyError(plural)


LIQO_GROUPS = ("liqo.io",)  # every Liqo API group ends with this suffix

"""What a fresh kind cluster runs: the control-plane static pods, CoreDNS and kube-proxy (kubeadm's
addons), kindnet (kind's CNI) and the local-path provisioner (kind's storage), named and labelled as
kind v0.29.0 and kubeadm create them.

Sources: kind pkg/build/nodeimage/const_cni.go (kindnet DaemonSet) and const_storage.go
(local-path-storage), kubeadm cmd/kubeadm/app/phases/addons/dns/manifests.go (CoreDNS, kube-dns),
addons/proxy/manifests.go (kube-proxy), phases/controlplane/manifests.go and etcd/local.go (static
pods), constants/constants.go (etcd and CoreDNS versions per Kubernetes minor).
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
from typing import Any

from liqo_tutor.sim.store import Cluster, Obj, World
from liqo_tutor.sim.volumes import kind_storage_class

__all__ = ["KindSystemController", "preloaded_images", "system_objects"]

KINDNET_IMAGE = "docker.io/kindest/kindnetd:v20250512-df8de77b"
PROVISIONER_IMAGE = "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a"
HELPER_IMAGE = "docker.io/kindest/local-path-helper:v20241212-8ac705d0"
_ETCD = {25: "3.5.6-0", 26: "3.5.6-0", 27: "3.5.7-0", 28: "3.5.9-0", 29: "3.5.10-0", 30: "3.5.15-0",
         31: "3.5.15-0", 32: "3.5.16-0", 33: "3.5.21-0"}  # fmt: skip
_COREDNS = {25: "v1.9.3", 26: "v1.9.3", 27: "v1.10.1", 28: "v1.10.1", 29: "v1.11.1", 30: "v1.11.1",
            31: "v1.11.3", 32: "v1.11.3", 33: "v1.12.0"}  # fmt: skip
NODE_CRITICAL = ("system-node-critical", 2000001000)
CLUSTER_CRITICAL = ("system-cluster-critical", 2000000000)
_CP_TAINT = "node-role.kubernetes.io/control-plane"


def _minor(version: str) -> int:
    try:
        return int(version.lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        return 33


def _versioned(table: dict[int, str], version: str) -> str:
    minor = _minor(version)
    return table.get(minor, table[max(table)] if minor > max(table) else table[min(table)])


def preloaded_images(cluster: Cluster) -> list[str]:
    """Images a kind node image already holds: no pull for them."""
    v = cluster.spec.k8s_version
    reg = "registry.k8s.io"
    return [
        f"{reg}/kube-apiserver:{v}",
        f"{reg}/kube-controller-manager:{v}",
        f"{reg}/kube-scheduler:{v}",
        f"{reg}/kube-proxy:{v}",
        f"{reg}/etcd:{_versioned(_ETCD, v)}",
        f"{reg}/coredns/coredns:{_versioned(_COREDNS, v)}",
        KINDNET_IMAGE,
        PROVISIONER_IMAGE,
        HELPER_IMAGE,
        "registry.k8s.io/pause:3.10",
    ]


def _meta(name: str, ns: str, labels: dict[str, str] | None = None, **extra: Any) -> Obj:
    meta: Obj = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    meta.update(extra)
    return meta


def _container(
    name: str, image: str, cpu: str = "", memory: str = "", limits: dict[str, str] | None = None, **extra: Any
) -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    resources: Obj = {"requests": requests} if requests else {}
    if limits:
        resources["limits"] = limits
    return {"name": name, "image": image, "resources": resources, **extra}


def _node_ip(node: Obj) -> str:
    addrs = (node.get("status") or {}).get("addresses") or []
    return next((a["address"] for a in addrs if a.get("type") == "InternalIP"), "")


def _static_pod(
    cluster: Cluster, node: Obj, component: str, container: Obj, annotations: dict[str, str]
) -> Obj:
    """A mirror pod: `<component>-<node>`, owned by its Node, as the kubelet posts it."""
    node_name = node["metadata"]["name"]
    digest = hashlib.md5(
        f"{cluster.name}/{node_name}/{component}".encode(), usedforsecurity=False
    ).hexdigest()
    annotations = {
        **annotations,
        "kubernetes.io/config.hash": digest,
        "kubernetes.io/config.mirror": digest,
        "kubernetes.io/config.seen": "2025-01-01T00:00:00.000000000Z",
        "kubernetes.io/config.source": "file",
    }
    owner = {
        "apiVersion": "v1",
        "kind": "Node",
        "name": node_name,
        "uid": node["metadata"]["uid"],
        "controller": True,
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(
            f"{component}-{node_name}",
            "kube-system",
            {"component": component, "tier": "control-plane"},
            annotations=annotations,
            ownerReferences=[owner],
        ),
        "spec": {
            "containers": [container],
            "hostNetwork": True,
            "nodeName": node_name,
            "priorityClassName": NODE_CRITICAL[0],
            "priority": NODE_CRITICAL[1],
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
        },
    }


def _static_pods(cluster: Cluster, node: Obj) -> list[Obj]:
    v, ip = cluster.spec.k8s_version, _node_ip(node)
    reg = "registry.k8s.io"
    return [
        _static_pod(
            cluster, node, "etcd",
            _container("etcd", f"{reg}/etcd:{_versioned(_ETCD, v)}", "100m", "100Mi", command=["etcd"]),
            {"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{ip}:2379"},
        ),
        _static_pod(
            cluster, node, "kube-apiserver",
            _container("kube-apiserver", f"{reg}/kube-apiserver:{v}", "250m", command=["kube-apiserver"]),
            {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{ip}:6443"},
        ),
        _static_pod(
            cluster, node, "kube-controller-manager",
            _container("kube-controller-manager", f"{reg}/kube-controller-manager:{v}", "200m",
                       command=["kube-controller-manager"]),
            {},
        ),
        _static_pod(
            cluster, node, "kube-scheduler",
            _container("kube-scheduler", f"{reg}/kube-scheduler:{v}", "100m", command=["kube-scheduler"]),
            {},
        ),
    ]  # fmt: skip


def _daemonset(name: str, labels: dict[str, str], selector: dict[str, str], pod_spec: Obj) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(name, "kube-system", labels),
        "spec": {
            "selector": {"matchLabels": selector},
            "updateStrategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
            },
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def _deployment(name: str, ns: str, labels: dict[str, str] | None, replicas: int, tmpl_labels: dict[str, str],
                pod_spec: Obj, strategy: Obj | None = None) -> Obj:  # fmt: skip
    spec: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": tmpl_labels},
        "template": {"metadata": {"labels": tmpl_labels}, "spec": pod_spec},
    }
    if strategy:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(name, ns, labels), "spec": spec}


_COREFILE = (
    ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
    "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
    "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n"
    "    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n"
    "    loop\n    reload\n    loadbalance\n}\n"
)


_COREDNS_PORTS = [
    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
]
_COREDNS_ANTI_AFFINITY = {
    "weight": 100,
    "podAffinityTerm": {
        "labelSelector": {"matchExpressions": [{"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
        "topologyKey": "kubernetes.io/hostname",
    },
}


def _coredns(cluster: Cluster) -> list[Obj]:
    image = f"registry.k8s.io/coredns/coredns:{_versioned(_COREDNS, cluster.spec.k8s_version)}"
    dns = {"k8s-app": "kube-dns"}
    ports, anti = copy.deepcopy(_COREDNS_PORTS), copy.deepcopy(_COREDNS_ANTI_AFFINITY)
    pod_spec = {
        "priorityClassName": CLUSTER_CRITICAL[0],
        "serviceAccountName": "coredns",
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [anti]}},
        "tolerations": [
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"key": _CP_TAINT, "effect": "NoSchedule"},
        ],
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "containers": [
            _container(
                "coredns",
                image,
                "100m",
                "70Mi",
                {"memory": "170Mi"},
                args=["-conf", "/etc/coredns/Corefile"],
                ports=ports,
            )
        ],
        "dnsPolicy": "Default",
    }
    dns_ip = str(ipaddress.ip_network(cluster.spec.service_subnet, strict=False).network_address + 10)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(
            "kube-dns",
            "kube-system",
            {**dns, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
            annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
        ),
        "spec": {
            "clusterIP": dns_ip,
            "selector": dns,
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
            ],
        },
    }
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("coredns", "kube-system")},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("coredns", "kube-system"),
            "data": {"Corefile": _COREFILE},
        },  # fmt: skip
        service,
        _deployment("coredns", "kube-system", dns, 2, dns, pod_spec, strategy),
    ]


def _node_agents(cluster: Cluster) -> list[Obj]:
    linux = {"kubernetes.io/os": "linux"}
    proxy = _daemonset(
        "kube-proxy",
        {"k8s-app": "kube-proxy"},
        {"k8s-app": "kube-proxy"},
        {
            "priorityClassName": NODE_CRITICAL[0],
            "containers": [
                _container(
                    "kube-proxy",
                    f"registry.k8s.io/kube-proxy:{cluster.spec.k8s_version}",
                    command=[
                        "/usr/local/bin/kube-proxy",
                        "--config=/var/lib/kube-proxy/config.conf",
                        "--hostname-override=$(NODE_NAME)",
                    ],
                )
            ],
            "hostNetwork": True,
            "serviceAccountName": "kube-proxy",
            "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}, {"operator": "Exists"}],
            "nodeSelector": linux,
        },
    )
    kindnet_labels = {"tier": "node", "app": "kindnet", "k8s-app": "kindnet"}
    kindnet = _daemonset(
        "kindnet",
        kindnet_labels,
        {"app": "kindnet"},
        {
            "hostNetwork": True,
            "nodeSelector": linux,
            "tolerations": [{"operator": "Exists"}],
            "serviceAccountName": "kindnet",
            "containers": [
                _container(
                    "kindnet-cni",
                    KINDNET_IMAGE,
                    "100m",
                    "50Mi",
                    {"cpu": "100m", "memory": "50Mi"},
                    env=[{"name": "POD_SUBNET", "value": cluster.spec.pod_subnet}],
                )
            ],
        },
    )
    sas = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(n, "kube-system")}
        for n in ("kube-proxy", "kindnet")
    ]
    return [*sas, proxy, kindnet]


def _local_path() -> list[Obj]:
    ns = "local-path-storage"
    app = {"app": "local-path-provisioner"}
    sa = "local-path-provisioner-service-account"
    pod_spec = {
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [
            {"key": _CP_TAINT, "operator": "Equal", "effect": "NoSchedule"},
            {"key": "node-role.kubernetes.io/master", "operator": "Equal", "effect": "NoSchedule"},
        ],
        "serviceAccountName": sa,
        "containers": [
            _container(
                "local-path-provisioner",
                PROVISIONER_IMAGE,
                imagePullPolicy="IfNotPresent",
                command=[
                    "local-path-provisioner",
                    "--debug",
                    "start",
                    "--helper-image",
                    HELPER_IMAGE,
                    "--config",
                    "/etc/config/config.json",
                ],
            )  # fmt: skip
        ],
    }
    config = (
        '{\n        "nodePathMap":[\n        {\n                "node":"DEFAULT_PATH_FOR_NON_LISTED_NODES",\n'
        '                "paths":["/var/local-path-provisioner"]\n        }\n        ]\n}'
    )
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(sa, ns)},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("local-path-config", ns),
            "data": {"config.json": config},
        },
        _deployment("local-path-provisioner", ns, None, 1, app, pod_spec),
    ]


def system_objects(cluster: Cluster) -> list[Obj]:
    """Everything kind and kubeadm add to a new cluster, in creation order."""
    objs: list[Obj] = []
    for node in cluster.list("nodes"):
        if "node-role.kubernetes.io/control-plane" in (node["metadata"].get("labels") or {}):
            objs.extend(_static_pods(cluster, node))
    objs.extend(_coredns(cluster))
    objs.extend(_node_agents(cluster))
    objs.extend(_local_path())
    if cluster.kind_for("storageclasses.storage.k8s.io") is not None:
        objs.append(kind_storage_class())
    return objs


class KindSystemController:
    """Adds the system objects once to each new cluster (kubeadm init, kind's CNI and storage actions)."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            if cluster.private.get("kind_system"):
                continue
            cluster.private["kind_system"] = True
            for obj in system_objects(cluster):
                meta = obj["metadata"]
                kind = cluster.kind_for(obj["kind"])
                if kind is None or cluster.get(kind.key, meta.get("namespace"), meta["name"]) is not None:
                    continue
                cluster.create(obj)
                changed = True
        return changed

"""Service endpoints: EndpointSlices (pkg/controller/endpointslice) and core v1 Endpoints
(pkg/controller/endpoint), listing every pod the selector matches whatever node runs it, plus the
`kubernetes` Service's endpoints that the API server keeps (pkg/controlplane/reconcilers)."""

from __future__ import annotations

import ipaddress
from typing import Any

from liqo_tutor.sim.helpers import owner_ref, pod_ready
from liqo_tutor.sim.store import Cluster, Obj, World, now_iso

__all__ = ["EndpointSliceController", "EndpointsController", "service_pods"]

SLICES = "endpointslices.discovery.k8s.io"
MANAGED_BY = "endpointslice-controller.k8s.io"
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


def service_pods(cluster: Cluster, svc: Obj) -> list[Obj]:
    """Pods of the Service's namespace that its selector matches, have an IP and are not terminal."""
    selector = (svc.get("spec") or {}).get("selector") or {}
    out = []
    for (ns, _name), p in sorted(cluster.objects.get("pods", {}).items()):
        if ns != svc["metadata"]["namespace"]:
            continue
        labels = p["metadata"].get("labels") or {}
        status = p.get("status") or {}
        if (
            all(labels.get(k) == v for k, v in selector.items())
            and status.get("podIP")
            and status.get("phase") not in ("Succeeded", "Failed")
        ):
            out.append(p)
    return out


def _selected_services(cluster: Cluster) -> list[Obj]:
    return [
        s
        for s in cluster.objects.get("services", {}).values()
        if (s.get("spec") or {}).get("selector") and s["spec"].get("type") != "ExternalName"
    ]


def _named_port(pods: list[Obj], port_name: str) -> int | None:
    for p in pods:
        for c in p["spec"].get("containers") or []:
            for cp in c.get("ports") or []:
                if cp.get("name") == port_name:
                    return int(cp["containerPort"])
    return None


def _ports(svc: Obj, pods: list[Obj]) -> list[Obj]:
    ports = []
    for sp in svc["spec"].get("ports") or []:
        target = sp.get("targetPort", sp.get("port"))
        if isinstance(target, str) and not target.isdigit():
            target = _named_port(pods, target) or sp.get("port")
        ports.append({"name": sp.get("name", ""), "port": int(target), "protocol": sp.get("protocol", "TCP")})
    return ports


def _target(p: Obj) -> Obj:
    meta = p["metadata"]
    return {"kind": "Pod", "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]}


def _update(cluster: Cluster, current: Obj, fields: dict[str, Any], now: float) -> bool:
    if all(current.get(k) == v for k, v in fields.items() if k != "labels") and current["metadata"].get(
        "labels"
    ) == fields.get("labels", current["metadata"].get("labels")):
        return False
    for k, v in fields.items():
        if k == "labels":
            current["metadata"]["labels"] = v
        else:
            current[k] = v
    current["metadata"].setdefault("annotations", {})[TRIGGER] = now_iso(now)
    current["metadata"].pop("resourceVersion", None)
    cluster.update(current)
    return True


class EndpointSliceController:
    """One EndpointSlice per selector Service, listing the pods (ready or not) that match."""

    MANAGED_BY = MANAGED_BY

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            mine = [
                s
                for s in cluster.objects.get(SLICES, {}).values()
                if (s["metadata"].get("labels") or {}).get("endpointslice.kubernetes.io/managed-by")
                == MANAGED_BY
            ]
            wanted: set[tuple[str, str]] = set()
            for svc in _selected_services(cluster):
                ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
                wanted.add((ns, name))
                existing = next(
                    (
                        s
                        for s in mine
                        if s["metadata"]["namespace"] == ns
                        and s["metadata"]["labels"].get("kubernetes.io/service-name") == name
                    ),
                    None,
                )
                changed |= self._one(cluster, svc, existing, now)
            for s in mine:
                key = (s["metadata"]["namespace"], s["metadata"]["labels"].get("kubernetes.io/service-name"))
                if key not in wanted and not s["metadata"].get("deletionTimestamp"):
                    cluster.delete(SLICES, s["metadata"]["namespace"], s["metadata"]["name"])
                    changed = True
            changed |= _kubernetes_endpoints(cluster, now)
        return changed

    def _one(self, cluster: Cluster, svc: Obj, existing: Obj | None, now: float) -> bool:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        pods = service_pods(cluster, svc)
        endpoints = []
        for p in pods:
            terminating = bool(p["metadata"].get("deletionTimestamp"))
            ready = pod_ready(p) and not terminating
            endpoints.append(
                {
                    "addresses": [p["status"]["podIP"]],
                    "conditions": {"ready": ready, "serving": pod_ready(p), "terminating": terminating},
                    "nodeName": p["spec"].get("nodeName"),
                    "targetRef": _target(p),
                }
            )
        labels = dict(svc["metadata"].get("labels") or {})
        labels.update(
            {"kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": MANAGED_BY}
        )
        fields = {"endpoints": endpoints, "ports": _ports(svc, pods), "labels": labels}
        if existing is not None:
            return _update(cluster, existing, fields, now)
        cluster.create(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "generateName": f"{name}-",
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {TRIGGER: now_iso(now)},
                    "ownerReferences": [owner_ref(svc)],
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": fields["ports"],
            }
        )
        return True


def _ip_key(address: Obj) -> tuple[int, str]:
    try:
        return int(ipaddress.ip_address(address.get("ip", ""))), ""
    except ValueError:
        return 0, str(address.get("ip", ""))


class EndpointsController:
    """core v1 Endpoints named after each selector Service: ready addresses and notReadyAddresses."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            wanted: set[tuple[str, str]] = set()
            for svc in _selected_services(cluster):
                wanted.add((svc["metadata"]["namespace"], svc["metadata"]["name"]))
                changed |= self._one(cluster, svc, now)
            for (ns, name), ep in list(cluster.objects.get("endpoints", {}).items()):
                managed = TRIGGER in (ep["metadata"].get("annotations") or {})
                if managed and (ns, name) not in wanted and (ns, name) != ("default", "kubernetes"):
                    if not ep["metadata"].get("deletionTimestamp"):
                        cluster.delete("endpoints", ns, name)
                        changed = True
        return changed

    def _one(self, cluster: Cluster, svc: Obj, now: float) -> bool:
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        pods = service_pods(cluster, svc)
        ready: list[Obj] = []
        not_ready: list[Obj] = []
        for p in pods:
            if p["metadata"].get("deletionTimestamp"):
                continue
            addr: Obj = {"ip": p["status"]["podIP"], "targetRef": _target(p)}
            if p["spec"].get("nodeName"):
                addr["nodeName"] = p["spec"]["nodeName"]
            (ready if pod_ready(p) else not_ready).append(addr)
        ports = [{k: v for k, v in port.items() if v != ""} for port in _ports(svc, pods)]
        subset: Obj = {}
        if ready:
            subset["addresses"] = sorted(ready, key=_ip_key)
        if not_ready:
            subset["notReadyAddresses"] = sorted(not_ready, key=_ip_key)
        subsets = [{**subset, "ports": ports}] if subset and ports else []
        labels = dict(svc["metadata"].get("labels") or {})
        if (svc.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        current = cluster.get("endpoints", ns, name)
        if current is not None:
            return _update(cluster, current, {"subsets": subsets, "labels": labels}, now)
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": labels,
                "annotations": {TRIGGER: now_iso(now)},
            },
        }
        if subsets:
            body["subsets"] = subsets
        cluster.create(body)
        return True


def _kubernetes_endpoints(cluster: Cluster, now: float) -> bool:
    """The API server's own endpoints: the control-plane node's address on 6443."""
    cp = next(
        (
            n
            for n in cluster.objects.get("nodes", {}).values()
            if "node-role.kubernetes.io/control-plane" in (n["metadata"].get("labels") or {})
        ),
        None,
    )
    ip = next(
        (
            a["address"]
            for a in ((cp or {}).get("status") or {}).get("addresses") or []
            if a.get("type") == "InternalIP"
        ),
        "",
    )
    if not ip or cluster.get("services", "default", "kubernetes") is None:
        return False
    changed = False
    if cluster.get("endpoints", "default", "kubernetes") is None:
        cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
                },
                "subsets": [
                    {"addresses": [{"ip": ip}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}
                ],
            }
        )
        changed = True
    if cluster.get(SLICES, "default", "kubernetes") is None:
        cluster.create(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": "kubernetes"},
                },
                "addressType": "IPv4",
                "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
            }
        )
        changed = True
    return changed

"""Cluster-side Liqo, level-triggered, inside the playground daemon: peering (both lines), virtual nodes,
namespace offloading, Service/EndpointSlice reflection and the cross-cluster network routes.

Nothing happens in a cluster unless its Liqo controller-manager pod is Running, so a half-installed or
uninstalled Liqo does nothing. Delays come from sim.delays (names: peer_auth, peer_network, peer_node,
virtual_node_ready, offload, reflection, unoffload, unpeer); timers live in `cluster.private` (persisted).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass, field
from typing import Any

from liqo_tutor.sim import delays
from liqo_tutor.sim.helpers import record_event
from liqo_tutor.sim.liqo import delay
from liqo_tutor.sim.liqo.versions import Line, line_of
from liqo_tutor.sim.store import ApiError, Cluster, PodRef, ResourceKind, World, now_iso

__all__ = ["LiqoController", "register"]

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


# --------------------------------------------------------------------------------------------
# the controller
# --------------------------------------------------------------------------------------------


class LiqoController:
    """Every Liqo behaviour of every cluster, recomputed from the objects at each reconcile."""

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

    # -- entry point -----------------------------------------------------------------------

    def reconcile(self, world: World, now: float) -> bool:
        infos = self.infos(world)
        changed = False
        for i in infos.values():
            if i.line.v0:
                changed |= self._v0_auth_token(i)
        changed |= self._v0_peering(world, infos, now)
        changed |= self._v1_peering(world, infos, now)
        changed |= self._virtual_nodes(world, infos, now)
        changed |= self._offloading(world, infos, now)
        changed |= self._reflection(world, infos, now)
        return changed

    # -- v0 -----------------------------------------------------------------------------------

    @staticmethod
    def _v0_auth_token(i: Info) -> bool:
        if i.cluster.get("secrets", LIQO_NS, "auth-token") is not None:
            return False
        import base64

        token = secrets.token_hex(64)
        i.cluster.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {
                    "name": "auth-token",
                    "namespace": LIQO_NS,
                    "labels": {"app.kubernetes.io/part-of": "liqo"},
                },
                "data": {"token": base64.b64encode(token.encode()).decode()},
            }
        )
        return True

    @staticmethod
    def _v0_token_ok(local: Info, remote: Info) -> bool:
        import base64

        mine = local.cluster.get("secrets", LIQO_NS, f"remote-token-{remote.cluster_id}")
        theirs = remote.cluster.get("secrets", LIQO_NS, "auth-token")
        if mine is None or theirs is None:
            return False
        a = base64.b64decode((mine.get("data") or {}).get("token", "")).decode(errors="replace")
        b = base64.b64decode((theirs.get("data") or {}).get("token", "")).decode(errors="replace")
        return a == b and bool(a)

    def _v0_tenant(self, local: Info, remote: Info) -> tuple[str, bool]:
        name = f"liqo-tenant-{remote.cluster_name}-{hex6(remote.cluster_id)}"
        created = False
        if not local.cluster.namespace_exists(name):
            created = _create(
                local.cluster,
                "namespaces",
                {
                    "metadata": {
                        "name": name,
                        "labels": {
                            "discovery.liqo.io/tenant-namespace": "true",
                            "discovery.liqo.io/cluster-id": remote.cluster_id,
                        },
                    }
                },
            )
        return name, created

    def _v0_peering(self, world: World, infos: dict[str, Info], now: float) -> bool:
        changed = False
        v0 = [i for i in infos.values() if i.line.v0 and _has(i.cluster, FC_V0)]
        # Outgoing peerings wanted and possible: (consumer name, provider name) -> established stage flags.
        outgoing: dict[tuple[str, str], dict[str, bool]] = {}
        for c in v0:
            for fc in c.cluster.list(FC_V0):
                spec = fc.get("spec") or {}
                rid = (spec.get("clusterIdentity") or {}).get("clusterID", "")
                p = self.by_id(infos, rid, c.line)
                # The stages of the outgoing peering; the disconnection timer ("v0/{rid}/down") is
                # not under this prefix, so dropping the stages does not restart it.
                tkey = f"v0/{rid}/out/"
                if spec.get("outgoingPeeringEnabled") != "Yes" or p is None or not self._v0_token_ok(c, p):
                    self._clear(c.cluster, tkey)
                    continue
                auth = self._after(world, c.cluster, tkey + "auth", "peer_auth", now)
                net = auth and self._after(world, c.cluster, tkey + "net", "peer_network", now)
                outgoing[(c.name, p.name)] = {"auth": auth, "net": net}
        # Provider side: make sure the provider knows the consumer (IncomingPeering FC).
        for (cname, pname), stage in outgoing.items():
            c, p = infos[cname], infos[pname]
            if not stage["auth"]:
                continue
            known = [
                f
                for f in p.cluster.list(FC_V0)
                if ((f.get("spec") or {}).get("clusterIdentity") or {}).get("clusterID") == c.cluster_id
            ]
            if not known:
                changed |= _create(
                    p.cluster,
                    FC_V0,
                    {
                        "metadata": {
                            "name": c.cluster_name,
                            "labels": {
                                "discovery.liqo.io/cluster-id": c.cluster_id,
                                "discovery.liqo.io/discovery-type": "IncomingPeering",
                            },
                        },
                        "spec": {
                            "peeringType": "OutOfBand",
                            "clusterIdentity": {"clusterID": c.cluster_id, "clusterName": c.cluster_name},
                            "foreignAuthUrl": "",
                            "outgoingPeeringEnabled": "Auto",
                            "incomingPeeringEnabled": "Auto",
                            "insecureSkipTLSVerify": True,
                        },
                    },
                )
        # Status of every FC.
        for x in v0:
            for fc in x.cluster.list(FC_V0):
                changed |= self._v0_fc_status(world, infos, x, fc, outgoing, now)
        return changed

    def _v0_fc_status(
        self,
        world: World,
        infos: dict[str, Info],
        x: Info,
        fc: Obj,
        outgoing: dict[tuple[str, str], dict[str, bool]],
        now: float,
    ) -> bool:
        changed = False
        spec = fc.get("spec") or {}
        rid = (spec.get("clusterIdentity") or {}).get("clusterID", "")
        r = self.by_id(infos, rid, x.line)
        old = fc.get("status") or {}
        old_conds = old.get("peeringConditions") or []
        mine = outgoing.get((x.name, r.name)) if r else None
        theirs = outgoing.get((r.name, x.name)) if r else None
        auth_msg = ""
        auth_reason = ""
        if spec.get("outgoingPeeringEnabled") == "Yes" and mine is None:
            if r is None:
                auth_reason, auth_msg = "RemoteClusterUnreachable", "the remote cluster cannot be reached"
            else:
                auth_reason, auth_msg = (
                    "AuthenticationFailed",
                    "the remote cluster denied the authentication: invalid token",
                )
        auth_ok = bool((mine and mine["auth"]) or (theirs and theirs["auth"]))
        out_status = "Established" if mine and mine["auth"] else "None"
        prev_out = _cond(old_conds, "OutgoingPeering").get("status")
        tdown = f"v0/{rid}/down"
        if out_status == "None" and prev_out in ("Established", "Disconnecting"):
            if not self._after(world, x.cluster, tdown, "unpeer", now):
                out_status = "Disconnecting"
        else:
            self._clear(x.cluster, tdown)
        in_status = "Established" if theirs and theirs["auth"] else "None"
        net_ok = bool((mine and mine["net"]) or (theirs and theirs["net"]))
        tenant = old.get("tenantNamespace") or {}
        if auth_ok and r is not None:
            local_tns, created = self._v0_tenant(x, r)
            remote_tns = f"liqo-tenant-{x.cluster_name}-{hex6(x.cluster_id)}"
            changed |= created
            tenant = {"local": local_tns, "remote": remote_tns}

        def c(ctype: str, status: str, reason: str = "", message: str = "") -> Obj:
            return {"type": ctype, "status": status, "reason": reason, "message": message}

        conds = [
            c(
                "AuthenticationStatus",
                "Established" if auth_ok else ("Pending" if auth_reason else "None"),
                auth_reason,
                auth_msg,
            ),
            c("OutgoingPeering", out_status),
            c("IncomingPeering", in_status),
            c(
                "NetworkStatus",
                "Established"
                if net_ok and out_status != "Disconnecting" or (net_ok and in_status == "Established")
                else "None",
            ),
            c("ProcessForeignClusterStatus", "Success"),
        ]
        status = {**old, "tenantNamespace": tenant, "peeringConditions": _merge_conditions(old_conds, conds)}
        if status != old:
            fc_meta = fc["metadata"]
            x.cluster.update_status(FC_V0, None, fc_meta["name"], status)
            if out_status == "Established" and prev_out != "Established":
                world.record(x.name, f"peered with {spec.get('clusterIdentity', {}).get('clusterName', rid)}")
            changed = True
        return changed

    # -- v1 -----------------------------------------------------------------------------------

    def _v1_peering(self, world: World, infos: dict[str, Info], now: float) -> bool:
        changed = False
        v1 = [i for i in infos.values() if i.line.v1 and _has(i.cluster, FC_V1)]
        # Gateway servers: their Service and endpoint.
        for x in v1:
            for gws in _list(x.cluster, GWS):
                changed |= self._v1_gateway_server(x, gws)
        # Connections: a client on the consumer pointing at a server (not ClusterIP) of the provider.
        connected: set[tuple[str, str]] = set()
        for c in v1:
            for gwc in _list(c.cluster, GWC):
                rid = (gwc["metadata"].get("labels") or {}).get(REMOTE_ID, "")
                p = self.by_id(infos, rid, c.line)
                tkey = f"v1/{rid}/net"
                srv = _get(p.cluster, GWS, f"liqo-tenant-{c.cluster_id}", f"gw-{c.cluster_id}") if p else None
                ep = ((srv or {}).get("status") or {}).get("endpoint") or {}
                if (
                    p is None
                    or not ep.get("addresses")
                    or ep.get("serviceType") == "ClusterIP"
                    or gwc["metadata"].get("deletionTimestamp")
                ):
                    self._clear(c.cluster, tkey)
                    continue
                if self._after(world, c.cluster, tkey, "peer_network", now):
                    connected.add((c.name, p.name))
        for x in v1:
            for y in v1:
                if x is y:
                    continue
                tns = f"liqo-tenant-{y.cluster_id}"
                want = (x.name, y.name) in connected or (y.name, x.name) in connected
                have = _get(x.cluster, CONN, tns, f"gw-{y.cluster_id}")
                if want and have is None and x.cluster.namespace_exists(tns):
                    changed |= _create(
                        x.cluster,
                        CONN,
                        {
                            "metadata": {
                                "name": f"gw-{y.cluster_id}",
                                "namespace": tns,
                                "labels": {REMOTE_ID: y.cluster_id},
                            },
                            "spec": {"type": "Client" if (x.name, y.name) in connected else "Server"},
                        },
                    )
                    have = _get(x.cluster, CONN, tns, f"gw-{y.cluster_id}")
                    if have is not None:
                        _set_status(x.cluster, CONN, have, {"value": "Connected"})
                        world.record(x.name, f"network connected to {y.cluster_id}")
                elif not want and have is not None:
                    changed |= _delete(x.cluster, CONN, tns, f"gw-{y.cluster_id}")
        # Authentication: Tenant (provider) then Identity (consumer).
        for p in v1:
            for tenant in _list(p.cluster, TENANTS):
                cid = (tenant.get("spec") or {}).get("clusterID", "")
                if self.by_id(infos, cid, p.line) is None:
                    continue
                if self._after(world, p.cluster, f"v1/{cid}/auth", "peer_auth", now):
                    changed |= _set_status(
                        p.cluster,
                        TENANTS,
                        tenant,
                        {
                            "tenantNamespace": tenant["metadata"]["namespace"],
                            "authParams": {"apiServer": f"https://{p.name}-control-plane:6443"},
                        },
                    )
        for c in v1:
            for ident in _list(c.cluster, IDENTITIES):
                pid = (ident.get("spec") or {}).get("clusterID", "")
                prov = self.by_id(infos, pid, c.line)
                ten = (
                    _get(prov.cluster, TENANTS, f"liqo-tenant-{c.cluster_id}", c.cluster_id) if prov else None
                )
                ready = bool(((ten or {}).get("status") or {}).get("authParams"))
                status: Obj = (
                    {"kubeconfigSecretRef": {"name": f"kubeconfig-controlplane-{pid}"}} if ready else {}
                )
                changed |= _set_status(c.cluster, IDENTITIES, ident, status)
        # ResourceSlices: accepted once the identity works.
        for c in v1:
            for rs in _list(c.cluster, RS):
                pid = (rs.get("spec") or {}).get("providerClusterID") or rs["metadata"]["name"]
                p = self.by_id(infos, pid, c.line)
                idents_ready = [
                    i
                    for i in _list(c.cluster, IDENTITIES, rs["metadata"]["namespace"])
                    if (i.get("status") or {}).get("kubeconfigSecretRef")
                ]
                old = rs.get("status") or {}
                if p is None or not idents_ready:
                    continue
                # The provider's default class: the chart's offloading.defaultNodeResources, overridden by
                # what the slice asks for; its cluster labels become the slice's nodeLabels
                # (remoteresourceslice-controller, slicestatus.go getNodeLabels).
                resources = {**V1_DEFAULT_RESOURCES, **((rs.get("spec") or {}).get("resources") or {})}
                status = {
                    "conditions": _merge_conditions(
                        old.get("conditions"),
                        [
                            {"type": "Authentication", "status": "Accepted"},
                            {"type": "Resources", "status": "Accepted"},
                        ],
                    ),
                    "resources": resources,
                    "storageClasses": [{"storageClassName": "standard", "default": True}],
                    "nodeLabels": dict(p.cluster_labels),
                }
                changed |= _set_status(c.cluster, RS, rs, status)
        # ForeignClusters named after the remote cluster ID, on both sides.
        for x in v1:
            changed |= self._v1_foreign_clusters(world, x)
        return changed

    def _v1_gateway_server(self, x: Info, gws: Obj) -> bool:
        changed = False
        meta = gws["metadata"]
        ns, name = meta["namespace"], meta["name"]
        ep_spec = (gws.get("spec") or {}).get("endpoint") or {}
        stype = str(ep_spec.get("serviceType") or "LoadBalancer")
        port = int(ep_spec.get("port") or 51840)
        svc = x.cluster.get("services", ns, name)
        if svc is not None and (svc.get("spec") or {}).get("type") != stype:
            x.cluster.delete("services", ns, name)
            svc = None
            changed = True
        if svc is None:
            sport: Obj = {"name": "wireguard", "port": port, "targetPort": port, "protocol": "UDP"}
            if ep_spec.get("nodePort"):
                sport["nodePort"] = int(ep_spec["nodePort"])
            changed |= _create(
                x.cluster,
                "services",
                {
                    "metadata": {
                        "name": name,
                        "namespace": ns,
                        "labels": {
                            REMOTE_ID: meta.get("labels", {}).get(REMOTE_ID, ""),
                            "networking.liqo.io/component": "gateway",
                        },
                    },
                    "spec": {
                        "type": stype,
                        "ports": [sport],
                        "selector": {
                            "networking.liqo.io/component": "gateway",
                            "app.kubernetes.io/name": name,
                        },
                    },
                },
            )
            svc = x.cluster.get("services", ns, name)
            if svc is None:
                return changed
        sspec = svc.get("spec") or {}
        sport0 = (sspec.get("ports") or [{}])[0]
        if stype == "NodePort" and not sport0.get("nodePort"):
            # Allocate a node port when the API server did not.
            sport0["nodePort"] = 30000 + int(hex6(f"{x.name}/{ns}/{name}"), 16) % 2768
            svc["metadata"].pop("resourceVersion", None)
            x.cluster.update(svc)
            changed = True
        addresses: list[str] = []
        ep_port = port
        if stype == "NodePort":
            addresses = [self._node_ip(x.cluster)]
            ep_port = int(sport0.get("nodePort") or 0)
        elif stype == "LoadBalancer":
            ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            addresses = [str(i.get("ip") or i.get("hostname")) for i in ingress]
        elif sspec.get("clusterIP"):
            addresses = [str(sspec["clusterIP"])]
        status = (
            {"endpoint": {"addresses": addresses, "port": ep_port, "protocol": "UDP", "serviceType": stype}}
            if addresses and all(addresses)
            else {}
        )
        changed |= _set_status(x.cluster, GWS, gws, status)
        return changed

    @staticmethod
    def _node_ip(cluster: Cluster) -> str:
        for node in cluster.list("nodes"):
            if (node["metadata"].get("labels") or {}).get("liqo.io/type") == "virtual-node":
                continue
            for addr in (node.get("status") or {}).get("addresses") or []:
                if addr.get("type") == "InternalIP":
                    return str(addr["address"])
        return ""

    def _v1_foreign_clusters(self, world: World, x: Info) -> bool:
        changed = False
        remote_ids = {
            str((n["metadata"].get("labels") or {}).get(REMOTE_ID))
            for n in x.cluster.list("namespaces")
            if (n["metadata"].get("labels") or {}).get("liqo.io/tenant-namespace") == "true"
            and (n["metadata"].get("labels") or {}).get(REMOTE_ID)
        }
        for rid in sorted(remote_ids):
            if x.cluster.get(FC_V1, None, rid) is None:
                changed |= _create(
                    x.cluster,
                    FC_V1,
                    {"metadata": {"name": rid, "labels": {REMOTE_ID: rid}}, "spec": {"clusterID": rid}},
                )
        for fc in x.cluster.list(FC_V1):
            rid = (fc.get("spec") or {}).get("clusterID") or fc["metadata"]["name"]
            tns = f"liqo-tenant-{rid}"
            old = fc.get("status") or {}
            mods = old.get("modules") or {}
            conns = [
                c for c in _list(x.cluster, CONN, tns) if (c.get("status") or {}).get("value") == "Connected"
            ]
            gwc = _list(x.cluster, GWC, tns)
            gws = _list(x.cluster, GWS, tns)
            confs = _list(x.cluster, CONF, tns)
            idents = _list(x.cluster, IDENTITIES, tns)
            tenants = _list(x.cluster, TENANTS, tns)
            vns = _list(x.cluster, VN_V1, tns)
            slices = [
                s
                for s in _list(x.cluster, RS, tns)
                if _cond((s.get("status") or {}).get("conditions"), "Authentication").get("status")
                == "Accepted"
            ]
            nodes = x.cluster.list("nodes", labels={REMOTE_ID: rid, "liqo.io/type": "virtual-node"})

            def ready(flag: bool) -> str:
                return "Ready" if flag else "NotReady"

            net_conds = []
            if confs or gwc or gws:
                net_conds.append({"type": "NetworkConfigurationStatus", "status": ready(bool(confs))})
                net_conds.append(
                    {"type": "NetworkConnectionStatus", "status": "Established" if conns else "Pending"}
                )
                if gws:
                    net_conds.append({"type": "NetworkGatewayServerStatus", "status": "Ready"})
                if gwc:
                    net_conds.append({"type": "NetworkGatewayClientStatus", "status": "Ready"})
            auth_conds = []
            if idents:
                auth_conds.append(
                    {
                        "type": "AuthIdentityControlPlaneStatus",
                        "status": ready(
                            any((i.get("status") or {}).get("kubeconfigSecretRef") for i in idents)
                        ),
                    }
                )
            if tenants:
                auth_conds.append(
                    {
                        "type": "AuthTenantStatus",
                        "status": ready(any((t.get("status") or {}).get("authParams") for t in tenants)),
                    }
                )
            off_conds = []
            if vns:
                off_conds.append({"type": "OffloadingVirtualNodeStatus", "status": "Ready"})
                node_ready = any(
                    _cond((n.get("status") or {}).get("conditions"), "Ready").get("status") == "True"
                    for n in nodes
                )
                off_conds.append({"type": "OffloadingNodeStatus", "status": ready(node_ready)})
            consumer_of_r = bool(slices or idents)
            provider_for_r = bool(tenants)
            role = {
                (True, True): "ConsumerAndProvider",
                (True, False): "Provider",
                (False, True): "Consumer",
            }.get((consumer_of_r, provider_for_r), "Unknown")

            def module(conds: list[Obj], name: str, mods: Obj = mods) -> Obj:
                prev = (mods.get(name) or {}).get("conditions")
                return (
                    {"enabled": bool(conds), "conditions": _merge_conditions(prev, conds)}
                    if conds
                    else {"enabled": False}
                )

            status = {
                **old,
                "role": role,
                "modules": {
                    "networking": module(net_conds, "networking"),
                    "authentication": module(auth_conds, "authentication"),
                    "offloading": module(off_conds, "offloading"),
                },
                "tenantNamespace": {"local": tns} if x.cluster.namespace_exists(tns) else {},
                "conditions": _merge_conditions(
                    old.get("conditions"), [{"type": "APIServerStatus", "status": "Established"}]
                ),
            }
            if status != old:
                x.cluster.update_status(FC_V1, None, fc["metadata"]["name"], status)
                if role != old.get("role"):
                    world.record(x.name, f"foreigncluster {rid} role {role}")
                changed = True
        return changed

    # -- virtual nodes (both lines) ------------------------------------------------------------

    def _virtual_nodes(self, world: World, infos: dict[str, Info], now: float) -> bool:
        from liqo_tutor.sim.liqo.nodes import virtual_nodes

        return virtual_nodes(self, world, infos, now)

    # -- offloading ------------------------------------------------------------------------------

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

    def _offloading(self, world: World, infos: dict[str, Info], now: float) -> bool:
        from liqo_tutor.sim.liqo.offloading import offloading

        return offloading(self, world, infos, now)

    def _collect_remote_namespaces(
        self, world: World, wanted_remote: dict[str, set[tuple[str, str]]], now: float
    ) -> bool:
        """Remote namespaces Liqo created and nobody wants any more go, after the unoffload delay."""
        changed = False
        for name, cluster in world.clusters.items():
            for ns_obj in cluster.list("namespaces"):
                meta = ns_obj["metadata"]
                ann = meta.get("annotations") or {}
                origin = (meta.get("labels") or {}).get(REMOTE_ID)
                if MANAGED_BY_NSMAP not in ann or meta.get("deletionTimestamp") or not origin:
                    continue
                if (meta["name"], origin) in wanted_remote.get(name, set()):
                    self._clear(cluster, f"unoff/{meta['name']}")
                    continue
                if self._after(world, cluster, f"unoff/{meta['name']}", "unoffload", now):
                    cluster.delete("namespaces", None, meta["name"])
                    self._clear(cluster, f"unoff/{meta['name']}")
                    self._clear(cluster, f"remote-ns/{meta['name']}")
                    world.record(name, f"remote namespace {meta['name']} removed")
                    changed = True
        return changed

    def _ensure_remote_ns(
        self, world: World, o: Info, r: Info, ns: str, remote_name: str, now: float
    ) -> tuple[bool, str, str]:
        current = r.cluster.get("namespaces", None, remote_name)
        nsmap = (
            f"liqo-tenant-{o.cluster_name}-{hex6(o.cluster_id)}"
            if o.line.v0
            else f"liqo-tenant-{o.cluster_id}"
        )
        nsmap += "/" + (f"{o.cluster_name}-{hex6(o.cluster_id)}" if o.line.v0 else o.cluster_id)
        if current is not None:
            meta = current["metadata"]
            ours = (meta.get("labels") or {}).get(REMOTE_ID) == o.cluster_id and MANAGED_BY_NSMAP in (
                meta.get("annotations") or {}
            )
            if not ours:
                return (
                    False,
                    "CreationLoopBackOff",
                    f'namespace "{remote_name}" already exists and it is not managed by '
                    f'NamespaceMap "{nsmap}"',
                )
            if meta.get("deletionTimestamp"):
                return False, "Terminating", f'namespace "{remote_name}" is terminating'
            return (
                True,
                "NamespaceCreated",
                f'Namespace "{remote_name}" correctly created in the remote cluster',
            )
        if not self._after(world, r.cluster, f"remote-ns/{remote_name}", "offload", now):
            return False, "Creating", f'Namespace "{remote_name}" is being created in the remote cluster'
        _create(
            r.cluster,
            "namespaces",
            {
                "metadata": {
                    "name": remote_name,
                    "labels": {REMOTE_ID: o.cluster_id, "kubernetes.io/metadata.name": remote_name},
                    "annotations": {MANAGED_BY_NSMAP: nsmap, ORIGINAL_NAME: ns},
                }
            },
        )
        world.record(r.name, f"namespace {remote_name} created for {o.cluster_name}")
        return True, "NamespaceCreated", f'Namespace "{remote_name}" correctly created in the remote cluster'

    # -- reflection -----------------------------------------------------------------------------

    @staticmethod
    def _labels(o: Info, r: Info) -> dict[str, str]:
        if o.line.v0:
            return {
                "virtualkubelet.liqo.io/origin": o.cluster_id,
                "virtualkubelet.liqo.io/destination": r.cluster_id,
            }
        return {"offloading.liqo.io/origin": o.cluster_id, "offloading.liqo.io/destination": r.cluster_id}

    def offloaded_to(self, infos: dict[str, Info], o: Info) -> list[tuple[str, Info, str]]:
        """(local ns, remote, remote ns) for every namespace of `o` whose offloading to `remote` is Ready."""
        out = []
        for nso in _list(o.cluster, NSO):
            if nso["metadata"].get("deletionTimestamp"):
                continue
            st = nso.get("status") or {}
            conds = st.get("remoteNamespacesConditions") or {}
            for r in infos.values():
                if r is o:
                    continue
                key = self._map_key(o, r)
                if _cond(conds.get(key), "Ready").get("status") == "True" and st.get("remoteNamespaceName"):
                    out.append((nso["metadata"]["namespace"], r, str(st["remoteNamespaceName"])))
        return out

    def _reflection(self, world: World, infos: dict[str, Info], now: float) -> bool:
        changed = False
        desired: dict[tuple[str, str], set[str]] = {}  # (remote cluster, remote ns) -> reflected svc names
        for o in infos.values():
            for ns, r, rns in self.offloaded_to(infos, o):
                if not r.cluster.namespace_exists(rns):
                    continue
                names = desired.setdefault((r.name, rns), set())
                for svc in o.cluster.list("services", ns):
                    sname = svc["metadata"]["name"]
                    tkey = f"refl/{o.cluster_id}/{rns}/{sname}"
                    if not self._after(world, r.cluster, tkey, "reflection", now):
                        # keep an already reflected object while its timer restarts (daemon restart)
                        if r.cluster.get("services", rns, sname) is not None:
                            names.add(sname)
                        continue
                    names.add(sname)
                    changed |= self._reflect_service(world, o, r, svc, rns)
                    changed |= self._reflect_endpoints(o, r, svc, rns)
        # Unreflect what is no longer wanted (objects carrying our origin label only).
        for r in infos.values():
            for svc in r.cluster.list("services"):
                labels = svc["metadata"].get("labels") or {}
                origin = labels.get("offloading.liqo.io/origin") or labels.get(
                    "virtualkubelet.liqo.io/origin"
                )
                if not origin:
                    continue
                rns, sname = svc["metadata"]["namespace"], svc["metadata"]["name"]
                if sname in desired.get((r.name, rns), set()):
                    continue
                if svc["metadata"].get("deletionTimestamp"):
                    continue
                tkey = f"unrefl/{origin}/{rns}/{sname}"
                if self._after(world, r.cluster, tkey, "reflection", now):
                    r.cluster.delete("services", rns, sname)
                    for es in r.cluster.list(
                        "endpointslices.discovery.k8s.io",
                        rns,
                        {
                            "kubernetes.io/service-name": sname,
                            "endpointslice.kubernetes.io/managed-by": REFLECTION_MANAGER,
                        },
                    ):
                        r.cluster.delete("endpointslices.discovery.k8s.io", rns, es["metadata"]["name"])
                    self._clear(r.cluster, tkey)
                    self._clear(r.cluster, f"refl/{origin}/{rns}/{sname}")
                    world.record(r.name, f"service {rns}/{sname} unreflected")
                    changed = True
            for es in _list(
                r.cluster,
                "endpointslices.discovery.k8s.io",
                None,
                {"endpointslice.kubernetes.io/managed-by": REFLECTION_MANAGER},
            ):
                rns = es["metadata"]["namespace"]
                sname = (es["metadata"].get("labels") or {}).get("kubernetes.io/service-name", "")
                if (
                    sname not in desired.get((r.name, rns), set())
                    and r.cluster.get("services", rns, sname) is None
                ):
                    r.cluster.delete("endpointslices.discovery.k8s.io", rns, es["metadata"]["name"])
                    changed = True
        return changed

    def _reflect_service(self, world: World, o: Info, r: Info, svc: Obj, rns: str) -> bool:
        meta = svc["metadata"]
        spec = svc.get("spec") or {}
        labels = {**(meta.get("labels") or {}), **self._labels(o, r)}
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if not k.startswith("kubectl.kubernetes.io/")
        }
        ports = [{k: v for k, v in p.items() if k != "nodePort"} for p in spec.get("ports") or []]
        want_spec: Obj = {
            "type": spec.get("type", "ClusterIP"),
            "ports": ports,
            "sessionAffinity": spec.get("sessionAffinity", "None"),
        }
        if spec.get("selector"):
            want_spec["selector"] = spec["selector"]
        for k in ("externalTrafficPolicy", "internalTrafficPolicy", "publishNotReadyAddresses"):
            if k in spec:
                want_spec[k] = spec[k]
        current = r.cluster.get("services", rns, meta["name"])
        if current is None:
            ok = _create(
                r.cluster,
                "services",
                {
                    "metadata": {
                        "name": meta["name"],
                        "namespace": rns,
                        "labels": labels,
                        **({"annotations": annotations} if annotations else {}),
                    },
                    "spec": want_spec,
                },
            )
            if ok:
                world.record(r.name, f"service {rns}/{meta['name']} reflected from {o.cluster_name}")
                # reflection/exposition/service.go: an event on the local Service (forge/events.go).
                remote_name = r.cluster_name if o.line.v0 else r.cluster_id
                record_event(
                    o.cluster,
                    svc,
                    "Normal",
                    "SuccessfulReflection",
                    f'Successfully reflected object to cluster "{remote_name}"',
                    component="liqo-service-reflection",
                )
            return ok
        cur_labels = current["metadata"].get("labels") or {}
        if not any(k in cur_labels for k in ("offloading.liqo.io/origin", "virtualkubelet.liqo.io/origin")):
            return False  # not ours: never overwrite a user's object
        cur_spec = current.get("spec") or {}
        merged = {**cur_spec, **want_spec}
        cur_ports = {p.get("port"): p for p in cur_spec.get("ports") or []}
        merged["ports"] = [
            {
                **p,
                **(
                    {"nodePort": cur_ports[p.get("port")]["nodePort"]}
                    if cur_ports.get(p.get("port"), {}).get("nodePort")
                    else {}
                ),
            }
            for p in ports
        ]
        if merged == cur_spec and cur_labels == labels:
            return False
        current["spec"] = merged
        current["metadata"]["labels"] = labels
        current["metadata"].pop("resourceVersion", None)
        r.cluster.update(current)
        return True

    def _reflect_endpoints(self, o: Info, r: Info, svc: Obj, rns: str) -> bool:
        meta = svc["metadata"]
        spec = svc.get("spec") or {}
        selector = spec.get("selector") or {}
        endpoints = []
        for pod in o.cluster.list("pods", meta["namespace"]):
            if not _selector_matches(selector, pod["metadata"].get("labels")) or not _pod_ready(pod):
                continue
            ip = remap(o, r, str(pod["status"]["podIP"]))
            if ip is None:
                continue
            endpoints.append(
                {
                    "addresses": [ip],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "nodeName": o.cluster_id if o.line.v1 else f"liqo-{o.cluster_name}",
                }
            )
        ports = []
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            ports.append(
                {
                    "name": p.get("name", ""),
                    "port": int(target) if str(target).isdigit() else int(p["port"]),
                    "protocol": p.get("protocol", "TCP"),
                }
            )
        name = f"{meta['name']}-{hex6(o.cluster_id)[:5]}"
        labels = {
            "kubernetes.io/service-name": meta["name"],
            "endpointslice.kubernetes.io/managed-by": REFLECTION_MANAGER,
            **self._labels(o, r),
        }
        body = {
            "metadata": {"name": name, "namespace": rns, "labels": labels},
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        }
        current = r.cluster.get("endpointslices.discovery.k8s.io", rns, name)
        if current is None:
            return _create(r.cluster, "endpointslices.discovery.k8s.io", body)
        if current.get("endpoints") == endpoints and current.get("ports") == ports:
            return False
        current["endpoints"] = endpoints
        current["ports"] = ports
        current["metadata"]["labels"] = labels
        current["metadata"].pop("resourceVersion", None)
        r.cluster.update(current)
        return True

    # -- network --------------------------------------------------------------------------------

    def network_up(self, infos: dict[str, Info], o: Info, r: Info) -> bool:
        """The cross-cluster tunnel between o and r exists (and Liqo runs in both)."""
        if o.line.v0:
            for fc in _list(o.cluster, FC_V0):
                rid = ((fc.get("spec") or {}).get("clusterIdentity") or {}).get("clusterID")
                if (
                    rid == r.cluster_id
                    and _cond((fc.get("status") or {}).get("peeringConditions"), "NetworkStatus").get(
                        "status"
                    )
                    == "Established"
                ):
                    return True
            return False
        conn = _get(o.cluster, CONN, f"liqo-tenant-{r.cluster_id}", f"gw-{r.cluster_id}")
        return ((conn or {}).get("status") or {}).get("value") == "Connected"

    def resolve(self, world: World, from_cluster: Cluster, ip: str) -> PodRef | None:
        infos = self.infos(world)
        r = infos.get(from_cluster.name)
        if r is None:
            return None
        for o in infos.values():
            if o is r or o.line.v0 != r.line.v0:
                continue
            if not self.network_up(infos, o, r):
                continue
            origin_ip = unmap(o, r, ip)
            if origin_ip is None:
                continue
            for ns, target, _rns in self.offloaded_to(infos, o):
                if target is not r:
                    continue
                for pod in o.cluster.list("pods", ns):
                    if (pod.get("status") or {}).get("podIP") == origin_ip and _pod_ready(pod):
                        return PodRef(o.name, ns, pod["metadata"]["name"])
        return None


def remap(o: Info, r: Info, ip: str) -> str | None:
    """A pod IP of the origin cluster `o` as cluster `r` sees it: within the network in which r's IPAM
    placed o's pod CIDR (kept when it does not overlap, remapped otherwise; see virtualkubelet.py)."""
    from liqo_tutor.sim.liqo.virtualkubelet import remote_pod_network

    pod_net = ipaddress.ip_network(o.cluster.spec.pod_subnet, strict=False)
    addr = ipaddress.ip_address(ip)
    if addr not in pod_net:
        return None
    base = remote_pod_network(r, o)
    offset = (int(addr) - int(pod_net.network_address)) % base.num_addresses
    return str(ipaddress.ip_address(int(base.network_address) + offset))


def unmap(o: Info, r: Info, ip: str) -> str | None:
    """The inverse of remap: an address seen from r back to o's pod IP (None: not o's pods)."""
    from liqo_tutor.sim.liqo.virtualkubelet import remote_pod_network

    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    base = remote_pod_network(r, o)
    if addr not in base:
        return None
    pod_net = ipaddress.ip_network(o.cluster.spec.pod_subnet, strict=False)
    return str(ipaddress.ip_address(int(pod_net.network_address) + int(addr) - int(base.network_address)))


def _admission(controller: LiqoController) -> Any:
    """The NamespaceOffloading webhook: name `offloading`, immutable mapping strategy (when Liqo runs)."""

    def hook(cluster: Cluster, kind: ResourceKind, new: Obj, old: Obj | None) -> None:
        if kind.key != NSO or controller.info(cluster) is None:
            return
        name = (new.get("metadata") or {}).get("name")
        if old is None and name != "offloading":
            raise ApiError(
                403,
                "Forbidden",
                'admission webhook "nsoff.validate.liqo.io" denied the request: '
                'The NamespaceOffloading resource must be named "offloading"',
            )
        if old is not None:
            o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
            if o_spec.get("namespaceMappingStrategy") != n_spec.get("namespaceMappingStrategy"):
                raise ApiError(
                    403,
                    "Forbidden",
                    'admission webhook "nsoff.validate.liqo.io" denied the request: '
                    "The NamespaceMappingStrategy value cannot be modified after creation",
                )

    return hook


def register(world: World) -> LiqoController:
    """Add Liqo's controllers, webhook and network resolver to the world (call once per daemon)."""
    from liqo_tutor.sim.liqo.ipam import Ipam
    from liqo_tutor.sim.liqo.virtualkubelet import VirtualKubelet
    from liqo_tutor.sim.liqo.webhook import pod_admission
    from liqo_tutor.sim.liqo.workloads import LiqoWorkloads

    controller = LiqoController()
    world.register(controller)
    kubelet = VirtualKubelet(controller)
    world.register(kubelet)
    world.register(Ipam(controller))
    world.register(LiqoWorkloads(controller))
    world.add_route_resolver(lambda cluster, ip: kubelet.resolve(world, cluster, ip))
    world.add_admission(_admission(controller))
    world.add_admission(pod_admission(controller.info))
    world.add_route_resolver(lambda cluster, ip: controller.resolve(world, cluster, ip))
    return controller

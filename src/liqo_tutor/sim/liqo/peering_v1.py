"""Liqo v1.x peering: gateways and connections, authentication (Tenant/Identity), ResourceSlices,
ForeignClusters with their role and module conditions."""

from __future__ import annotations

from liqo_tutor.sim.liqo.objects import (
    CONF,
    CONN,
    FC_V1,
    GWC,
    GWS,
    IDENTITIES,
    REMOTE_ID,
    RS,
    TENANTS,
    V1_DEFAULT_RESOURCES,
    VN_V1,
    Info,
    LiqoBase,
    Obj,
    _cond,
    _create,
    _delete,
    _get,
    _has,
    _list,
    _merge_conditions,
    _set_status,
    hex6,
)
from liqo_tutor.sim.store import Cluster, World

__all__ = ["V1Peering"]


class V1Peering(LiqoBase):
    """v1: network, authentication and offloading modules of a peering."""

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

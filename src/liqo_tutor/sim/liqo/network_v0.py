"""Liqo v0 networking of a peering: the gateway Service annotation, NetworkConfigs and TunnelEndpoints.

Facts from Liqo v0.10.3 (no code carried over):
- tunnel-operator/labelerOperator.go: the active gateway pod (hostNetwork, so its IP is its node's)
  annotates the Service labelled `net.liqo.io/gateway=true` with `net.liqo.io/gatewayNodeIP`.
- utils/getters/dataGetters.go RetrieveWGEPFromService: a NodePort gateway is reached at that
  annotation and the nodePort of the port named `wireguard`; a LoadBalancer one at its ingress address
  and port; `liqo.io/override-address`/`liqo.io/override-port` win.
- network-manager/netcfgcreator/networkconfig.go: once a peering is joined (Outgoing or Incoming
  Established, OutOfBand only), a NetworkConfig named after the remote cluster (UniqueName: name + 6 hex
  of sha256(id)) in the tenant namespace, labels liqo.io/replication=true, liqo.io/ownership=netcfgCreator,
  liqo.io/remoteID; spec: cluster, podCIDR, externalCIDR, endpointIP, backendType wireguard,
  backend_config {publicKey, port}; the ForeignCluster is its controller. It goes when neither is.
- crdReplicator/reflection/handler.go: its copy lands in the remote tenant namespace with the same name,
  liqo.io/replication=false, liqo.io/replicated=true, liqo.io/originID, no ownership label.
- tunnelendpointcreator.go: the receiving cluster writes the copy's status (processed, podCIDRNAT and
  externalCIDRNAT, "None" when kept as is); when both are processed, a TunnelEndpoint named like the
  local NetworkConfig, label clusterID=<remote id>, owned by it; deleted with it.
- tunnel/wireguard/driver.go + tunnel-operator.go: status.connection Connecting then Connected
  ("VPN connection established"), peerConfiguration endpointIP/port/allowedIPs/publicKey, latency
  formatted by liqonet/utils FormatLatency (ms, else μs).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from typing import TYPE_CHECKING

from liqo_tutor.sim.liqo.objects import FC_V0, LIQO_NS, Info, Obj, _cond, hex6
from liqo_tutor.sim.liqo.virtualkubelet import remote_pod_network, v0_external_cidr
from liqo_tutor.sim.store import ApiError, Cluster, now_iso

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.objects import LiqoBase

__all__ = ["gateway_endpoint", "sync_v0_network", "unique_name"]

NC = "networkconfigs.net.liqo.io"
TEP = "tunnelendpoints.net.liqo.io"
GATEWAY_LABEL = "net.liqo.io/gateway"
GATEWAY_ANNOTATION = "net.liqo.io/gatewayNodeIP"
NOT_REMAPPED = "None"
BACKEND = "wireguard"
CONNECTED_MSG = "VPN connection established"
CONNECTING_MSG = "Waiting VPN connection to be established"


def unique_name(cluster_name: str, cluster_id: str) -> str:
    """pkg/utils/foreignCluster/uniqueName.go: the name plus 3 bytes of the id's sha256, in hex."""
    return f"{cluster_name}-{hex6(cluster_id)}"


def gateway_endpoint(cluster: Cluster) -> tuple[str, str] | None:
    """(ip, port) the gateway Service advertises, None while the active gateway has not annotated it."""
    found = [
        s
        for s in cluster.list("services", LIQO_NS, {GATEWAY_LABEL: "true"})
        if not s["metadata"].get("deletionTimestamp")
    ]
    if len(found) != 1:
        return None
    svc = found[0]
    ann = svc["metadata"].get("annotations") or {}
    spec = svc.get("spec") or {}
    port = next((p for p in spec.get("ports") or [] if p.get("name") == BACKEND), None)
    if port is None:
        return None
    if spec.get("type") == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [{}]
        ip, number = str(ingress[0].get("ip") or ingress[0].get("hostname") or ""), port.get("port")
    else:
        ip, number = str(ann.get(GATEWAY_ANNOTATION, "")), port.get("nodePort")
    ip = str(ann.get("liqo.io/override-address", ip))
    value = str(ann.get("liqo.io/override-port", number or ""))
    return (ip, value) if ip and value else None


def _annotate_gateway(cluster: Cluster) -> bool:
    """The Running gateway pod writes its node's address on the gateway Service."""
    pods = [
        p
        for p in cluster.list("pods", LIQO_NS, {"app.kubernetes.io/name": "gateway"})
        if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    ]
    if not pods:
        return False
    st = pods[0].get("status") or {}
    ip = str(st.get("hostIP") or _node_ip(cluster, str((pods[0].get("spec") or {}).get("nodeName", ""))))
    changed = False
    for svc in cluster.list("services", LIQO_NS, {GATEWAY_LABEL: "true"}):
        ann = svc["metadata"].get("annotations") or {}
        if not ip or ann.get(GATEWAY_ANNOTATION) == ip:
            continue
        svc["metadata"]["annotations"] = {**ann, GATEWAY_ANNOTATION: ip}
        try:
            cluster.update(svc)
        except ApiError:
            continue
        changed = True
    return changed


def _node_ip(cluster: Cluster, node: str) -> str:
    obj = cluster.get("nodes", None, node) if node else None
    for addr in ((obj or {}).get("status") or {}).get("addresses") or []:
        if addr.get("type") == "InternalIP":
            return str(addr.get("address", ""))
    return ""


def _public_key(cluster: Cluster) -> str:
    """The gateway's WireGuard public key (secret wireguard-pubkey), one per installation."""
    key: str = cluster.private.setdefault(
        "liqo_wg_pubkey", base64.b64encode(hashlib.sha256(f"wg/{cluster.name}".encode()).digest()).decode()
    )
    return key


def _fc_of(x: Info, remote_id: str) -> Obj | None:
    for fc in x.cluster.list(FC_V0):
        if ((fc.get("spec") or {}).get("clusterIdentity") or {}).get("clusterID") == remote_id:
            return fc
    return None


def _tenant(x: Info, fc: Obj | None) -> str:
    tns = str((((fc or {}).get("status") or {}).get("tenantNamespace") or {}).get("local") or "")
    return tns if tns and x.cluster.namespace_exists(tns) else ""


def _joined(fc: Obj | None) -> bool:
    if fc is None or fc["metadata"].get("deletionTimestamp"):
        return False
    if (fc.get("spec") or {}).get("peeringType") != "OutOfBand":
        return False
    conds = (fc.get("status") or {}).get("peeringConditions") or []
    return "Established" in (
        _cond(conds, "OutgoingPeering").get("status"),
        _cond(conds, "IncomingPeering").get("status"),
    )


def _nc_spec(x: Info, r: Info) -> Obj | None:
    """What x's netcfgCreator writes for its peering with r, None until x's gateway was first advertised.

    Its service watcher (netcfgcreator/servicewatcher.go) keeps the last valid endpoint when the
    Service loses its label or annotation."""
    found = gateway_endpoint(x.cluster)
    if found is not None:
        x.cluster.private["liqo_v0_gateway_endpoint"] = list(found)
    last = x.cluster.private.get("liqo_v0_gateway_endpoint")
    if not last:
        return None
    ep = (str(last[0]), str(last[1]))
    return {
        "cluster": {"clusterID": r.cluster_id, "clusterName": r.cluster_name},
        "podCIDR": x.cluster.spec.pod_subnet,
        "externalCIDR": str(v0_external_cidr(x)),
        "endpointIP": ep[0],
        "backendType": BACKEND,
        "backend_config": {"publicKey": _public_key(x.cluster), "port": ep[1]},
    }


def _nat(mapped: ipaddress.IPv4Network, original: str) -> str:
    return NOT_REMAPPED if str(mapped) == str(ipaddress.ip_network(original, strict=False)) else str(mapped)


def _processed_by(o: Info, r: Info) -> Obj:
    """Status that cluster o's tunnelendpointcreator writes on r's NetworkConfig (how o remaps r)."""
    return {
        "processed": True,
        "podCIDRNAT": _nat(remote_pod_network(o, r), r.cluster.spec.pod_subnet),
        "externalCIDRNAT": _nat(remote_pod_network(o, r, "external"), str(v0_external_cidr(r))),
    }


def _owner(obj: Obj, controller: bool) -> Obj:
    ref: Obj = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"].get("uid", ""),
        "blockOwnerDeletion": True,
    }
    if controller:
        ref["controller"] = True
    return ref


def _wanted(x: Info, r: Info | None, fc: Obj) -> list[tuple[str, Obj, Obj | None]]:
    """(kind key, object, status) that should exist in x's tenant namespace for its peering with r."""
    tns = _tenant(x, fc)
    if r is None or not tns:
        return []
    out: list[tuple[str, Obj, Obj | None]] = []
    theirs = _fc_of(r, x.cluster_id)
    mine_spec = _nc_spec(x, r) if _joined(fc) else None
    their_spec = _nc_spec(r, x) if _joined(theirs) and _tenant(r, theirs) else None
    fc_ref = _owner(fc, controller=True)
    local: Obj | None = None
    if mine_spec is not None:
        local = {
            "apiVersion": "net.liqo.io/v1alpha1",
            "kind": "NetworkConfig",
            "metadata": {
                "name": unique_name(r.cluster_name, r.cluster_id),
                "namespace": tns,
                "labels": {
                    "liqo.io/replication": "true",
                    "liqo.io/ownership": "netcfgCreator",
                    "liqo.io/remoteID": r.cluster_id,
                },
                "ownerReferences": [fc_ref],
            },
            "spec": mine_spec,
        }
        replicated = bool(_tenant(r, theirs))
        out.append((NC, local, _processed_by(r, x) if replicated else None))
    if their_spec is not None:
        copy = {
            "apiVersion": "net.liqo.io/v1alpha1",
            "kind": "NetworkConfig",
            "metadata": {
                "name": unique_name(x.cluster_name, x.cluster_id),
                "namespace": tns,
                "labels": {
                    "liqo.io/replication": "false",
                    "liqo.io/replicated": "true",
                    "liqo.io/originID": r.cluster_id,
                    "liqo.io/remoteID": x.cluster_id,
                },
                "ownerReferences": [_owner(fc, controller=False)],
            },
            "spec": their_spec,
        }
        out.append((NC, copy, _processed_by(x, r)))
    if local is not None and out[0][2] is not None and their_spec is not None:
        out.append(_tunnel_endpoint(x, r, fc, local, out[0][2], their_spec, out[-1][2] or {}))
    return out


def _tunnel_endpoint(
    x: Info, r: Info, fc: Obj, local: Obj, local_st: Obj, remote_spec: Obj, remote_st: Obj
) -> tuple[str, Obj, Obj | None]:
    spec = local["spec"]
    body: Obj = {
        "apiVersion": "net.liqo.io/v1alpha1",
        "kind": "TunnelEndpoint",
        "metadata": {
            "name": local["metadata"]["name"],
            "namespace": local["metadata"]["namespace"],
            "labels": {"clusterID": r.cluster_id},
            "ownerReferences": [],  # filled once the local NetworkConfig has its uid
        },
        "spec": {
            "clusterIdentity": {"clusterID": r.cluster_id, "clusterName": r.cluster_name},
            "localPodCIDR": spec["podCIDR"],
            "localNATPodCIDR": local_st["podCIDRNAT"],
            "localExternalCIDR": spec["externalCIDR"],
            "localNATExternalCIDR": local_st["externalCIDRNAT"],
            "remotePodCIDR": remote_spec["podCIDR"],
            "remoteNATPodCIDR": remote_st["podCIDRNAT"],
            "remoteExternalCIDR": remote_spec["externalCIDR"],
            "remoteNATExternalCIDR": remote_st["externalCIDRNAT"],
            "endpointIP": remote_spec["endpointIP"],
            "backendType": BACKEND,
            "backend_config": dict(remote_spec["backend_config"]),
        },
    }
    conds = (fc.get("status") or {}).get("peeringConditions") or []
    connected = _cond(conds, "NetworkStatus").get("status") == "Established"
    pod = remote_st["podCIDRNAT"] if remote_st["podCIDRNAT"] != NOT_REMAPPED else remote_spec["podCIDR"]
    ext = (
        remote_st["externalCIDRNAT"]
        if remote_st["externalCIDRNAT"] != NOT_REMAPPED
        else remote_spec["externalCIDR"]
    )
    status: Obj = {
        "connection": {
            "status": "Connected" if connected else "Connecting",
            "statusMessage": CONNECTED_MSG if connected else CONNECTING_MSG,
            "peerConfiguration": {
                "endpointIP": remote_spec["endpointIP"],
                "port": remote_spec["backend_config"]["port"],
                "allowedIPs": f"{pod}, {ext}",
                "publicKey": remote_spec["backend_config"]["publicKey"],
            },
            "latency": {"value": _latency(x, r) if connected else "N/A"},
        },
        "gatewayIP": spec["endpointIP"],  # the gateway pod runs on the host network
        "vethIFaceName": "liqo.host",
        "vethIP": "169.254.100.1",
    }
    return TEP, body, status


def _latency(x: Info, r: Info) -> str:
    """A round trip between two kind nodes of one docker network: a few hundred microseconds."""
    micros = 180 + int(hashlib.sha256(f"{x.cluster_id}/{r.cluster_id}".encode()).hexdigest()[:4], 16) % 600
    return f"{micros}μs"


def _apply(cluster: Cluster, key: str, body: Obj, status: Obj | None) -> bool:
    meta = body["metadata"]
    current = cluster.get(key, meta["namespace"], meta["name"])
    changed = False
    if current is None:
        cluster.create(body)
        current = cluster.get(key, meta["namespace"], meta["name"])
        changed = True
    elif current.get("spec") != body["spec"] or (current["metadata"].get("labels") or {}) != meta["labels"]:
        current["spec"] = body["spec"]
        current["metadata"]["labels"] = meta["labels"]
        cluster.update(current)
        changed = True
    if current is not None and status is not None:
        old = current.get("status") or {}
        new = _stamped(old, status)
        if old != new:
            cluster.update_status(key, meta["namespace"], meta["name"], new)
            changed = True
    return changed


def _stamped(old: Obj, status: Obj) -> Obj:
    """The status with the latency timestamp of the last connection status change."""
    if "connection" not in status:
        return status
    before = old.get("connection") or {}
    stamp = (before.get("latency") or {}).get("timestamp")
    if not stamp or before.get("status") != status["connection"]["status"]:
        stamp = now_iso()
    conn = status["connection"]
    return {**status, "connection": {**conn, "latency": {**conn["latency"], "timestamp": stamp}}}


def sync_v0_network(base: LiqoBase, infos: dict[str, Info], v0: list[Info]) -> bool:
    """Bring every v0 cluster's gateway annotation, NetworkConfigs and TunnelEndpoints to what the
    ForeignClusters ask for; objects nobody asks for any more go."""
    changed = False
    for x in v0:
        cluster = x.cluster
        changed |= _annotate_gateway(cluster)
        if cluster.kind_for(NC) is None or cluster.kind_for(TEP) is None:
            continue
        keep: set[tuple[str, str, str]] = set()
        for fc in cluster.list(FC_V0):
            rid = ((fc.get("spec") or {}).get("clusterIdentity") or {}).get("clusterID", "")
            r = base.by_id(infos, rid, x.line)
            for key, body, status in _wanted(x, r, fc):
                if key == TEP:
                    local = cluster.get(NC, body["metadata"]["namespace"], body["metadata"]["name"])
                    if local is None:
                        continue
                    body["metadata"]["ownerReferences"] = [_owner(local, False), _owner(fc, True)]
                keep.add((key, body["metadata"]["namespace"], body["metadata"]["name"]))
                try:
                    changed |= _apply(cluster, key, body, status)
                except ApiError:
                    continue
        for key in (TEP, NC):
            for obj in cluster.list(key):
                meta = obj["metadata"]
                if (key, meta.get("namespace", ""), meta["name"]) in keep or meta.get("deletionTimestamp"):
                    continue
                try:
                    cluster.delete(key, meta.get("namespace"), meta["name"])
                except ApiError:
                    continue
                changed = True
    return changed

"""Liqo v0.x peering (out-of-band): auth token, ForeignCluster status and tenant namespaces; the
network objects of each peering live in network_v0.py."""

from __future__ import annotations

import base64
import secrets

from liqo_tutor.sim.liqo.network_v0 import sync_v0_network
from liqo_tutor.sim.liqo.objects import (
    FC_V0,
    LIQO_NS,
    Info,
    LiqoBase,
    Obj,
    _cond,
    _create,
    _has,
    _merge_conditions,
    hex6,
)
from liqo_tutor.sim.store import World

__all__ = ["V0Peering"]


class V0Peering(LiqoBase):
    """v0: the ForeignCluster peering conditions, both directions."""

    # -- v0 -----------------------------------------------------------------------------------

    @staticmethod
    def _v0_auth_token(i: Info) -> bool:
        if i.cluster.get("secrets", LIQO_NS, "auth-token") is not None:
            return False

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
        # The network of each peering (NetworkConfigs, TunnelEndpoint), following the FC conditions.
        changed |= sync_v0_network(self, infos, v0)
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
        # v0.9+ (foreign-cluster-operator/apiserverchecker.go): once the identity towards the remote
        # cluster exists (the outgoing authentication), a checker pings the remote API server (/livez)
        # and keeps APIServerStatus up to date until the ForeignCluster is deleted.
        if x.line.minor >= 9 and ((mine and mine["auth"]) or _cond(old_conds, "APIServerStatus")):
            ready = r is not None
            conds.append(
                c(
                    "APIServerStatus",
                    "Established" if ready else "Error",
                    "APIServerReady" if ready else "APIServerNotReady",
                    f"The remote cluster API Server is {'ready' if ready else 'not ready'}",
                )
            )
        status = {**old, "tenantNamespace": tenant, "peeringConditions": _merge_conditions(old_conds, conds)}
        if status != old:
            fc_meta = fc["metadata"]
            x.cluster.update_status(FC_V0, None, fc_meta["name"], status)
            if out_status == "Established" and prev_out != "Established":
                world.record(x.name, f"peered with {spec.get('clusterIdentity', {}).get('clusterName', rid)}")
            changed = True
        return changed

"""Liqo v1.x: `liqoctl peer` and `liqoctl unpeer` with --remote-kubeconfig."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res, wait_for
from liqo_tutor.sim.liqo import delay as sim_delay
from liqo_tutor.sim.liqo import scaled
from liqo_tutor.sim.tools.liqoctl.cli import Ctx
from liqo_tutor.sim.tools.liqoctl.common import (
    CLUSTERID_CM,
    CRD,
    NODES,
    NS,
    REMOTE_ID_LABEL,
    SVC,
    Obj,
    client,
    cond_status,
    identity,
    res,
)

__all__ = ["cmd_peer_v1", "cmd_unpeer_v1"]


# --------------------------------------------------------------------------------------------
# v1: peer / unpeer --remote-kubeconfig
# --------------------------------------------------------------------------------------------


@dataclass
class Pair:
    local: KubeClient
    remote: KubeClient
    local_id: str
    remote_id: str


def _pair(ctx: Ctx) -> Pair:
    out = ctx.out
    local = client(ctx)
    if not ctx.f("remote-kubeconfig") and not ctx.f("remote-context"):
        raise out.fail("remote kubeconfig not specified: use --remote-kubeconfig")
    remote = client(ctx, remote=True)
    if local.same_cluster(remote):
        raise out.fail("local and remote clusters must be different")
    ids = []
    for kc, ns, where in (
        (local, ctx.f("namespace"), "local"),
        (remote, ctx.f("remote-namespace"), "remote"),
    ):
        try:
            ident = identity(kc, ns)
        except ApiError as exc:
            raise out.fail(f"unable to get the {where} cluster identity: {exc.message}") from None
        if not ident or not ident.get("CLUSTER_ID"):
            raise out.fail(
                f'unable to get the {where} cluster identity: configmaps "{CLUSTERID_CM}" not found '
                f"(is Liqo installed in the {where} cluster?)"
            )
        ids.append(ident["CLUSTER_ID"])
    if ids[0] == ids[1]:
        raise out.fail("local and remote clusters must be different")
    return Pair(local, remote, ids[0], ids[1])


def _tenant_ns(kc: KubeClient, remote_id: str) -> str:
    name = f"liqo-tenant-{remote_id}"
    if kc.get(NS, name) is None:
        kc.create(
            NS,
            {
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "labels": {"liqo.io/tenant-namespace": "true", REMOTE_ID_LABEL: remote_id},
                },
            },
        )
    return name


def cmd_peer_v1(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    pair = _pair(ctx)
    total = float(ctx.f("timeout"))
    start = time.monotonic()
    deadline = start + total

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    def hopeless_left() -> float:
        return max(0.0, start + scaled(total) - time.monotonic())

    loc, rem = pair.local, pair.remote
    try:
        loc_tns = _tenant_ns(loc, pair.remote_id)
        rem_tns = _tenant_ns(rem, pair.local_id)
        if not ctx.f("networking-disabled"):
            _peer_network(ctx, pair, loc_tns, rem_tns, left, hopeless_left)
        # authentication
        out.info("Tenant namespace correctly ensured")
        rem_tenant = Res("authentication.liqo.io", "v1beta1", "tenants", True)
        loc_identity = Res("authentication.liqo.io", "v1beta1", "identities", True)
        out.info("Nonce secret ensured")
        out.info("Nonce generated successfully")
        out.info("Nonce retrieved")
        out.info("Nonce signed")
        rem.apply(
            rem_tenant,
            {
                "kind": "Tenant",
                "metadata": {
                    "name": pair.local_id,
                    "namespace": rem_tns,
                    "labels": {REMOTE_ID_LABEL: pair.local_id},
                },
                "spec": {"clusterID": pair.local_id, "tenantCondition": "Active"},
            },
        )
        out.info("Tenant correctly applied on provider cluster")
        if not wait_for(
            lambda: ((rem.get(rem_tenant, pair.local_id, rem_tns) or {}).get("status") or {}).get(
                "authParams"
            ),
            left(),
        ):
            out.error(
                "Failed waiting for the Tenant status to be filled: timed out waiting for the condition"
            )
            raise out.fail("Unable to ensure authentication: timed out waiting for the condition")
        out.info("Tenant status is filled")
        tenant_status = (rem.get(rem_tenant, pair.local_id, rem_tns) or {}).get("status") or {}
        loc.apply(
            loc_identity,
            {
                "kind": "Identity",
                "metadata": {
                    "name": f"controlplane-{pair.remote_id}",
                    "namespace": loc_tns,
                    "labels": {REMOTE_ID_LABEL: pair.remote_id},
                },
                "spec": {
                    "clusterID": pair.remote_id,
                    "type": "ControlPlane",
                    "authParams": dict(tenant_status.get("authParams") or {}),
                },
            },
        )
        out.info("Identity correctly applied on consumer cluster")
        out.info("Identity status is filled")
        # offloading
        if ctx.f("create-resource-slice"):
            rs = res(line, "resourceslices")
            resources = {
                k: v
                for k, v in (("cpu", ctx.f("cpu")), ("memory", ctx.f("memory")), ("pods", ctx.f("pods")))
                if v
            }
            for kv in ctx.f("resource") or []:
                k, _, v = kv.partition("=")
                resources[k] = v
            loc.apply(
                rs,
                {
                    "kind": "ResourceSlice",
                    "metadata": {
                        "name": pair.remote_id,
                        "namespace": loc_tns,
                        "labels": {REMOTE_ID_LABEL: pair.remote_id, "liqo.io/replication": "true"},
                        "annotations": {
                            "liqo.io/create-virtual-node": str(bool(ctx.f("create-virtual-node"))).lower()
                        },
                    },
                    "spec": {
                        "class": ctx.f("resource-slice-class"),
                        "providerClusterID": pair.remote_id,
                        "consumerClusterID": pair.local_id,
                        "resources": resources,
                    },
                },
            )
            out.info("ResourceSlice created")

            def accepted(ctype: str) -> Callable[[], bool]:
                def check() -> bool:
                    obj = loc.get(rs, pair.remote_id, loc_tns) or {}
                    return cond_status((obj.get("status") or {}).get("conditions"), ctype) in (
                        "Accepted",
                        "Denied",
                    )

                return check

            if not wait_for(accepted("Authentication"), left()):
                out.error(
                    "Failed waiting for ResourceSlice authentication: timed out waiting for the condition"
                )
                raise out.fail("Unable to ensure offloading: timed out waiting for the condition")
            out.info("ResourceSlice authentication: Accepted")
            wait_for(accepted("Resources"), left())
            obj = loc.get(rs, pair.remote_id, loc_tns) or {}
            if cond_status((obj.get("status") or {}).get("conditions"), "Resources") == "Accepted":
                out.info("ResourceSlice resources: Accepted")
            else:
                out.warn(
                    "ResourceSlice resources not accepted. The provider cluster may have cordoned the tenant "
                    "or the resourceslice"
                )
    except ApiError as exc:
        raise out.fail(exc.message) from None
    return 0


def _peer_network(
    ctx: Ctx,
    pair: Pair,
    loc_tns: str,
    rem_tns: str,
    left: Callable[[], float],
    hopeless_left: Callable[[], float],
) -> None:
    out = ctx.out
    loc, rem = pair.local, pair.remote
    conf = Res("networking.liqo.io", "v1beta1", "configurations", True)
    gws = Res("networking.liqo.io", "v1beta1", "gatewayservers", True)
    gwc = Res("networking.liqo.io", "v1beta1", "gatewayclients", True)
    conn = Res("networking.liqo.io", "v1beta1", "connections", True)
    out.info("Network configuration correctly retrieved")
    for kc, tns, rid in ((loc, loc_tns, pair.remote_id), (rem, rem_tns, pair.local_id)):
        kc.apply(
            conf,
            {
                "kind": "Configuration",
                "metadata": {"name": rid, "namespace": tns, "labels": {REMOTE_ID_LABEL: rid}},
                "spec": {"remote": {"cidr": {"pod": ["10.200.0.0/16"], "external": ["10.70.0.0/16"]}}},
            },
        )
    out.info("Network configuration correctly set up")
    out.info("Configuration applied successfully")
    out.info("Network correctly initialized")
    stype = ctx.f("gw-server-service-type")
    if stype not in ("LoadBalancer", "NodePort", "ClusterIP"):
        raise out.fail(f'Unable to ensure networking: invalid service type "{stype}"')
    server_name = f"gw-{pair.local_id}"
    existing = rem.get(gws, server_name, rem_tns)
    if (
        existing is not None
        and ((existing.get("spec") or {}).get("endpoint") or {}).get("serviceType") != stype
    ):
        rem.delete(gws, server_name, rem_tns)
        out.info("Deleted existing gateway server")
    rem.apply(
        gws,
        {
            "kind": "GatewayServer",
            "metadata": {
                "name": server_name,
                "namespace": rem_tns,
                "labels": {REMOTE_ID_LABEL: pair.local_id},
            },
            "spec": {
                "mtu": int(ctx.f("mtu")),
                "endpoint": {
                    "serviceType": stype,
                    "port": int(ctx.f("gw-server-service-port")),
                    "nodePort": int(ctx.f("gw-server-service-nodeport")) or None,
                    "loadBalancerIP": ctx.f("gw-server-service-loadbalancerip") or None,
                },
            },
        },
    )
    out.info("Gateway server correctly set up")

    def endpoint() -> Obj | None:
        st = (rem.get(gws, server_name, rem_tns) or {}).get("status") or {}
        ep = st.get("endpoint") or {}
        return ep if ep.get("addresses") else None

    def lb_hopeless() -> bool:
        svc = rem.get(SVC, server_name, rem_tns) or {}
        return (svc.get("spec") or {}).get("type") == "LoadBalancer" and not (
            (svc.get("status") or {}).get("loadBalancer") or {}
        ).get("ingress")

    ep = wait_for(endpoint, left(), hopeless=lb_hopeless, hopeless_timeout=hopeless_left())
    if ep is None:
        out.error(
            "Failed waiting for gateway server Service to be created: timed out waiting for the condition"
        )
        raise out.fail("Unable to ensure networking: timed out waiting for the condition")
    out.info(f"Gateway pod {server_name} is ready")
    out.info("Gateway server Service created successfully")
    client_name = f"gw-{pair.remote_id}"
    loc.apply(
        gwc,
        {
            "kind": "GatewayClient",
            "metadata": {
                "name": client_name,
                "namespace": loc_tns,
                "labels": {REMOTE_ID_LABEL: pair.remote_id},
            },
            "spec": {
                "mtu": int(ctx.f("mtu")),
                "endpoint": {"addresses": ep.get("addresses"), "port": ep.get("port"), "protocol": "UDP"},
            },
        },
    )
    out.info("Gateway client correctly set up")
    out.info(f"Gateway pod {client_name} is ready")
    out.info("Secrets correctly exchanged")
    out.info("Public keys correctly exchanged")

    def connected(kc: KubeClient, tns: str) -> Callable[[], bool]:
        def check() -> bool:
            return any(((c.get("status") or {}).get("value") == "Connected") for c in kc.list(conn, tns))

        return check

    def conn_hopeless() -> bool:
        return str(ep.get("serviceType", "")) == "ClusterIP" if ep else False

    for kc, tns in ((loc, loc_tns), (rem, rem_tns)):
        out.step("Waiting for Connection status to be established")
        if not wait_for(connected(kc, tns), left(), hopeless=conn_hopeless, hopeless_timeout=hopeless_left()):
            out.error(
                "Failed waiting for Connection status to be established: timed out waiting for the condition"
            )
            raise out.fail("Unable to ensure networking: timed out waiting for the condition")
        out.info("Connection created successfully")
        out.info("Connection is established")


def _absent(kc: KubeClient, r: Res, namespace: str) -> Callable[[], bool]:
    def check() -> bool:
        return kc.get(NS, namespace) is None or not kc.list(r, namespace)

    return check


def cmd_unpeer_v1(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    pair = _pair(ctx)
    loc, rem = pair.local, pair.remote
    fcr = res(line, "foreignclusters")
    timeout = float(ctx.f("timeout"))
    try:
        fc = loc.get(fcr, pair.remote_id) if loc.get(CRD, line.fc_key) else None
        if fc is None:
            raise out.fail(
                "an error occurred while checking bidirectional peering: "
                f'{line.fc_key} "foreign cluster with ID {pair.remote_id}" not found'
            )
        rem_fc = rem.get(fcr, pair.local_id) or {}
        bidirectional = (rem_fc.get("status") or {}).get("role") in ("Provider", "ConsumerAndProvider")
        if bidirectional and ctx.f("delete-namespaces"):
            raise out.fail("cannot delete the tenant namespaces: the peering is bidirectional")
        loc_tns = f"liqo-tenant-{pair.remote_id}"
        rem_tns = f"liqo-tenant-{pair.local_id}"
        for plural, label in (("resourceslices", "resourceslices"), ("virtualnodes", "virtualnodes")):
            r = res(line, plural)
            out.step(f"Deleting {label}")
            items = loc.list(r, loc_tns) if loc.get(NS, loc_tns) else []
            for it in items:
                loc.delete(r, it["metadata"]["name"], loc_tns)
            out.info(f"All {label} deleted" if items else f"No {label} found")
            if ctx.f("wait"):
                out.step(f"Waiting for {label.replace('resourceslices', 'resource slices')} to be deleted")
                if not wait_for(_absent(loc, r, loc_tns), timeout):
                    raise out.fail(
                        f"Failed waiting for {label} deletion: timed out waiting for the condition"
                    )
                out.info(f"Ensured {label} absence")
        if ctx.f("wait"):
            wait_for(
                lambda: (
                    not loc.list(
                        NODES, labels={REMOTE_ID_LABEL: pair.remote_id, "liqo.io/type": "virtual-node"}
                    )
                ),
                timeout,
            )
        ident_r = Res("authentication.liqo.io", "v1beta1", "identities", True)
        tenant_r = Res("authentication.liqo.io", "v1beta1", "tenants", True)
        out.step("Deleting identity")
        gone = [
            loc.delete(ident_r, i["metadata"]["name"], loc_tns)
            for i in (loc.list(ident_r, loc_tns) if loc.get(NS, loc_tns) else [])
        ]
        out.info("Identity correctly deleted" if gone else "Identity already deleted")
        out.step("Deleting tenant")
        gone = [
            rem.delete(tenant_r, t["metadata"]["name"], rem_tns)
            for t in (rem.list(tenant_r, rem_tns) if rem.get(NS, rem_tns) else [])
        ]
        out.info("Tenant correctly deleted" if gone else "Tenant already deleted")
        if not bidirectional:
            conf = Res("networking.liqo.io", "v1beta1", "configurations", True)
            gws = Res("networking.liqo.io", "v1beta1", "gatewayservers", True)
            gwc = Res("networking.liqo.io", "v1beta1", "gatewayclients", True)
            for what, kc, r, name, tns in (
                ("gateway client", loc, gwc, f"gw-{pair.remote_id}", loc_tns),
                ("gateway server", rem, gws, f"gw-{pair.local_id}", rem_tns),
            ):
                out.step(f"Deleting {what}")
                done = kc.delete(r, name, tns) if kc.get(NS, tns) else False
                out.info(
                    f"{what.capitalize()} correctly deleted"
                    if done
                    else f"{what.capitalize()} already deleted"
                )
            out.step("Deleting network configuration")
            done = False
            for kc, tns, rid in ((loc, loc_tns, pair.remote_id), (rem, rem_tns, pair.local_id)):
                if kc.get(NS, tns):
                    done = kc.delete(conf, rid, tns) or done
            out.info(
                "Network configuration correctly deleted" if done else "Network configuration already deleted"
            )
        time.sleep(sim_delay("unpeer"))
        if ctx.f("delete-namespaces"):
            out.step("Deleting tenant namespaces")
            loc.delete(NS, loc_tns)
            rem.delete(NS, rem_tns)
            out.info("Tenant namespaces correctly deleted")
    except ApiError as exc:
        raise out.fail(exc.message) from None
    return 0

"""Liqo v0.x: `liqoctl generate peer-command`, `peer out-of-band`, `unpeer out-of-band`."""

from __future__ import annotations

import time
from collections.abc import Callable

from liqo_tutor.sim.kclient import ApiError, KubeClient, wait_for
from liqo_tutor.sim.liqo import scaled
from liqo_tutor.sim.tools.liqoctl.cli import Ctx, Printer
from liqo_tutor.sim.tools.liqoctl.common import (
    CLUSTERID_CM,
    CRD,
    NODES,
    PROG,
    REMOTE_ID_LABEL,
    SECRETS,
    SVC,
    Obj,
    b64,
    client,
    cond,
    cond_status,
    confirm,
    identity,
    res,
    unb64,
)

__all__ = ["cmd_generate_peer", "cmd_peer_oob", "cmd_unpeer_oob"]


# --------------------------------------------------------------------------------------------
# v0: generate peer-command, peer/unpeer out-of-band
# --------------------------------------------------------------------------------------------


def _node_ip(kc: KubeClient) -> str:
    for node in kc.list(NODES):
        if (node["metadata"].get("labels") or {}).get("liqo.io/type") == "virtual-node":
            continue
        for addr in (node.get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                return str(addr.get("address"))
    raise ApiError(404, "NotFound", "no node with an InternalIP address found")


def cmd_generate_peer(ctx: Ctx) -> int:
    out = ctx.out
    ns = ctx.f("namespace")
    kc = client(ctx)
    if not ctx.f("only-command"):
        out.step("Retrieving peering information")
    try:
        secret = kc.get(SECRETS, "auth-token", ns)
        if secret is None:
            raise ApiError(404, "NotFound", 'secrets "auth-token" not found')
        token = unb64(str((secret.get("data") or {}).get("token", "")))
        ident = identity(kc, ns)
        if ident is None:
            raise ApiError(404, "NotFound", f'configmaps "{CLUSTERID_CM}" not found')
        svc = kc.get(SVC, "liqo-auth", ns)
        if svc is None:
            raise ApiError(404, "NotFound", 'services "liqo-auth" not found')
        spec = svc.get("spec") or {}
        port = (spec.get("ports") or [{}])[0]
        if spec.get("type") == "NodePort":
            host, p = _node_ip(kc), int(port.get("nodePort") or 0)
        elif spec.get("type") == "LoadBalancer":
            ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if not ingress:
                raise ApiError(404, "NotFound", "no ingress found in the liqo-auth service")
            host, p = str(ingress[0].get("ip") or ingress[0].get("hostname")), int(port.get("port") or 443)
        else:
            host, p = str(spec.get("clusterIP", "")), int(port.get("port") or 443)
        if not p:
            raise ApiError(404, "NotFound", "the liqo-auth service has no node port")
    except ApiError as exc:
        raise out.fail(f"Failed to retrieve peering information: {exc.message}") from None
    url = f"https://{host}" + ("" if p == 443 else f":{p}")
    cluster_id = ident.get("CLUSTER_ID", "")
    name = ident.get("CLUSTER_NAME") or cluster_id
    command = (
        f"{PROG} peer out-of-band {name} --auth-url {url} --cluster-id {cluster_id} --auth-token {token}"
    )
    if ctx.f("only-command"):
        Printer.result(command + "\n")
        return 0
    out.info("Peering information correctly retrieved")
    Printer.result(
        "\nExecute this command on a *different* cluster to enable an outgoing peering with the "
        f"current cluster:\n\n{command}\n"
    )
    return 0


def cmd_peer_oob(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    name = ctx.args[0]
    ns = ctx.f("namespace")
    remote_id = ctx.f("cluster-id")
    kc = client(ctx)
    fcr = res(line, "foreignclusters")
    deadline = time.monotonic() + float(ctx.f("timeout"))
    out.step("Processing cluster peering")
    try:
        ident = identity(kc, ns)
        if ident is None:
            raise ApiError(404, "NotFound", f'configmaps "{CLUSTERID_CM}" not found')
        if ident.get("CLUSTER_ID") == remote_id:
            raise ApiError(
                400,
                "BadRequest",
                "the Cluster ID of the remote cluster is the same of that of the local cluster",
            )
        current = kc.get(fcr, name)
        if current is not None:
            spec = current.get("spec") or {}
            if spec.get("peeringType") == "InBand":
                raise ApiError(
                    400,
                    "BadRequest",
                    f"a peering of type InBand already exists towards remote "
                    f'cluster "{name}", cannot be changed to OutOfBand',
                )
            if (spec.get("clusterIdentity") or {}).get("clusterID") not in (None, "", remote_id):
                raise ApiError(
                    400,
                    "BadRequest",
                    'admission webhook "fc.validate.liqo.io" denied the request: '
                    "The ClusterID value cannot be modified after creation",
                )
        kc.apply(
            SECRETS,
            {
                "kind": "Secret",
                "metadata": {
                    "name": f"remote-token-{remote_id}",
                    "namespace": ns,
                    "labels": {"discovery.liqo.io/cluster-id": remote_id, "discovery.liqo.io/auth-token": ""},
                },
                "data": {"token": b64(ctx.f("auth-token"))},
            },
        )
        fc: Obj = {
            "kind": "ForeignCluster",
            "metadata": {"name": name, "labels": {"discovery.liqo.io/cluster-id": remote_id}},
            "spec": {
                "peeringType": "OutOfBand",
                "clusterIdentity": {"clusterID": remote_id, "clusterName": name},
                "foreignAuthUrl": ctx.f("auth-url"),
                "outgoingPeeringEnabled": "Yes",
                "incomingPeeringEnabled": ((current or {}).get("spec") or {}).get(
                    "incomingPeeringEnabled", "Auto"
                )
                if not ctx.f("incoming")
                else "Yes",
                "insecureSkipTLSVerify": True,
            },
        }
        if current is not None:
            fc["spec"] = {**(current.get("spec") or {}), **fc["spec"]}
        kc.apply(fcr, fc)
    except ApiError as exc:
        raise out.fail(f"Failed peering clusters: {exc.message}") from None
    out.info("Peering enabled")

    def fc_cond(ctype: str) -> Callable[[], bool]:
        def check() -> bool:
            obj = kc.get(fcr, name)
            return (
                cond_status(((obj or {}).get("status") or {}).get("peeringConditions"), ctype)
                == "Established"
            )

        return check

    def auth_hopeless() -> bool:
        obj = kc.get(fcr, name)
        c = cond(((obj or {}).get("status") or {}).get("peeringConditions"), "AuthenticationStatus")
        return c.get("reason") in ("AuthenticationFailed", "RemoteClusterUnreachable")

    def node_ready() -> bool:
        for node in kc.list(NODES, labels={REMOTE_ID_LABEL: remote_id, "liqo.io/type": "virtual-node"}):
            if cond_status((node.get("status") or {}).get("conditions"), "Ready") == "True":
                return True
        return False

    stages = (
        (
            f'Waiting for authentication to the cluster "{name}"',
            fc_cond("AuthenticationStatus"),
            f'Authenticated to cluster "{name}"',
            f'Authentication to the remote cluster "{name}" failed',
        ),
        (
            f'Activating outgoing peering to the remote cluster "{name}"',
            fc_cond("OutgoingPeering"),
            f'Outgoing peering activated to the remote cluster "{name}"',
            f'Failed activating outgoing peering to the remote cluster "{name}"',
        ),
        (
            f'Waiting for network to the remote cluster "{name}"',
            fc_cond("NetworkStatus"),
            f'Network established to the remote cluster "{name}"',
            f'Failed establishing networking to the remote cluster "{name}"',
        ),
        (
            f'Waiting for node to be created for the remote cluster "{name}"',
            node_ready,
            f'Node created for remote cluster "{name}"',
            f'Failed waiting for node to be created for remote cluster "{name}"',
        ),
    )
    start = time.monotonic()
    total = float(ctx.f("timeout"))
    for begin, check, ok, bad in stages:
        out.step(begin)
        left = max(0.0, deadline - time.monotonic())
        hopeless_left = max(0.0, start + scaled(total) - time.monotonic())
        if not wait_for(check, left, hopeless=auth_hopeless, hopeless_timeout=hopeless_left):
            raise out.fail(f"{bad}: timed out waiting for the condition")
        out.info(ok)
    out.info("Peering successfully established")
    return 0


def cmd_unpeer_oob(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    if line.has_skip_confirm:
        confirm(ctx, "unpeer")
    name = ctx.args[0]
    kc = client(ctx)
    fcr = res(line, "foreignclusters")
    out.step("Processing cluster unpeering")
    try:
        fc = kc.get(fcr, name) if kc.get(CRD, line.fc_key) else None
        if fc is None:
            raise ApiError(404, "NotFound", f'{line.fc_key} "{name}" not found')
        if (fc.get("spec") or {}).get("peeringType") != "OutOfBand":
            raise ApiError(
                400,
                "BadRequest",
                f'the peering type towards remote cluster "{name}" is '
                f"{(fc.get('spec') or {}).get('peeringType')}, expected OutOfBand",
            )
        # v0.10.3 unpeeroob/handler.go: --incoming disables only the incoming side (and its wait,
        # wait.go ForIncomingUnpeering, only checks that spec), leaving the ForeignCluster in place.
        fc["spec"]["incomingPeeringEnabled" if ctx.f("incoming") else "outgoingPeeringEnabled"] = "No"
        # Whether to remove the ForeignCluster is decided on the object the Update returned (the
        # status as it was then), not on a fresh read after the wait.
        fc = kc.update(fcr, fc)
    except ApiError as exc:
        raise out.fail(f"Failed unpeering clusters: {exc.message}") from None
    if ctx.f("incoming"):
        out.info("Incoming peering marked as disabled")
        out.step(f'Disabling incoming peering to the remote cluster "{name}"')
        out.info(f'Successfully disabled incoming peering to the remote cluster "{name}"')
        return 0
    out.info("Outgoing peering marked as disabled")
    out.step(f'Disabling outgoing peering to the remote cluster "{name}"')

    def disabled() -> Obj | None:
        obj = kc.get(fcr, name)
        if obj is None:
            return {"gone": True}
        st = cond_status(((obj.get("status") or {}).get("peeringConditions")), "OutgoingPeering")
        return obj if st in ("", "None") else None

    final = wait_for(disabled, float(ctx.f("timeout")))
    if final is None:
        raise out.fail(
            f'Failed disabling outgoing peering to the remote cluster "{name}": '
            "timed out waiting for the condition"
        )
    out.info(f'Successfully disabled outgoing peering to the remote cluster "{name}"')
    incoming = cond_status(((fc.get("status") or {}).get("peeringConditions")), "IncomingPeering")
    if incoming not in ("", "None"):
        out.warn("The foreign cluster resource was not removed, as an incoming peering is still active")
        out.warn(f'Issue the unpeer command on the remote cluster "{name}" to disable it')
        return 0
    out.step("Removing the foreign cluster resource")
    try:
        kc.delete(fcr, name)
    except ApiError as exc:
        raise out.fail(f"Failed removing the foreign cluster resource: {exc.message}") from None
    out.info("Foreign cluster resource successfully removed")
    return 0

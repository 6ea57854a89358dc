"""`liqoctl status` and `liqoctl status peer` of the v0 line (pkg/liqoctl/status at v0.10.3; the
per-component lines are printed so since v0.8.2, the "API Server" section exists since v0.9.0 and the
"Configuration / Version" entry since v0.10.2).

- `status`: boxes "Namespace existence check" (✔ liqo control plane namespace liqo exists),
  "Control plane check" (local/pods.go: each Deployment and DaemonSet with `Desired: N, Ready: r/N,
  Available: a/N`, names padded to the longest of both lists), "Local cluster information"
  (local/localinfo.go: Cluster identity with its labels, Configuration/Version, Network CIDRs,
  Endpoints), a blank line between boxes; failed checks end with "some checks failed" (exit 0 anyway,
  handler.go returns nil).
- `status peer [NAME...]`: "Peered Cluster Information" (peer/peerinfo.go): per ForeignCluster its
  type, direction, authentication, network (with --verbose the "Local CIDRs"/"Remote CIDRs" of the
  tenant namespace's NetworkConfigs; then the "Network connection": the local gateway address from the
  gateway Service, the remote one, status and latency from the TunnelEndpoint), API server and the
  resources acquired through ResourceOffers.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res
from liqo_tutor.sim.quantity import quantity
from liqo_tutor.sim.tools.liqoctl.boxes import CHECK, CROSS, Section, box
from liqo_tutor.sim.tools.liqoctl.common import CM, DEPLOY, DS, NODES, NS, SVC, Obj, client

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.versions import Line
    from liqo_tutor.sim.tools.liqoctl.cli import Ctx

__all__ = ["cmd_status", "cmd_status_peer"]

FC = Res("discovery.liqo.io", "v1alpha1", "foreignclusters", False)
OFFERS = Res("sharing.liqo.io", "v1alpha1", "resourceoffers", True)
IPAM_STORAGES = Res("net.liqo.io", "v1alpha1", "ipamstorages", False)
NETWORKCONFIGS = Res("net.liqo.io", "v1alpha1", "networkconfigs", True)
TUNNELENDPOINTS = Res("net.liqo.io", "v1alpha1", "tunnelendpoints", True)
DEPLOYMENTS = [
    "liqo-controller-manager",
    "liqo-crd-replicator",
    "liqo-metric-agent",
    "liqo-auth",
    "liqo-proxy",
]
NETWORK_DEPLOYMENTS = ["liqo-network-manager", "liqo-gateway"]
NETWORK_DAEMONSETS = ["liqo-route"]


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _state(kind: str, obj: Obj) -> str:
    st = obj.get("status") or {}
    if kind == "Deployment":
        desired, ready, avail = (
            st.get("replicas", 0),
            st.get("readyReplicas", 0),
            st.get("availableReplicas", 0),
        )
    else:
        desired = st.get("desiredNumberScheduled", 0)
        ready, avail = st.get("numberReady", 0), st.get("numberAvailable", 0)
    return f"Desired: {desired}, Ready: {ready}/{desired}, Available: {avail}/{desired}"


def _control_plane(kc: KubeClient, ns: str) -> tuple[Section, list[str]]:
    errors: list[str] = []
    longest = max(len(n) for n in DEPLOYMENTS + NETWORK_DEPLOYMENTS + NETWORK_DAEMONSETS)
    root = Section()
    for kind, res, names in (
        ("Deployment", DEPLOY, DEPLOYMENTS + NETWORK_DEPLOYMENTS),
        ("DaemonSet", DS, NETWORK_DAEMONSETS),
    ):
        section = root.section(kind)
        own = max(len(n) for n in names)
        for name in names:
            obj = kc.get(res, name, ns)
            if obj is None:
                what = "deployments.apps" if kind == "Deployment" else "daemonsets.apps"
                errors.append(
                    f"unable to collect status for {kind[0].lower() + kind[1:]} {name} in namespace {ns}: "
                    f'{what} "{name}" not found'
                )
                continue
            section.entry(name, " " * (longest - own) + _state(kind, obj))
    return root, errors


def _node_ip(kc: KubeClient) -> str:
    for node in kc.list(NODES):
        if "node-role.kubernetes.io/control-plane" in (node["metadata"].get("labels") or {}):
            for addr in (node.get("status") or {}).get("addresses") or []:
                if addr.get("type") == "InternalIP":
                    return str(addr.get("address", ""))
    return ""


def _local_info(kc: KubeClient, ns: str, line: Line) -> Section:
    data = (kc.get(CM, "liqo-clusterid-configmap", ns) or {}).get("data") or {}
    root = Section()
    ident = root.section("Cluster identity")
    ident.entry("Cluster ID", str(data.get("CLUSTER_ID", ""))).entry(
        "Cluster name", str(data.get("CLUSTER_NAME", ""))
    )
    dep = kc.get(DEPLOY, "liqo-controller-manager", ns) or {}
    containers = dep.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}]
    for arg in containers[0].get("args") or []:
        if str(arg).startswith("--cluster-labels="):
            labels = ident.section("Cluster labels")
            for kv in str(arg).split("=", 1)[1].split(","):
                k, _, v = kv.partition("=")
                labels.entry(k, v)
    if line.v1 or (line.minor, line.patch) >= (10, 2):
        version = str(containers[0].get("image", "")).rpartition(":")[2]
        root.section("Configuration").entry("Version", version)
    net = root.section("Network")
    storages = kc.list(IPAM_STORAGES)
    spec = (storages[0].get("spec") or {}) if storages else {}
    net.entry("Pod CIDR", str(spec.get("podCIDR", ""))).entry(
        "Service CIDR", str(spec.get("serviceCIDR", ""))
    )
    net.entry("External CIDR", str(spec.get("externalCIDR", "")))
    if spec.get("reservedSubnets"):
        net.entry("Reserved Subnets", *spec["reservedSubnets"])
    ip = _node_ip(kc)
    endpoints = root.section("Endpoints")
    ports = {}
    for name in ("liqo-gateway", "liqo-auth"):
        svc = kc.get(SVC, name, ns) or {}
        ports[name] = next((p.get("nodePort") for p in (svc.get("spec") or {}).get("ports") or []), "")
    # localinfo.go getVpnEndpointLocalAddress: the gateway Service's net.liqo.io/gatewayNodeIP annotation.
    gw_ann = ((kc.get(SVC, "liqo-gateway", ns) or {}).get("metadata") or {}).get("annotations") or {}
    gw_ip = str(gw_ann.get("net.liqo.io/gatewayNodeIP") or ip)
    endpoints.entry("Network gateway", f"udp://{gw_ip}:{ports['liqo-gateway']}")
    endpoints.entry("Authentication", f"https://{ip}:{ports['liqo-auth']}")
    endpoints.entry("Kubernetes API server", f"https://{ip}:6443")
    return root


def cmd_status(ctx: Ctx) -> int:
    kc = client(ctx)
    ns = str(ctx.f("namespace"))
    try:
        exists = kc.get(NS, ns) is not None
        if not exists:
            body = f'{CROSS} liqo control plane namespace {ns} is not OK\nReason: namespaces "{ns}" not found'
            _write(box("Namespace existence check", _text(body)) + "\n")
            ctx.out.error("some checks failed")
            return 0
        ns_box = box(
            "Namespace existence check", _text(f"INFO: {CHECK} liqo control plane namespace {ns} exists")
        )
        plane, errors = _control_plane(kc, ns)
        plane_text = box("Control plane check", plane)
        if errors:
            plane_text = (
                plane_text[: -(len("─" * 82) + 1)] + "\n" + "\n".join(f"ERRO: {e}" for e in errors) + "\n"
            )
            plane_text += "─" * 82 + "\n"
        local = box("Local cluster information", _local_info(kc, ns, ctx.line))
    except ApiError as exc:
        ctx.out.error(exc.message)
        return 1
    _write(ns_box + "\n" + plane_text + "\n" + local)
    if errors:
        ctx.out.error("some checks failed")
    return 0


def _text(body: str) -> Section:
    """A box whose body is already formatted text."""
    section = Section()
    for line in body.splitlines():
        section.sections.append(Section(line))
    return section


def _cond(fc: Obj, ctype: str) -> str:
    for c in (fc.get("status") or {}).get("peeringConditions") or []:
        if c.get("type") == ctype:
            return str(c.get("status", ""))
    return "None"


def _resources(section: Section, offers: list[Obj]) -> None:
    total = {"cpu": 0.0, "memory": 0.0, "pods": 0.0, "ephemeral-storage": 0.0}
    for offer in offers:
        hard = ((offer.get("spec") or {}).get("resourceQuota") or {}).get("hard") or {}
        for k in total:
            total[k] += quantity(str(hard.get(k, "0")))
    section.entry("cpu", f"{round(total['cpu'] * 1000)}m")
    section.entry("memory", f"{total['memory'] / 1e6 / 1024:.2f}GiB")
    section.entry("pods", str(int(total["pods"])))
    section.entry("ephemeral-storage", f"{total['ephemeral-storage'] / 1e6 / 1024:.2f}GiB")


def _cidrs(kc: KubeClient, net: Section, tenant: str, local_name: str, fc_name: str) -> None:
    """peerinfo.go addNetworkSection (--verbose): each NetworkConfig of the tenant namespace, the
    local one (label liqo.io/replication=true) as "Local CIDRs", the replicated one as "Remote CIDRs"."""
    found = {"Local CIDRs": False, "Remote CIDRs": False}
    for nc in kc.list(NETWORKCONFIGS, tenant) if tenant else []:
        local = (nc["metadata"].get("labels") or {}).get("liqo.io/replication") == "true"
        title = "Local CIDRs" if local else "Remote CIDRs"
        found[title] = True
        how = (
            f'how "{local_name}" has been remapped by "{fc_name}"'
            if local
            else f'how "{local_name}" remapped "{fc_name}"'
        )
        spec, st = nc.get("spec") or {}, nc.get("status") or {}
        section = net.section(title)
        section.section("Original").entry("Pod CIDR", str(spec.get("podCIDR", ""))).entry(
            "External CIDR", str(spec.get("externalCIDR", ""))
        )
        remapped = section.section(f"Remapped - {how}")
        for key, field in (("Pod CIDR", "podCIDRNAT"), ("External CIDR", "externalCIDRNAT")):
            value = str(st.get(field, ""))
            remapped.entry(key, "remapping not necessary" if value == "None" else value)
    for title, seen in found.items():
        if not seen:
            net.section(f"{title} - NetWorkConfig Not Found")


def _vpn(kc: KubeClient, net: Section, ns: str, rid: str, tenant: str) -> str:
    """peerinfo.go addVpnSection: the local gateway address from its Service (RetrieveWGEPFromService),
    then the TunnelEndpoint labelled clusterID=<remote id> in the tenant namespace. Returns an error."""
    services = kc.list(SVC, ns, {"net.liqo.io/gateway": "true"})
    if not services:
        return 'services "services" not found'
    if len(services) > 1:
        return (
            "multiple resources of type {services} found for label selector {net.liqo.io/gateway=true} "
            f"in namespace {{{ns}}}, when only one was expected"
        )
    svc = services[0]
    ann = svc["metadata"].get("annotations") or {}
    spec = svc.get("spec") or {}
    port: Obj = next((p for p in spec.get("ports") or [] if p.get("name") == "wireguard"), {})
    if spec.get("type") == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [{}]
        ip, number = str(ingress[0].get("ip") or ingress[0].get("hostname") or ""), str(port.get("port", ""))
    else:
        if "net.liqo.io/gatewayNodeIP" not in ann:
            return (
                "the node IP where the gateway pod is running has not yet been set as an annotation for "
                f'service "{ns}/{svc["metadata"]["name"]}"'
            )
        ip, number = str(ann["net.liqo.io/gatewayNodeIP"]), str(port.get("nodePort", ""))
    ip = str(ann.get("liqo.io/override-address", ip))
    number = str(ann.get("liqo.io/override-port", number))
    teps = kc.list(TUNNELENDPOINTS, tenant, {"clusterID": rid}) if tenant else []
    if not teps:
        net.section("Network connection - TunnelEndpoint Not Found")
        return ""
    conn = (teps[0].get("status") or {}).get("connection") or {}
    peer = conn.get("peerConfiguration") or {}
    section = net.section("Network connection")
    section.section("Gateway IPs").entry("Local", f"{ip}:{number}").entry(
        "Remote", f"{peer.get('endpointIP', '')}:{peer.get('port', '')}"
    )
    section.entry("Status", str(conn.get("status", "")))
    section.entry("Latency", str((conn.get("latency") or {}).get("value", "")))
    return ""


def _network(kc: KubeClient, one: Section, fc: Obj, ns: str, local_name: str, verbose: bool) -> list[str]:
    """peerinfo.go addNetworkSection; returns the collection errors."""
    ident = (fc.get("spec") or {}).get("clusterIdentity") or {}
    rname, rid = str(ident.get("clusterName", "")), str(ident.get("clusterID", ""))
    net = one.section("Network").entry("Status", _cond(fc, "NetworkStatus"))
    tenant = str(((fc.get("status") or {}).get("tenantNamespace") or {}).get("local") or "")
    try:
        if verbose:
            _cidrs(kc, net, tenant, local_name, str(fc["metadata"]["name"]))
        error = _vpn(kc, net, ns, rid, tenant)
    except ApiError as exc:
        return [f'unable to get network info for cluster "{rname}": {exc.message}']
    if not error:
        return []
    return [
        f"unable to get local network endpoint address: {error}",
        f'unable to get network info for cluster "{rname}": {error}',
    ]


def cmd_status_peer(ctx: Ctx) -> int:
    kc = client(ctx)
    ns = str(ctx.f("namespace"))
    verbose = bool(ctx.f("verbose"))
    try:
        if kc.get(NS, ns) is None:
            body = f'{CROSS} liqo control plane namespace {ns} is not OK\nReason: namespaces "{ns}" not found'
            _write(box("Namespace existence check", _text(body)))
            ctx.out.error("some checks failed")
            return 0
        local_name = str(
            ((kc.get(CM, "liqo-clusterid-configmap", ns) or {}).get("data") or {}).get("CLUSTER_NAME", "")
        )
        fcs = {fc["metadata"]["name"]: fc for fc in kc.list(FC)}
        offers = kc.list(OFFERS)
    except ApiError as exc:
        ctx.out.error(exc.message)
        return 1
    root = Section()
    errors: list[str] = []
    missing = False
    names = list(ctx.args) or sorted(fcs)
    if not names:
        root.entry(f'Local cluster "{local_name}" is not peered with any remote cluster')
    for name in names:
        fc = fcs.get(name)
        if fc is None:
            root.section(f"{name} - Peer Not Found")
            missing = True
            continue
        ident = (fc.get("spec") or {}).get("clusterIdentity") or {}
        rname, rid = str(ident.get("clusterName", name)), str(ident.get("clusterID", ""))
        one = root.section(f"{rname} - {rid}")
        one.entry("Type", str((fc.get("spec") or {}).get("peeringType", "")))
        one.section("Direction").entry("Outgoing", _cond(fc, "OutgoingPeering")).entry(
            "Incoming", _cond(fc, "IncomingPeering")
        )
        auth = one.section("Authentication").entry("Status", _cond(fc, "AuthenticationStatus"))
        if verbose:
            auth.entry("Auth URL", str((fc.get("spec") or {}).get("foreignAuthUrl", "")))
        errors += _network(kc, one, fc, ns, local_name, verbose)
        if ctx.line.minor >= 9:
            one.section("API Server").entry("Status", _cond(fc, "APIServerStatus"))
        res = one.section("Resources")
        if (fc.get("spec") or {}).get("outgoingPeeringEnabled") in ("Yes", "Auto"):
            acquired = [o for o in offers if (o.get("spec") or {}).get("clusterId") == rid]
            _resources(
                res.section(f'Total acquired - resources offered by "{rname}" to "{local_name}"'), acquired
            )
    if errors:
        # peerinfo.go Format: collection errors replace the sections; the handler then reports the failure.
        _write(box("Peered Cluster Information", _text("\n".join(f"ERRO: {e}" for e in errors))))
        ctx.out.error("some checks failed")
        return 0
    _write(box("Peered Cluster Information", root))
    if missing:
        ctx.out.error("some checks failed")
    return 0

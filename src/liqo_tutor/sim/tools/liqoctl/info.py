"""`liqoctl info` and `liqoctl info peer` of the v1 line (pkg/liqoctl/info at v1.2.0).

- `info`: boxes "Local installation info" (Cluster ID, Version = the controller-manager image tag,
  K8s API server, Cluster labels from its --cluster-labels), "Installation health" (every pod of the
  Liqo namespace Ready: "✔    Liqo is healthy", otherwise the unhealthy pods), with `-v` "Network",
  then "Active peerings" (per ForeignCluster: role and the status of its three modules: Healthy when
  every condition is Established/Ready, Disabled when the module is off, else Unhealthy).
- `info peer [ID...]`: per peer "Peer cluster info", "Network", "Authentication", "Offloading".
- `-o json|yaml` prints the collected data (checker IDs as keys); `--get a.b` one field, matched
  case-insensitively, `clusterid` being short for `local.clusterid` (utils.go sPrintField).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res
from liqo_tutor.sim.tools.liqoctl.boxes import CHECK, CROSS, Section, box
from liqo_tutor.sim.tools.liqoctl.common import CM, DEPLOY, NODES, NS, PODS, Obj, client
from liqo_tutor.sim.tools.liqoctl.common import REMOTE_ID_LABEL as REMOTE_ID

if TYPE_CHECKING:
    from liqo_tutor.sim.tools.liqoctl.cli import Ctx

__all__ = ["cmd_info", "cmd_info_peer"]

FC = Res("core.liqo.io", "v1beta1", "foreignclusters", False)
CONF = Res("networking.liqo.io", "v1beta1", "configurations", True)
GWS = Res("networking.liqo.io", "v1beta1", "gatewayservers", True)
GWC = Res("networking.liqo.io", "v1beta1", "gatewayclients", True)
IDENTITIES = Res("authentication.liqo.io", "v1beta1", "identities", True)
SLICES = Res("authentication.liqo.io", "v1beta1", "resourceslices", True)
VNODES = Res("offloading.liqo.io", "v1beta1", "virtualnodes", True)
IPAM_NETWORKS = Res("ipam.liqo.io", "v1alpha1", "networks", True)


class GoMap(dict[str, Any]):
    """A Go map in the collected data: `--get` cannot walk into it (it is not a struct)."""


class Failed(Exception):
    """An error liqoctl printed; exit 1."""


def module_status(module: Obj | None) -> tuple[str, list[str]]:
    """common.CheckModuleStatusAndAlerts."""
    module = module or {}
    if not module.get("enabled"):
        return "Disabled", []
    bad = [c for c in module.get("conditions") or [] if c.get("status") not in ("Established", "Ready")]
    return ("Unhealthy", [str(c.get("message", "")) for c in bad]) if bad else ("Healthy", [])


def _safe_list(
    kc: KubeClient, res: Res, namespace: str | None = None, labels: dict[str, str] | None = None
) -> list[Obj]:
    try:
        return kc.list(res, namespace, labels)
    except ApiError as exc:
        if exc.not_found:
            return []
        raise


def _api_server(kc: KubeClient) -> str:
    for node in kc.list(NODES):
        if "node-role.kubernetes.io/control-plane" in (node["metadata"].get("labels") or {}):
            for addr in (node.get("status") or {}).get("addresses") or []:
                if addr.get("type") == "InternalIP" and addr.get("address"):
                    return f"https://{addr['address']}:6443"
    return ""


def _installation(kc: KubeClient, ns: str, warn: list[str]) -> Obj:
    cm = kc.get(CM, "liqo-clusterid-configmap", ns) or {}
    cluster_id = str((cm.get("data") or {}).get("CLUSTER_ID", ""))
    if not cluster_id:
        warn.append('unable to get cluster id: configmaps "liqo-clusterid-configmap" not found')
    data: Obj = {"clusterID": cluster_id, "version": "", "labels": None, "APIServerAddr": _api_server(kc)}
    deps = kc.list(DEPLOY, ns, {"app.kubernetes.io/name": "controller-manager"})
    containers = [c for d in deps for c in d["spec"]["template"]["spec"].get("containers") or []]
    ctrl = next((c for c in containers if c.get("name") == "controller-manager"), None)
    if ctrl is None:
        warn.append("unable to get Liqo version and cluster labels: controller-manager deployment not found")
        return data
    data["version"] = str(ctrl.get("image", "")).rpartition(":")[2]
    for arg in ctrl.get("args") or []:
        if str(arg).startswith("--cluster-labels="):
            pairs = [kv.partition("=") for kv in str(arg).split("=", 1)[1].split(",") if kv]
            data["labels"] = GoMap({k: v for k, _, v in pairs})
    return data


def _health(kc: KubeClient, ns: str) -> Obj:
    unhealthy: Obj = GoMap()
    for pod in kc.list(PODS, ns):
        st = pod.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or []
        )
        if not ready:
            cs = st.get("containerStatuses") or []
            unhealthy[pod["metadata"]["name"]] = {
                "status": st.get("phase", ""),
                "readyContainers": sum(1 for c in cs if c.get("ready")),
                "totalContainers": len(cs),
                "restarts": sum(int(c.get("restartCount", 0)) for c in cs),
            }
    data: Obj = {"healthy": not unhealthy}
    if unhealthy:
        data["unhealthyPods"] = unhealthy
    return data


def _peerings(kc: KubeClient) -> Obj:
    peers = []
    for fc in _safe_list(kc, FC):
        mods = (fc.get("status") or {}).get("modules") or {}
        peers.append(
            {
                "clusterID": (fc.get("spec") or {}).get("clusterID") or fc["metadata"]["name"],
                "role": (fc.get("status") or {}).get("role", ""),
                "networkingStatus": module_status(mods.get("networking"))[0],
                "authenticationStatus": module_status(mods.get("authentication"))[0],
                "offloadingStatus": module_status(mods.get("offloading"))[0],
            }
        )
    return {"peers": peers}


def _network(kc: KubeClient, warn: list[str]) -> Obj:
    found: dict[str, list[str]] = {}
    for net in _safe_list(kc, IPAM_NETWORKS):
        kind = (net["metadata"].get("labels") or {}).get("ipam.liqo.io/network-type", "")
        cidr = ((net.get("status") or {}).get("cidr")) or (net.get("spec") or {}).get("cidr")
        if kind and cidr:
            found.setdefault(kind, []).append(str(cidr))
    data: Obj = {"podCIDRs": found.get("pod-cidr"), "serviceCIDR": "", "externalCIDR": "", "internalCIDR": ""}
    for key, kind, label in (
        ("serviceCIDR", "service-cidr", "ServiceCIDR"),
        ("externalCIDR", "external-cidr", "ExternalCIDR"),
        ("internalCIDR", "internal-cidr", "InternalCIDR"),
    ):
        if kind in found:
            data[key] = found[kind][0]
        else:
            warn.append(f"unable to get {label}: no network of type {kind} found")
    if "pod-cidr" not in found:
        warn.append("unable to get PodCIDRs: no network of type pod-cidr found")
    return data


def _installed(ctx: Ctx, kc: KubeClient, ns: str) -> None:
    if kc.get(NS, ns) is None:
        ctx.out.error(
            "Liqo is not installed in the current cluster! \n\n"
            "You can install liqo via the 'liqoctl install' command.\n"
            "Check 'liqoctl install --help' for further information."
        )
        raise Failed


def cmd_info(ctx: Ctx) -> int:
    kc = client(ctx)
    ns = str(ctx.f("namespace"))
    query = str(ctx.f("get") or "")
    verbose = bool(ctx.f("verbose")) or bool(query)
    try:
        _installed(ctx, kc, ns)
        warn: list[str] = []
        data: Obj = GoMap(local=_installation(kc, ns, warn), health=_health(kc, ns))
        if verbose:
            data["network"] = _network(kc, warn)
        data["peerings"] = _peerings(kc)
    except ApiError as exc:
        ctx.out.error(exc.message)
        return 1
    except Failed:
        return 1
    for w in warn:
        ctx.out.warn(w)
    if not ctx.f("output") and not query:
        sys_write(_local_boxes(data, verbose))
        return 0
    return _machine(ctx, data, query, {"clusterid": "local.clusterid"})


def _local_boxes(data: Obj, verbose: bool) -> str:
    local = Section()
    loc = data["local"]
    local.entry("Cluster ID", loc["clusterID"]).entry("Version", loc["version"])
    local.entry("K8s API server", loc["APIServerAddr"])
    if loc["labels"]:
        labels = local.section("Cluster labels")
        for k in sorted(loc["labels"]):
            labels.entry(k, loc["labels"][k])
    health = Section()
    if data["health"]["healthy"]:
        health.section(f"{CHECK}    Liqo is healthy")
    else:
        health.section(f"{CROSS}    Liqo is unhealthy")
        pods = health.section("Unhealthy pods")
        for name, p in sorted(data["health"].get("unhealthyPods", {}).items()):
            pods.entry(
                name,
                f"Status: {p['status']}, Ready: {p['readyContainers']}/{p['totalContainers']}, "
                f"Restarts: {p['restarts']}",
            )
    out = box("Local installation info", local) + box("Installation health", health)
    if verbose:
        net = data["network"]
        section = Section().entry("Pod CIDRs", *(net["podCIDRs"] or []))
        section.entry("Service CIDR", net["serviceCIDR"]).entry("External CIDR", net["externalCIDR"])
        section.entry("Internal CIDR", net["internalCIDR"])
        out += box("Network", section)
    peerings = Section()
    for p in data["peerings"]["peers"]:
        s = peerings.section(p["clusterID"])
        s.entry("Role", p["role"]).entry("Networking status", p["networkingStatus"])
        s.entry("Authentication status", p["authenticationStatus"]).entry(
            "Offloading status", p["offloadingStatus"]
        )
    return out + box("Active peerings", peerings)


def sys_write(text: str) -> None:
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


def _zero(value: Any) -> bool:
    return value is None or value == "" or value is False or (isinstance(value, int) and value == 0)


def _field(query: str, data: Obj, shortcuts: dict[str, str]) -> Any:
    query = shortcuts.get(query.lower(), query).removeprefix(".")
    fields = query.split(".")
    if fields[0] not in data:
        raise ValueError(f'invalid query "{query}": "{fields[0]}" not found')
    current = data[fields[0]]
    for i, f in enumerate(fields[1:]):
        if not isinstance(current, dict) or isinstance(current, GoMap):
            raise ValueError(f'invalid query "{query}": "{fields[i]}" is not an object')
        key = next((k for k in current if k.lower() == f.lower()), None)
        if key is None or _zero(current[key]):
            raise ValueError(f'invalid query "{query}": "{f}" not found')
        current = current[key]
    return current


def _go_order(value: Any) -> Any:
    """encoding/json: a map's keys sorted, a struct's fields in declaration order."""
    if isinstance(value, GoMap):
        return {k: _go_order(value[k]) for k in sorted(value)}
    if isinstance(value, dict):
        return {k: _go_order(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_order(v) for v in value]
    return value


def _render(value: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(_go_order(value), indent=2, ensure_ascii=False)
    import yaml

    return str(yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True))


def _machine(ctx: Ctx, data: Obj, query: str, shortcuts: dict[str, str]) -> int:
    fmt = str(ctx.f("output") or "")
    if query:
        try:
            value = _field(query, data, shortcuts)
        except ValueError as exc:
            ctx.out.error(str(exc))
            return 1
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            text = _render(value, fmt)
        else:
            text = str(value)
    else:
        text = _render(data, fmt)
    sys_write(text + "\n")
    return 0


# -- info peer -----------------------------------------------------------------------------------


def _peer_network(kc: KubeClient, fc: Obj, cid: str, warn: list[str]) -> Obj:
    status, alerts = module_status(((fc.get("status") or {}).get("modules") or {}).get("networking"))
    data: Obj = {"status": status}
    if alerts:
        data["alerts"] = alerts
    data["CIDRs"] = {"remote": {}}
    data["gateway"] = {"address": None, "port": 0, "role": ""}
    if status == "Disabled":
        return data
    confs = _safe_list(kc, CONF, None, {REMOTE_ID: cid})
    if confs:
        data["CIDRs"] = {
            "remote": dict(((confs[0].get("spec") or {}).get("remote") or {}).get("cidr") or {}),
            "remapped": dict((((confs[0].get("status") or {}).get("remote") or {}).get("cidr")) or {}),
        }
    else:
        warn.append(f'unable to get network configuration for cluster "{cid}": configuration not found')
    clients = _safe_list(kc, GWC, None, {REMOTE_ID: cid})
    servers = _safe_list(kc, GWS, None, {REMOTE_ID: cid})
    if clients and servers:
        warn.append(f'unable to get network gateway info for cluster "{cid}": multiple Gateways found')
    elif clients:
        ep = (clients[0].get("spec") or {}).get("endpoint") or {}
        data["gateway"] = {"address": ep.get("addresses"), "port": int(ep.get("port") or 0), "role": "Server"}
    elif servers:
        ep = ((servers[0].get("status") or {}).get("endpoint")) or {}
        data["gateway"] = {"address": ep.get("addresses"), "port": int(ep.get("port") or 0), "role": "Client"}
    else:
        warn.append(f'unable to get network gateway info for cluster "{cid}": no gateways found')
    return data


def _peer_auth(kc: KubeClient, fc: Obj, cid: str) -> Obj:
    status, alerts = module_status(((fc.get("status") or {}).get("modules") or {}).get("authentication"))
    data: Obj = {"status": status}
    if alerts:
        data["alerts"] = alerts
    data["APIServerAddr"] = ""
    data["resourceSlices"] = None
    if status == "Disabled":
        return data
    if (fc.get("status") or {}).get("role") == "Provider":
        for ident in _safe_list(kc, IDENTITIES, None, {REMOTE_ID: cid}):
            params = (ident.get("spec") or {}).get("authParams") or {}
            if (ident.get("spec") or {}).get("type") == "ControlPlane":
                data["APIServerAddr"] = str(params.get("proxyURL") or params.get("apiServer") or "")
    slices = []
    for rs in _safe_list(kc, SLICES, None, {REMOTE_ID: cid}):
        conds = (rs.get("status") or {}).get("conditions") or []
        bad = [str(c.get("message", "")) for c in conds if c.get("status") != "Accepted"]
        labels = rs["metadata"].get("labels") or {}
        entry: Obj = {
            "name": rs["metadata"]["name"],
            "action": "Providing" if labels.get("liqo.io/replicated", "").lower() == "true" else "Consuming",
            "accepted": bool(conds) and not bad,
        }
        if bad:
            entry["alerts"] = bad
        entry["resources"] = GoMap((rs.get("status") or {}).get("resources") or {})
        slices.append(entry)
    data["resourceSlices"] = slices
    return data


def _peer_offloading(kc: KubeClient, fc: Obj, cid: str) -> Obj:
    status, alerts = module_status(((fc.get("status") or {}).get("modules") or {}).get("offloading"))
    data: Obj = {"status": status}
    if alerts:
        data["alerts"] = alerts
    nodes = []
    for vn in _safe_list(kc, VNODES, None, {REMOTE_ID: cid}):
        conds = (vn.get("status") or {}).get("conditions") or []
        healthy = bool(conds) and all(c.get("status") in ("Running", "None") for c in conds)
        entry: Obj = {
            "name": vn["metadata"]["name"],
            "status": "Healthy" if healthy else "Unhealthy",
            "secret": ((vn.get("spec") or {}).get("kubeconfigSecretRef") or {}).get("name", ""),
        }
        rs_name = (vn["metadata"].get("labels") or {}).get("liqo.io/resourceslice-name")
        if rs_name:
            entry["resourceSlice"] = rs_name
        entry["resources"] = GoMap(((vn.get("spec") or {}).get("resourceQuota") or {}).get("hard") or {})
        nodes.append(entry)
    data["virtualNodes"] = nodes
    return data


def _peer_boxes(cid: str, d: Obj) -> str:
    info = Section().entry("Cluster ID", cid).entry("Role", d["info"]["role"])
    net = d["network"]
    ns = Section().entry("Status", net["status"])
    if net["status"] != "Disabled":
        if net.get("alerts"):
            ns.entry("Alerts", *net["alerts"])
        remote = ns.section("CIDR").section("Remote")
        cidrs = net["CIDRs"]
        for key, label in (("pod", "Pod CIDR"), ("external", "External CIDR")):
            have = ",".join(cidrs["remote"].get(key) or [])
            if "remapped" in cidrs:
                have += f" → Remapped to {','.join(cidrs['remapped'].get(key) or [])}"
            remote.entry(label, have)
        gw = ns.section("Gateway").entry("Role", net["gateway"]["role"])
        gw.entry("Address", *(net["gateway"]["address"] or [])).entry("Port", str(net["gateway"]["port"]))
    auth = d["authentication"]
    au = Section().entry("Status", auth["status"])
    if auth["status"] != "Disabled":
        if auth.get("alerts"):
            au.entry("Alerts", *auth["alerts"])
        if auth["APIServerAddr"]:
            au.entry("API server", auth["APIServerAddr"])
        slices = au.section("Resource slices")
        for rs in auth["resourceSlices"] or []:
            one = slices.section(rs["name"])
            one.section("Resource slice accepted" if rs["accepted"] else "Resource slice not accepted")
            one.entry("Action", rs["action"])
            res = one.section("Resources")
            for k in sorted(rs["resources"]):
                res.entry(k, str(rs["resources"][k]))
    off = d["offloading"]
    of = Section().entry("Status", off["status"])
    if off["status"] != "Disabled":
        if off.get("alerts"):
            of.entry("Alerts", *off["alerts"])
        vns = of.section("Virtual nodes")
        for vn in off["virtualNodes"]:
            one = vns.section(vn["name"]).entry("Status", vn["status"]).entry("Secret", vn["secret"])
            one.entry("Resource slice", vn.get("resourceSlice", ""))
            res = one.section("Resources")
            for k in sorted(vn["resources"]):
                res.entry(k, str(vn["resources"][k]))
    return (
        box("Peer cluster info", info)
        + box("Network", ns)
        + box("Authentication", au)
        + box("Offloading", of)
    )


def cmd_info_peer(ctx: Ctx) -> int:
    kc = client(ctx)
    ns = str(ctx.f("namespace"))
    query = str(ctx.f("get") or "")
    wanted = list(ctx.args)
    try:
        _installed(ctx, kc, ns)
        fcs = {
            str((fc.get("spec") or {}).get("clusterID") or fc["metadata"]["name"]): fc
            for fc in _safe_list(kc, FC)
            if not wanted or (fc["metadata"].get("labels") or {}).get(REMOTE_ID) in wanted
        }
        missing = [w for w in wanted if w not in fcs]
        if missing:
            ctx.out.error(f'Peer clusters "{", ".join(missing)}" not found in active peerings')
            return 1
        warn: list[str] = []
        data: Obj = GoMap()
        for cid in sorted(fcs):
            fc = fcs[cid]
            data[cid] = {
                "info": {"clusterID": cid, "role": (fc.get("status") or {}).get("role", "")},
                "network": _peer_network(kc, fc, cid, warn),
                "authentication": _peer_auth(kc, fc, cid),
                "offloading": _peer_offloading(kc, fc, cid),
            }
    except ApiError as exc:
        ctx.out.error(exc.message)
        return 1
    except Failed:
        return 1
    for w in warn:
        ctx.out.warn(w)
    if not ctx.f("output") and not query:
        sys_write("\n\n".join(_peer_boxes(cid, d) for cid, d in data.items()))
        return 0
    if query:
        query = query.removeprefix(".")
        first, _, rest = query.partition(".")
        ids = list(data)
        if len(ids) == 1 and first != ids[0]:
            first, rest = ids[0], query
        if first not in data:
            ctx.out.error(f'cluster "{first}" in query "{ctx.f("get")}" is not among the requested clusters')
            return 1
        return _machine(ctx, data[first], rest, {})
    return _machine(ctx, data, "", {})

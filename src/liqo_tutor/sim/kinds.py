"""Built-in resource kinds: discovery data and the apiserver's table printers; CRD-defined kinds; seeding."""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.store import Column, Obj, ResourceKind, now_iso, parse_iso

if TYPE_CHECKING:
    from liqo_tutor.sim.store import Cluster, World

__all__ = [
    "BUILTIN_KINDS",
    "human_duration",
    "kind_from_crd",
    "label_selector_string",
    "seed_cluster",
    "since",
]


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    try:  # a MicroTime (events.k8s.io eventTime) counts to the second
        return human_duration(time.time() - parse_iso(timestamp.split(".", 1)[0].rstrip("Z") + "Z"))
    except ValueError:
        return "<unknown>"


def _labels_string(labels: dict[str, str] | None) -> str:
    if not labels:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def label_selector_string(selector: dict[str, Any] | None) -> str:
    """metav1.LabelSelectorAsSelector(sel).String()."""
    if not selector:
        return "<none>"
    parts: list[tuple[str, str]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        parts.append((k, f"{k}={v}"))
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), sorted(expr.get("values") or [])
        if op == "In":
            parts.append((key, f"{key} in ({','.join(values)})"))
        elif op == "NotIn":
            parts.append((key, f"{key} notin ({','.join(values)})"))
        elif op == "Exists":
            parts.append((key, key))
        elif op == "DoesNotExist":
            parts.append((key, f"!{key}"))
    if not parts:
        return ""
    return ",".join(p for _, p in sorted(parts))


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _age(obj: Obj) -> str:
    return since(obj.get("metadata", {}).get("creationTimestamp"))


def _containers(obj: Obj) -> tuple[str, str]:
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    cs = spec.get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


# --- rows -------------------------------------------------------------------------------------


def pod_status_reason(pod: Obj) -> tuple[str, int, int]:
    """(STATUS cell, ready containers, restarts) computed like the apiserver's printPod."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    ready = 0
    restarts = 0
    has_running = False
    initializing = False
    for ic in status.get("initContainerStatuses") or []:
        state = ic.get("state") or {}
        restarts += int(ic.get("restartCount", 0))
        term = state.get("terminated")
        if term and term.get("exitCode", 0) == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode', 0)}")
        elif state.get("waiting", {}).get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            total = len(pod.get("spec", {}).get("initContainers") or [])
            reason = f"Init:0/{total}"
        initializing = True
        break
    if not initializing:
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount", 0))
            state = cs.get("state") or {}
            waiting, term = state.get("waiting"), state.get("terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (
                    f"Signal:{term['signal']}"
                    if term.get("signal")
                    else f"ExitCode:{term.get('exitCode', 0)}"
                )
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            conds = status.get("conditions") or []
            reason = (
                "Running"
                if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
                else "NotReady"
            )
    phase = status.get("phase")
    if pod.get("metadata", {}).get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, restarts


def _pod_row(pod: Obj) -> list[Any]:
    reason, ready, restarts = pod_status_reason(pod)
    total = len(pod.get("spec", {}).get("containers") or [])
    status = pod.get("status") or {}
    ips = status.get("podIPs") or []
    ip = ips[0].get("ip") if ips else status.get("podIP")
    gates = pod.get("spec", {}).get("readinessGates") or []
    gates_cell = "<none>"
    if gates:
        conds = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        ok = sum(1 for g in gates if conds.get(g.get("conditionType")) == "True")
        gates_cell = f"{ok}/{len(gates)}"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        str(restarts),
        _age(pod),
        ip or "<none>",
        pod.get("spec", {}).get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_cell,
    ]


def service_ports_string(svc: Obj) -> str:
    out = []
    for p in svc.get("spec", {}).get("ports") or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            out.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            out.append(f"{p.get('port')}/{proto}")
    return ",".join(out) if out else "<none>"


def _service_row(svc: Obj) -> list[Any]:
    spec = svc.get("spec", {})
    stype = spec.get("type", "ClusterIP")
    external = spec.get("externalIPs") or []
    if stype == "LoadBalancer":
        ingress = [
            i.get("ip") or i.get("hostname")
            for i in (svc.get("status", {}).get("loadBalancer", {}).get("ingress") or [])
        ]
        ext = ",".join([i for i in ingress if i] + external) or "<pending>"
    elif stype == "ExternalName":
        ext = spec.get("externalName", "")
    else:
        ext = ",".join(external) or "<none>"
    return [
        _name(svc),
        stype,
        spec.get("clusterIP") or "<none>",
        ext,
        service_ports_string(svc),
        _age(svc),
        _labels_string(spec.get("selector")),
    ]


def _deployment_row(d: Obj) -> list[Any]:
    spec, status = d.get("spec", {}), d.get("status", {})
    names, images = _containers(d)
    return [
        _name(d),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        _age(d),
        names,
        images,
        label_selector_string(spec.get("selector")),
    ]


def _replicaset_row(rs: Obj) -> list[Any]:
    spec, status = rs.get("spec", {}), rs.get("status", {})
    names, images = _containers(rs)
    return [
        _name(rs),
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        _age(rs),
        names,
        images,
        label_selector_string(spec.get("selector")),
    ]


def _daemonset_row(ds: Obj) -> list[Any]:
    spec, status = ds.get("spec", {}), ds.get("status", {})
    names, images = _containers(ds)
    node_sel = spec.get("template", {}).get("spec", {}).get("nodeSelector")
    return [
        _name(ds),
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        _labels_string(node_sel),
        _age(ds),
        names,
        images,
        label_selector_string(spec.get("selector")),
    ]


def _namespace_row(ns: Obj) -> list[Any]:
    return [_name(ns), ns.get("status", {}).get("phase", "Active"), _age(ns)]


def node_roles(node: Obj) -> str:
    roles = set()
    for k, v in (node.get("metadata", {}).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            roles.add(k.split("/", 1)[1])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return ",".join(sorted(r for r in roles if r)) or "<none>"


def _node_row(node: Obj) -> list[Any]:
    status = node.get("status", {})
    ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
    cell = "Unknown"
    if ready:
        cell = "Ready" if ready[0].get("status") == "True" else "NotReady"
    if node.get("spec", {}).get("unschedulable"):
        cell += ",SchedulingDisabled"
    addrs = status.get("addresses") or []
    internal = next((a["address"] for a in addrs if a.get("type") == "InternalIP"), "<none>")
    external = next((a["address"] for a in addrs if a.get("type") == "ExternalIP"), "<none>")
    info = status.get("nodeInfo", {})
    return [
        _name(node),
        cell,
        node_roles(node),
        _age(node),
        info.get("kubeletVersion", ""),
        internal,
        external,
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


def _endpointslice_row(es: Obj) -> list[Any]:
    ports = es.get("ports") or []
    ports_cell = (
        ",".join(str(p["port"]) if p.get("port") is not None else "<unset>" for p in ports) or "<unset>"
    )
    addrs = [a for ep in es.get("endpoints") or [] for a in ep.get("addresses") or []]
    if not addrs:
        eps = "<unset>"
    else:
        eps = ",".join(addrs[:3])
        if len(addrs) > 3:
            eps += f" + {len(addrs) - 3} more..."
    return [_name(es), es.get("addressType", "IPv4"), ports_cell, eps, _age(es)]


def _endpoints_row(ep: Obj) -> list[Any]:
    items = []
    for subset in ep.get("subsets") or []:
        for a in subset.get("addresses") or []:
            for p in subset.get("ports") or [{}]:
                items.append(f"{a.get('ip')}:{p.get('port')}" if p.get("port") else a.get("ip", ""))
    cell = ",".join(items[:3]) + (f" + {len(items) - 3} more..." if len(items) > 3 else "")
    return [_name(ep), cell or "<none>", _age(ep)]


def _configmap_row(cm: Obj) -> list[Any]:
    return [_name(cm), len(cm.get("data") or {}) + len(cm.get("binaryData") or {}), _age(cm)]


def _secret_row(s: Obj) -> list[Any]:
    return [_name(s), s.get("type", "Opaque"), len(s.get("data") or {}), _age(s)]


def _sa_row(sa: Obj) -> list[Any]:
    return [_name(sa), len(sa.get("secrets") or []), _age(sa)]


def _event_row(ev: Obj) -> list[Any]:
    series = ev.get("series") or {}
    first_seen = ev.get("firstTimestamp") or ev.get("eventTime") or ev["metadata"].get("creationTimestamp")
    last = series.get("lastObservedTime") or ev.get("lastTimestamp") or first_seen
    inv = ev.get("involvedObject", {})
    src = ev.get("source", {})
    source = src.get("component") or ev.get("reportingComponent", "")
    if src.get("host"):
        source += ", " + src["host"]
    return [
        since(last),
        ev.get("type", ""),
        ev.get("reason", ""),
        f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}",
        inv.get("fieldPath", ""),
        source,
        ev.get("message", ""),
        since(first_seen),
        series.get("count") or ev.get("count") or 1,
        _name(ev),
    ]


def _job_row(job: Obj) -> list[Any]:
    spec, status = job.get("spec", {}), job.get("status", {})
    names, images = _containers(job)
    conds = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    state = (
        "Complete"
        if conds.get("Complete") == "True"
        else "Failed"
        if conds.get("Failed") == "True"
        else "Running"
    )
    return [
        _name(job),
        state,
        f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}",
        "",
        _age(job),
        names,
        images,
        label_selector_string(spec.get("selector")),
    ]


def _cronjob_row(cj: Obj) -> list[Any]:
    spec, status = cj.get("spec", {}), cj.get("status", {})
    tmpl = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    cs = tmpl.get("containers") or []
    return [
        _name(cj),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        str(bool(spec.get("suspend", False))),
        len(status.get("active") or []),
        since(status.get("lastScheduleTime")) if status.get("lastScheduleTime") else "<none>",
        _age(cj),
        ",".join(c.get("name", "") for c in cs),
        ",".join(c.get("image", "") for c in cs),
        "<none>",
    ]


def _crd_row(crd: Obj) -> list[Any]:
    return [_name(crd), crd.get("metadata", {}).get("creationTimestamp", "")]


def _c(name: str, priority: int = 0, type_: str = "string", fmt: str = "") -> Column:
    return Column(name=name, type=type_, priority=priority, format=fmt)


_AGE = _c("Age")
_WIDE_WORKLOAD = (_c("Containers", 1), _c("Images", 1), _c("Selector", 1))
_ALL = ("all",)
_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

BUILTIN_KINDS: tuple[ResourceKind, ...] = (
    ResourceKind(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        ("ns",),
        (),
        (_c("Status"), _AGE),
        _namespace_row,
        ("status", "finalize"),
        ("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    ResourceKind(
        "",
        "v1",
        "Node",
        "nodes",
        False,
        ("no",),
        (),
        (
            _c("Status"),
            _c("Roles"),
            _AGE,
            _c("Version"),
            _c("Internal-IP", 1),
            _c("External-IP", 1),
            _c("OS-Image", 1),
            _c("Kernel-Version", 1),
            _c("Container-Runtime", 1),
        ),
        _node_row,
        ("status", "proxy"),
    ),
    ResourceKind(
        "",
        "v1",
        "Pod",
        "pods",
        True,
        ("po",),
        _ALL,
        (
            _c("Ready"),
            _c("Status"),
            _c("Restarts", type_="string"),
            _AGE,
            _c("IP", 1),
            _c("Node", 1),
            _c("Nominated Node", 1),
            _c("Readiness Gates", 1),
        ),
        _pod_row,
        ("status", "log", "exec", "attach", "portforward", "binding", "eviction", "ephemeralcontainers"),
    ),
    ResourceKind(
        "",
        "v1",
        "Service",
        "services",
        True,
        ("svc",),
        _ALL,
        (_c("Type"), _c("Cluster-IP"), _c("External-IP"), _c("Port(s)"), _AGE, _c("Selector", 1)),
        _service_row,
        ("status", "proxy"),
        ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    ),
    ResourceKind(
        "", "v1", "Endpoints", "endpoints", True, ("ep",), (), (_c("Endpoints"), _AGE), _endpoints_row, ()
    ),
    ResourceKind(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        True,
        ("cm",),
        (),
        (_c("Data", type_="integer"), _AGE),
        _configmap_row,
        (),
    ),
    ResourceKind(
        "",
        "v1",
        "Secret",
        "secrets",
        True,
        (),
        (),
        (_c("Type"), _c("Data", type_="integer"), _AGE),
        _secret_row,
        (),
    ),
    ResourceKind(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        True,
        ("sa",),
        (),
        (_c("Secrets", type_="integer"), _AGE),
        _sa_row,
        ("token",),
    ),
    ResourceKind(
        "",
        "v1",
        "Event",
        "events",
        True,
        ("ev",),
        (),
        (
            _c("Last Seen"),
            _c("Type"),
            _c("Reason"),
            _c("Object"),
            _c("Subobject", 1),
            _c("Source", 1),
            _c("Message"),
            _c("First Seen", 1),
            _c("Count", 1, "integer"),
            _c("Name", 1),
        ),
        _event_row,
        (),
    ),
    ResourceKind(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        True,
        (),
        (),
        (_c("AddressType"), _c("Ports"), _c("Endpoints"), _AGE),
        _endpointslice_row,
        (),
    ),
    ResourceKind(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        True,
        ("deploy",),
        _ALL,
        (_c("Ready"), _c("Up-to-date", type_="integer"), _c("Available", type_="integer"), _AGE)
        + _WIDE_WORKLOAD,
        _deployment_row,
        ("status", "scale"),
    ),
    ResourceKind(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        True,
        ("rs",),
        _ALL,
        (_c("Desired", type_="integer"), _c("Current", type_="integer"), _c("Ready", type_="integer"), _AGE)
        + _WIDE_WORKLOAD,
        _replicaset_row,
        ("status", "scale"),
    ),
    ResourceKind(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        True,
        ("ds",),
        _ALL,
        (
            _c("Desired", type_="integer"),
            _c("Current", type_="integer"),
            _c("Ready", type_="integer"),
            _c("Up-to-date", type_="integer"),
            _c("Available", type_="integer"),
            _c("Node Selector"),
            _AGE,
        )
        + _WIDE_WORKLOAD,
        _daemonset_row,
        ("status",),
    ),
    ResourceKind(
        "batch",
        "v1",
        "Job",
        "jobs",
        True,
        (),
        _ALL,
        (_c("Status"), _c("Completions"), _c("Duration"), _AGE) + _WIDE_WORKLOAD,
        _job_row,
        ("status",),
    ),
    ResourceKind(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        True,
        ("cj",),
        _ALL,
        (
            _c("Schedule"),
            _c("Timezone"),
            _c("Suspend"),
            _c("Active", type_="integer"),
            _c("Last Schedule"),
            _AGE,
        )
        + _WIDE_WORKLOAD,
        _cronjob_row,
        ("status",),
    ),
    ResourceKind(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        ("crd", "crds"),
        ("api-extensions",),
        (Column("Created At", "date"),),
        _crd_row,
        ("status",),
    ),
)

from liqo_tutor.sim.kinds_storage import STORAGE_KINDS  # noqa: E402 - StatefulSet, PVC, PV, StorageClass

BUILTIN_KINDS += STORAGE_KINDS


def kind_from_crd(crd: Obj) -> ResourceKind | None:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not names.get("plural") or not names.get("kind") or not versions:
        return None
    version = next((v for v in versions if v.get("storage")), versions[0])
    columns = []
    for col in version.get("additionalPrinterColumns") or []:
        columns.append(
            Column(
                name=col.get("name", ""),
                type=col.get("type", "string"),
                json_path=col.get("jsonPath", ""),
                priority=int(col.get("priority", 0)),
                description=col.get("description", ""),
                format=col.get("format", ""),
            )
        )
    if not columns:
        columns.append(Column(name="Age", type="date", json_path=".metadata.creationTimestamp"))
    subresources = tuple(sorted((version.get("subresources") or {}).keys()))
    return ResourceKind(
        group=spec.get("group", ""),
        version=version.get("name", "v1"),
        kind=names["kind"],
        plural=names["plural"],
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        columns=tuple(columns),
        row=None,
        subresources=subresources,
        singular=names.get("singular", ""),
        crd=True,
    )


_KIND_NODE_IMAGE_INFO = {
    "osImage": "Debian GNU/Linux 12 (bookworm)",
    "kernelVersion": "6.8.0-1017-gcp",
    "containerRuntimeVersion": "containerd://1.7.15",
    "operatingSystem": "linux",
    "architecture": "amd64",
}


def seed_cluster(world: World, cluster: Cluster) -> None:
    """A fresh kind cluster: system namespaces, nodes (NotReady at first), the `kubernetes` Service."""
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease", "local-path-storage"):
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    spec = cluster.spec
    nodes = spec.nodes or ((f"{spec.name}-control-plane", "control-plane"),)
    has_workers = any(role != "control-plane" for _, role in nodes)
    pod_net = ipaddress.ip_network(spec.pod_subnet, strict=False)
    for idx, (node_name, role) in enumerate(nodes):
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": node_name,
            "kubernetes.io/os": "linux",
        }
        taints = []
        if role == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            if has_workers:
                taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
        pod_cidr = str(list(pod_net.subnets(new_prefix=24))[idx]) if pod_net.prefixlen <= 24 else str(pod_net)
        ip = world.allocate_node_ip(cluster.name, node_name)
        node: Obj = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node_name, "labels": labels},
            "spec": {
                "podCIDR": pod_cidr,
                "podCIDRs": [pod_cidr],
                "providerID": f"kind://docker/{spec.name}/{node_name}",
                **({"taints": taints} if taints else {}),
            },
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": ip},
                    {"type": "Hostname", "address": node_name},
                ],
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "KubeletNotReady",
                        "message": "container runtime network not ready: NetworkReady=false "
                        "reason:NetworkPluginNotReady message:Network plugin returns error: "
                        "cni plugin not initialized",
                        "lastHeartbeatTime": now_iso(),
                        "lastTransitionTime": now_iso(),
                    }
                ],
                "nodeInfo": {
                    **_KIND_NODE_IMAGE_INFO,
                    "kubeletVersion": spec.k8s_version,
                    "kubeProxyVersion": spec.k8s_version,
                },
            },
        }
        cluster.create(node)
        stored = cluster.objects["nodes"][("", node_name)]
        stored["status"] = node["status"]
    first_ip = str(next(ipaddress.ip_network(spec.service_subnet, strict=False).hosts()))
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "type": "ClusterIP",
                "clusterIP": first_ip,
                "clusterIPs": [first_ip],
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                "sessionAffinity": "None",
            },
        }
    )
    cluster.private["created_at"] = time.time()

"""Liqo's virtual kubelet (consumer side) and ShadowPod controller (provider side), both lines.

Follows pkg/virtualKubelet/reflection/workload/podns.go and pkg/virtualKubelet/forge/pods.go
(RemoteShadowPod, RemotePodSpec, RemoteTolerations, LocalPodStatus) and
pkg/liqo-controller-manager/offloading/shadowpod-controller/shadowpod_controller.go at v1.2.0
(pkg/liqo-controller-manager/shadowpod-controller/ at v0.10.3):
- a pod bound to a virtual node, in a namespace whose offloading to that node's cluster is Ready,
  becomes a ShadowPod of the same name in the remote namespace (labels: the pod's, the reflection
  origin/destination and the node name; spec: containers, restart policy, tolerations without the
  virtual-node one, no node affinity, no service account); the local pod gets `liqo.io/shadowPod=true`
  and a `SuccessfulReflection` event;
- the provider's ShadowPod controller creates the real pod (owned by the ShadowPod, labelled
  `liqo.io/managed-by=shadowpod`) and re-creates it when someone deletes it;
- the remote pod's status flows back: pod IP translated into the remapped network the consumer uses for
  that provider's pods, host IP = the virtual node's address; container logs are served from the remote pod;
- deleting the local pod deletes the ShadowPod (and so the remote pod); a ShadowPod whose local pod is
  gone is collected.
"""

from __future__ import annotations

import copy
import ipaddress
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.helpers import record_event
from liqo_tutor.sim.liqo.ipam_tree import replay
from liqo_tutor.sim.store import ApiError, Cluster, PodRef, World, now_iso

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.controllers import LiqoController
    from liqo_tutor.sim.liqo.objects import Info

__all__ = ["VirtualKubelet", "remote_pod_network"]

Obj = dict[str, Any]

REMOTE_ID = "liqo.io/remote-cluster-id"
CONF = "configurations.networking.liqo.io"
V1_EXTERNAL = ipaddress.IPv4Network("10.70.0.0/16")
VIRTUAL_NODE = {"liqo.io/type": "virtual-node"}
LOCAL_POD_LABEL = "liqo.io/shadowPod"
MANAGED_BY = "liqo.io/managed-by"
TOLERATION_KEY = "virtual-node.liqo.io/not-allowed"
BACKOFF = "OffloadingBackOff"
ABORTED = "OffloadingAborted"
POD_SPEC_FIELDS = (
    "containers",
    "initContainers",
    "volumes",
    "activeDeadlineSeconds",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "hostAliases",
    "hostname",
    "imagePullSecrets",
    "readinessGates",
    "restartPolicy",
    "securityContext",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "subdomain",
    "terminationGracePeriodSeconds",
    "topologySpreadConstraints",
)


def _shadow_key(info: Info) -> str:
    return "shadowpods.virtualkubelet.liqo.io" if info.line.v0 else "shadowpods.offloading.liqo.io"


def _reflection_keys(info: Info) -> tuple[str, str, str]:
    prefix = "virtualkubelet.liqo.io" if info.line.v0 else "offloading.liqo.io"
    return f"{prefix}/origin", f"{prefix}/destination", f"{prefix}/nodename"


def _remote_name(info: Info) -> str:
    """How the event messages name the remote cluster: v1 its cluster ID, v0 its cluster name."""
    return info.cluster_name if info.line.v0 else info.cluster_id


def first_free(size: int, taken: list[ipaddress.IPv4Network], start: str) -> ipaddress.IPv4Network:
    """The first network of prefix `size` from `start` overlapping none of `taken` (IPAM first fit)."""
    step = 2 ** (32 - size)
    base = int(ipaddress.IPv4Address(start))
    candidate = ipaddress.IPv4Network(f"{ipaddress.IPv4Address(base - base % step)}/{size}")
    while any(candidate.overlaps(t) for t in taken):
        candidate = ipaddress.IPv4Network(f"{candidate.network_address + step}/{size}")
    return candidate


def v0_external_cidr(o: Info) -> ipaddress.IPv4Network:
    """v0 IPAM (pkg/liqonet/ipam GetExternalCIDR): the first free network of the pod CIDR's size in the
    pools (10.0.0.0/8 first), besides the cluster's pod and service CIDRs."""
    pods = ipaddress.IPv4Network(o.cluster.spec.pod_subnet, strict=False)
    services = ipaddress.IPv4Network(o.cluster.spec.service_subnet, strict=False)
    return first_free(pods.prefixlen, [pods, services], "10.0.0.0")


def remote_pod_network(o: Info, r: Info, what: str = "pod") -> ipaddress.IPv4Network:
    """The network in which cluster `o` sees the pods (`what="pod"`) or the external CIDR of provider `r`.

    Decided once per peering and kept in the cluster's private state. v0 (pkg/liqonet/ipam
    getOrRemapNetwork): the remote pod CIDR, then its external CIDR, kept as they are when free, else
    the first free network of their size in 10.0.0.0/8 after the local pod, service and external CIDRs;
    v1: what the IPAM tree gives them (_v1_remapped).
    """
    table: dict[str, str] = o.cluster.private.setdefault("liqo_remote_pod_nets", {})
    key = r.cluster_id if what == "pod" else f"{r.cluster_id}/{what}"
    found = table.get(key)
    if found:
        return ipaddress.IPv4Network(found)
    if o.line.v1:
        return _v1_remapped(o, r, table, key)
    taken: list[ipaddress.IPv4Network] = [
        ipaddress.IPv4Network(o.cluster.spec.pod_subnet, strict=False),
        ipaddress.IPv4Network(o.cluster.spec.service_subnet, strict=False),
        v0_external_cidr(o),
        *(ipaddress.IPv4Network(v) for v in table.values()),
    ]
    for item in ("pod", "external"):
        remote = ipaddress.IPv4Network(
            r.cluster.spec.pod_subnet if item == "pod" else str(v0_external_cidr(r)), strict=False
        )
        net = (
            remote
            if not any(remote.overlaps(t) for t in taken)
            else first_free(remote.prefixlen, taken, "10.0.0.0")
        )
        table[r.cluster_id if item == "pod" else f"{r.cluster_id}/{item}"] = str(net)
        taken.append(net)
    return ipaddress.IPv4Network(table[key])


def _v1_remapped(o: Info, r: Info, table: dict[str, str], key: str) -> ipaddress.IPv4Network:
    """v1: the IPAM tree (ipam_tree.py) after the cluster's own networks and the earlier peers'."""
    log: list[list[str]] = o.cluster.private.setdefault("liqo_ipam_log", [])
    if not log:
        log += [
            ["shared", o.cluster.spec.pod_subnet],
            ["shared", o.cluster.spec.service_subnet],
            ["remap", str(V1_EXTERNAL)],
            ["remap", "10.80.0.0/16"],
        ]
    log += [["remap", r.cluster.spec.pod_subnet], ["remap", str(V1_EXTERNAL)]]
    got = replay([(m, c) for m, c in log])
    table[r.cluster_id] = got[-2] or r.cluster.spec.pod_subnet
    table[f"{r.cluster_id}/external"] = got[-1] or str(V1_EXTERNAL)
    return ipaddress.IPv4Network(table[key], strict=False)


def _configuration_status(o: Info, r: Info) -> bool:
    """v1: the Configuration of the peering shows the remapped remote CIDRs (status.remote.cidr)."""
    if o.line.v0 or o.cluster.kind_for(CONF) is None:
        return False
    tns = f"liqo-tenant-{r.cluster_id}"
    conf = o.cluster.get(CONF, tns, r.cluster_id) if o.cluster.namespace_exists(tns) else None
    if conf is None:
        return False
    status = {
        "remote": {
            "cidr": {
                "pod": [str(remote_pod_network(o, r))],
                "external": [str(remote_pod_network(o, r, "external"))],
            }
        }
    }
    if (conf.get("status") or {}).get("remote") == status["remote"]:
        return False
    o.cluster.update_status(CONF, tns, r.cluster_id, {**(conf.get("status") or {}), **status})
    return True


def _translate(o: Info, r: Info, ip: str) -> str:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    pods = ipaddress.ip_network(r.cluster.spec.pod_subnet, strict=False)
    if addr not in pods:
        return ip
    net = remote_pod_network(o, r)
    return str(net.network_address + (int(addr) - int(pods.network_address)))


class VirtualKubelet:
    """Reflects pods bound to virtual nodes into their provider and their status back."""

    def __init__(self, liqo: LiqoController) -> None:
        self.liqo = liqo

    def reconcile(self, world: World, now: float) -> bool:
        infos = self.liqo.infos(world)
        changed = False
        for o in infos.values():
            changed |= self._consumer(world, infos, o)
            for r in infos.values():
                if r is not o and r.line.v0 == o.line.v0:
                    changed |= _configuration_status(o, r)
            if o.line.v1:
                for ns, r, rns in self.liqo.offloaded_to(infos, o):
                    changed |= _reflect_events(o, r, ns, rns)
        for r in infos.values():
            changed |= self._shadow_pods(r)
        return changed

    # -- consumer side -------------------------------------------------------------------------

    def _consumer(self, world: World, infos: dict[str, Info], o: Info) -> bool:
        changed = False
        vnodes = {n["metadata"]["name"]: n for n in o.cluster.list("nodes", labels=dict(VIRTUAL_NODE))}
        mappings = {(ns, r.name): rns for ns, r, rns in self.liqo.offloaded_to(infos, o)}
        wanted: set[tuple[str, str, str]] = set()  # (remote cluster, remote ns, name)
        for pod in o.cluster.list("pods"):
            node = vnodes.get((pod.get("spec") or {}).get("nodeName") or "")
            if node is None:
                continue
            rid = (node["metadata"].get("labels") or {}).get(REMOTE_ID, "")
            r = self.liqo.by_id(infos, rid, o.line)
            ns = pod["metadata"]["namespace"]
            if r is None or pod["metadata"].get("deletionTimestamp"):
                continue
            rns = mappings.get((ns, r.name))
            if rns is None or not r.cluster.namespace_exists(rns):
                changed |= self._reject(o, r, pod)
                continue
            wanted.add((r.name, rns, pod["metadata"]["name"]))
            changed |= self._reflect(o, r, node, pod, rns)
        changed |= self._collect(infos, o, wanted)
        return changed

    @staticmethod
    def _reject(o: Info, r: Info, pod: Obj) -> bool:
        """FallbackPodReflector: a pod on the virtual node outside the namespaces offloaded there.

        Pending/OffloadingBackOff (Failed/OffloadingAborted if it had run), True conditions turned
        False with that reason, a Warning `ReflectionDisabled` event (forge.LocalRejectedPodStatus).
        """
        st = copy.deepcopy(pod.get("status") or {})
        if st.get("phase") in ("Succeeded", "Failed") or st.get("reason") in (BACKOFF, ABORTED):
            return False
        ran = st.get("phase", "Pending") != "Pending" or bool(st.get("containerStatuses"))
        phase, reason = ("Failed", ABORTED) if ran else ("Pending", BACKOFF)
        st["phase"], st["reason"] = phase, reason
        for c in st.get("conditions") or []:
            if c.get("status") == "True":
                c.update({"status": "False", "reason": reason, "lastTransitionTime": now_iso()})
        for cs in st.get("containerStatuses") or []:
            cs["ready"] = False
            if phase == "Failed" and "terminated" not in (cs.get("state") or {}):
                cs["state"] = {"terminated": {"exitCode": 1, "reason": reason}}
        ns = pod["metadata"]["namespace"]
        o.cluster.update_status("pods", ns, pod["metadata"]["name"], st)
        message = f'Reflection to cluster "{_remote_name(r)}" disabled for namespace "{ns}"'
        if r.line.v1:
            message += (
                ". If this is a DaemonSet scheduling pods in all the nodes across the cluster, you might "
                "want to prevent scheduling on Liqo Virtual Nodes. You can configure the rules under "
                "`spec.template.spec.affinity.nodeAffinity` so that the pods are not scheduled on Nodes "
                "having the label liqo.io/type=virtual-node. For further info check the documentation."
            )
        record_event(
            o.cluster, pod, "Warning", "ReflectionDisabled", message, component="liqo-pod-reflection"
        )
        return True

    def resolve(self, world: World, from_cluster: Cluster, ip: str) -> PodRef | None:
        """A pod IP the consumer sees for an offloaded pod -> the remote pod that answers."""
        o = self.liqo.info(from_cluster)
        if o is None:
            return None
        infos = self.liqo.infos(world)
        for pod in from_cluster.list("pods"):
            if (pod.get("status") or {}).get("podIP") != ip:
                continue
            node = from_cluster.get("nodes", None, (pod.get("spec") or {}).get("nodeName") or "")
            rid = ((node or {}).get("metadata", {}).get("labels") or {}).get(REMOTE_ID, "")
            r = self.liqo.by_id(infos, rid, o.line) if rid else None
            if r is None:
                continue
            for ns, target, rns in self.liqo.offloaded_to(infos, o):
                if target is r and ns == pod["metadata"]["namespace"]:
                    if r.cluster.get("pods", rns, pod["metadata"]["name"]) is not None:
                        return PodRef(r.name, rns, pod["metadata"]["name"])
        return None

    def _reflect(self, o: Info, r: Info, node: Obj, pod: Obj, rns: str) -> bool:
        changed = False
        name = pod["metadata"]["name"]
        labels = pod["metadata"].get("labels") or {}
        if labels.get(LOCAL_POD_LABEL) != "true":
            pod["metadata"]["labels"] = {**labels, LOCAL_POD_LABEL: "true"}
            pod["metadata"].pop("resourceVersion", None)
            pod = o.cluster.update(pod)
            changed = True
        skey = _shadow_key(r)
        shadow = r.cluster.get(skey, rns, name) if r.cluster.kind_for(skey) else None
        if shadow is None or shadow["metadata"].get("deletionTimestamp"):
            if shadow is None and self._create_shadow(o, r, node, pod, rns):
                record_event(
                    o.cluster,
                    pod,
                    "Normal",
                    "SuccessfulReflection",
                    f'Successfully reflected object to cluster "{_remote_name(r)}"',
                    component="liqo-pod-reflection",
                )
                return True
            return changed
        remote = r.cluster.get("pods", rns, name)
        if remote is None or remote["metadata"].get("uid") == "":
            return changed
        changed |= self._status_back(o, r, node, pod, remote)
        self._copy_logs(o, r, pod, rns)
        return changed

    def _create_shadow(self, o: Info, r: Info, node: Obj, pod: Obj, rns: str) -> bool:
        origin, destination, nodename = _reflection_keys(o)
        meta = pod["metadata"]
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != LOCAL_POD_LABEL}
        labels.update({nodename: node["metadata"]["name"], origin: o.cluster_id, destination: r.cluster_id})
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if not k.startswith("kubectl.kubernetes.io/")
        }
        spec = pod.get("spec") or {}
        remote_spec: Obj = {k: copy.deepcopy(spec[k]) for k in POD_SPEC_FIELDS if k in spec}
        remote_spec["tolerations"] = [
            t for t in copy.deepcopy(spec.get("tolerations") or []) if t.get("key") != TOLERATION_KEY
        ]
        remote_spec["automountServiceAccountToken"] = False
        kind = r.cluster.kind_for(_shadow_key(r))
        if kind is None:
            return False
        body: Obj = {
            "apiVersion": kind.api_version,
            "kind": kind.kind,
            "metadata": {"name": meta["name"], "namespace": rns, "labels": labels},
            "spec": {"pod": remote_spec},
        }
        if annotations:
            body["metadata"]["annotations"] = annotations
        try:
            r.cluster.create(body)
        except ApiError as exc:
            if exc.code in (404, 409):
                return False
            raise
        return True

    def _status_back(self, o: Info, r: Info, node: Obj, pod: Obj, remote: Obj) -> bool:
        status = copy.deepcopy(remote.get("status") or {})
        if not status:
            return False
        if status.get("podIP"):
            status["podIP"] = _translate(o, r, str(status["podIP"]))
            status["podIPs"] = [{"ip": status["podIP"]}]
        host_ip = next(
            (
                str(a.get("address") or "")
                for a in (node.get("status") or {}).get("addresses") or []
                if a.get("type") == "InternalIP"
            ),
            "",
        )
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
        old = pod.get("status") or {}
        if old == status:
            return False
        o.cluster.update_status("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], status)
        if not old.get("containerStatuses"):
            record_event(
                o.cluster,
                pod,
                "Normal",
                "SuccessfulReflection",
                f'Successfully reflected object status back from cluster "{_remote_name(r)}"',
                component="liqo-pod-reflection",
            )
        return True

    @staticmethod
    def _copy_logs(o: Info, r: Info, pod: Obj, rns: str) -> None:
        """`kubectl logs` of the local pod: the virtual kubelet streams the remote container's logs."""
        remote_logs: dict[str, str] = r.cluster.private.get("logs", {})
        local_logs: dict[str, str] = o.cluster.private.setdefault("logs", {})
        name, ns = pod["metadata"]["name"], pod["metadata"]["namespace"]
        for c in (pod.get("spec") or {}).get("containers") or []:
            text = remote_logs.get(f"{rns}/{name}/{c.get('name', '')}")
            if text is not None:
                local_logs[f"{ns}/{name}/{c.get('name', '')}"] = text

    def _collect(self, infos: dict[str, Info], o: Info, wanted: set[tuple[str, str, str]]) -> bool:
        """ShadowPods this cluster created whose local pod is gone (or no longer reflected) go."""
        changed = False
        origin, _destination, _nodename = _reflection_keys(o)
        for r in infos.values():
            if r is o or r.line.v0 != o.line.v0:
                continue
            skey = _shadow_key(r)
            if r.cluster.kind_for(skey) is None:
                continue
            for shadow in r.cluster.list(skey, None, {origin: o.cluster_id}):
                meta = shadow["metadata"]
                if (r.name, meta["namespace"], meta["name"]) in wanted or meta.get("deletionTimestamp"):
                    continue
                r.cluster.delete(skey, meta["namespace"], meta["name"])
                changed = True
        return changed

    # -- provider side ----------------------------------------------------------------------------

    def _shadow_pods(self, r: Info) -> bool:
        skey = _shadow_key(r)
        if r.cluster.kind_for(skey) is None:
            return False
        changed = False
        for shadow in r.cluster.list(skey):
            meta = shadow["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            labels = meta.get("labels") or {}
            if labels.get(MANAGED_BY) != "shadowpod":
                meta["labels"] = {**labels, MANAGED_BY: "shadowpod"}
                meta.pop("resourceVersion", None)
                shadow = r.cluster.update(shadow)
                meta = shadow["metadata"]
                changed = True
            pod = r.cluster.get("pods", meta["namespace"], meta["name"])
            if pod is None:
                changed |= self._create_pod(r, shadow)
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase and (shadow.get("status") or {}).get("phase") != phase:
                r.cluster.update_status(skey, meta["namespace"], meta["name"], {"phase": phase})
                changed = True
        return changed

    @staticmethod
    def _create_pod(r: Info, shadow: Obj) -> bool:
        meta = shadow["metadata"]
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "labels": dict(meta.get("labels") or {}),
                "ownerReferences": [
                    {
                        "apiVersion": shadow["apiVersion"],
                        "kind": "ShadowPod",
                        "name": meta["name"],
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": copy.deepcopy((shadow.get("spec") or {}).get("pod") or {}),
        }
        if meta.get("annotations"):
            pod["metadata"]["annotations"] = dict(meta["annotations"])
        try:
            r.cluster.create(pod)
        except ApiError as exc:
            if exc.code in (404, 409, 422):
                return False
            raise
        record_event(
            r.cluster,
            shadow,
            "Normal",
            "CreatedPod",
            "Successfully created pod from ShadowPod",
            component="shadowpod-controller",
        )
        return True


_EVENT_KINDS = {  # reflection/event/event.go getLocalObject: remote kind -> local resource
    ("v1", "Pod"): "pods",
    ("v1", "Service"): "services",
    ("v1", "ConfigMap"): "configmaps",
    ("v1", "Secret"): "secrets",
    ("v1", "PersistentVolumeClaim"): "persistentvolumeclaims",
    ("discovery.k8s.io/v1", "EndpointSlice"): "endpointslices.discovery.k8s.io",
    ("networking.k8s.io/v1", "Ingress"): "ingresses.networking.k8s.io",
    ("offloading.liqo.io/v1beta1", "ShadowPod"): "pods",
}


def _reflect_events(o: Info, r: Info, ns: str, rns: str) -> bool:
    """v1 (pkg/virtualKubelet/reflection/event/event.go): each Event of the remote namespace about an
    object that exists locally is copied into the local namespace under the same name, its source
    component suffixed " (remote)", its involved object the local one (kind and apiVersion kept)."""
    if not r.cluster.namespace_exists(rns) or not o.cluster.namespace_exists(ns):
        return False
    changed = False
    for ev in r.cluster.list("events", rns):
        inv = ev.get("involvedObject") or {}
        key = _EVENT_KINDS.get((str(inv.get("apiVersion", "")), str(inv.get("kind", ""))))
        local = o.cluster.get(key, ns, str(inv.get("name", ""))) if key and o.cluster.kind_for(key) else None
        name = ev["metadata"]["name"]
        if local is None or o.cluster.get("events", ns, name) is not None:
            continue
        src = ev.get("source") or {}
        copy_ev = {
            k: copy.deepcopy(v)
            for k, v in ev.items()
            if k not in ("metadata", "involvedObject", "source", "apiVersion", "kind")
        }
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": {
                    **(ev["metadata"].get("labels") or {}),
                    "offloading.liqo.io/origin": o.cluster_id,
                    "offloading.liqo.io/destination": r.cluster_id,
                },
            },
            "involvedObject": {**inv, "namespace": ns, "uid": local["metadata"].get("uid", "")},
            "source": {**src, "component": f"{src.get('component', '')} (remote)"},
            **copy_ev,
        }
        try:
            o.cluster.create(body)
        except ApiError:
            continue
        changed = True
    return changed

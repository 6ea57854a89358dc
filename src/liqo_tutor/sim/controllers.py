"""Built-in controllers of a kind cluster: admission defaults, nodes, namespaces, garbage collection.

The other built-ins live beside this module: scheduler.py, kubelet.py, workloads.py (Deployment,
ReplicaSet), daemonsets.py, endpoints.py, kindpods.py (what kind runs in kube-system); shared helpers
in helpers.py.
"""

from __future__ import annotations

import copy
import ipaddress

from liqo_tutor.sim.daemonsets import DaemonSetController
from liqo_tutor.sim.delays import delay, trace
from liqo_tutor.sim.endpoints import EndpointsController, EndpointSliceController
from liqo_tutor.sim.helpers import is_virtual_node as _is_virtual
from liqo_tutor.sim.helpers import live, selector_matches
from liqo_tutor.sim.helpers import node_ready as _node_ready
from liqo_tutor.sim.helpers import set_status as _set_status
from liqo_tutor.sim.kindpods import KindSystemController
from liqo_tutor.sim.kinds import label_selector_string
from liqo_tutor.sim.kubelet import Kubelet, PodCleanup, PodGC
from liqo_tutor.sim.scheduler import Scheduler
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind, World, now_iso
from liqo_tutor.sim.workloads import DeploymentController, ReplicaSetController

__all__ = ["register"]


# The two built-in PriorityClasses (pkg/apis/scheduling/types.go).
_PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


def _qos_class(spec: Obj) -> str:
    """pkg/apis/core/helper/qos GetPodQOS: Guaranteed, Burstable or BestEffort."""
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    requests = [(c.get("resources") or {}).get("requests") or {} for c in containers]
    limits = [(c.get("resources") or {}).get("limits") or {} for c in containers]
    if not any(r.get(k) for r in requests + limits for k in ("cpu", "memory")):
        return "BestEffort"
    guaranteed = all(
        lim.get(k) and (req.get(k) in (None, lim.get(k)))
        for req, lim in zip(requests, limits, strict=True)
        for k in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _selector_matches(selector: dict[str, object] | None, labels: dict[str, str] | None) -> bool:
    """A workload's required selector: absent or empty selects nothing here (validation)."""
    return bool(selector) and selector_matches(selector, labels)


# --- admission (defaulting, allocation, validation) --------------------------------------------


def _default_pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("priority", 0)
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        image = c.get("image", "")
        last = image.split("@")[0].rsplit("/", 1)[-1]
        c.setdefault(
            "imagePullPolicy", "Always" if ":" not in last or last.endswith(":latest") else "IfNotPresent"
        )
        resources = c.setdefault("resources", {})
        for res, amount in (resources.get("limits") or {}).items():  # requests default to limits
            resources.setdefault("requests", {}).setdefault(res, amount)
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")


def _invalid(
    kind: ResourceKind, name: str, field: str, message: str, reason: str = "FieldValueInvalid"
) -> ApiError:
    group = f".{kind.group}" if kind.group else ""
    return ApiError(
        422,
        "Invalid",
        f'{kind.kind}{group} "{name}" is invalid: {field}: {message}',
        {
            "name": name,
            "group": kind.group,
            "kind": kind.kind,
            "causes": [{"reason": reason, "message": message, "field": field}],
        },
    )


def _go_map(labels: dict[str, str]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def _admit(cluster: Cluster, kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
    meta = obj["metadata"]
    name = meta.get("name", "")
    if kind.key == "namespaces":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        if old is None:
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {"phase": "Active"}
    elif kind.key == "pods":
        _admit_pod(kind, obj, old)
    elif kind.key in ("deployments.apps", "replicasets.apps", "daemonsets.apps"):
        _admit_workload(kind, obj, old)
    elif kind.key == "services":
        _admit_service(cluster, kind, obj, old)
    elif kind.key == "secrets":
        # pkg/apis/core/v1/defaults.go SetDefaults_Secret; the type never changes afterwards
        # (pkg/apis/core/validation ValidateSecretUpdate: "field is immutable").
        stype = obj.setdefault("type", "Opaque")
        if old is not None and stype != old.get("type", "Opaque"):
            raise _invalid(kind, name, "type", f'Invalid value: "{stype}": field is immutable')


def _admit_pod(kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
    name = obj["metadata"].get("name", "")
    spec = obj.setdefault("spec", {})
    if not spec.get("containers"):
        raise _invalid(kind, name, "spec.containers", "Required value", "FieldValueRequired")
    for c in spec["containers"]:
        if not c.get("image"):
            raise _invalid(
                kind,
                name,
                f"spec.containers[{spec['containers'].index(c)}].image",
                "Required value",
                "FieldValueRequired",
            )
    if old is None:
        if spec.get("priorityClassName") in _PRIORITY_CLASSES:
            spec.setdefault("priority", _PRIORITY_CLASSES[spec["priorityClassName"]])
        _default_pod_spec(spec)
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(t.get("key") == key for t in tolerations):
                tolerations.append(
                    {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                )
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}


def _admit_workload(kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
    name = obj["metadata"].get("name", "")
    spec = obj.setdefault("spec", {})
    if kind.key != "daemonsets.apps":
        spec.setdefault("replicas", 1)
    tmpl_labels = spec.get("template", {}).get("metadata", {}).get("labels") or {}
    selector = spec.get("selector")
    if not selector:
        raise _invalid(kind, name, "spec.selector", "Required value", "FieldValueRequired")
    if not _selector_matches(selector, tmpl_labels):
        raise _invalid(
            kind,
            name,
            "spec.template.metadata.labels",
            f"Invalid value: {_go_map(tmpl_labels)}: `selector` does not match template `labels`",
        )
    if old is not None and old.get("spec", {}).get("selector") != selector:
        sel = label_selector_string(selector)
        raise _invalid(
            kind,
            name,
            "spec.selector",
            f"Invalid value: v1.LabelSelector{{MatchLabels:{_go_map(selector.get('matchLabels') or {})}"
            f", MatchExpressions:[]v1.LabelSelectorRequirement(nil)}}: field is immutable"
            if sel
            else "field is immutable",
        )
    if kind.key == "deployments.apps":
        spec.setdefault(
            "strategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        )
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
    _default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))
    spec["template"].setdefault("metadata", {}).setdefault("creationTimestamp", None)


def _admit_service(cluster: Cluster, kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
    spec = obj.setdefault("spec", {})
    name = obj["metadata"].get("name", "")
    stype = spec.setdefault("type", "ClusterIP")
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        if stype != "ExternalName":
            p.setdefault("targetPort", p.get("port"))
    if stype == "ExternalName":
        return
    old_spec = (old or {}).get("spec") or {}
    if old_spec.get("clusterIP") and not spec.get("clusterIP"):
        spec["clusterIP"] = old_spec["clusterIP"]
    if old_spec.get("clusterIP") and spec.get("clusterIP") != old_spec["clusterIP"]:
        raise _invalid(
            kind,
            name,
            "spec.clusterIPs[0]",
            f'Invalid value: []string{{"{spec.get("clusterIP")}"}}: may not change once set',
        )
    _allocate_cluster_ip(cluster, kind, name, spec, old)
    spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if stype in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
        _allocate_node_ports(cluster, spec, old_spec)
        if stype == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
            obj.setdefault("status", {}).setdefault("loadBalancer", {})
    if old is None:
        obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _allocate_cluster_ip(cluster: Cluster, kind: ResourceKind, name: str, spec: Obj, old: Obj | None) -> None:
    """A free address of the service subnet, or the requested one checked (in range, unused)."""
    net = ipaddress.ip_network(cluster.spec.service_subnet, strict=False)
    used = {s.get("spec", {}).get("clusterIP") for s in cluster.objects.get("services", {}).values()}
    if not spec.get("clusterIP"):
        size = net.num_addresses
        for _ in range(1000):
            offset = 2 + cluster.world.rng_int(32) % max(size - 3, 1)
            candidate = str(net.network_address + offset)
            if candidate not in used:
                spec["clusterIP"] = candidate
                break
    elif spec["clusterIP"] != "None" and old is None:
        if ipaddress.ip_address(spec["clusterIP"]) not in net:
            raise _invalid(
                kind,
                name,
                "spec.clusterIPs",
                f'Invalid value: []string{{"{spec["clusterIP"]}"}}: failed to allocate IP '
                f"{spec['clusterIP']}: the provided IP ({spec['clusterIP']}) is not in the valid range. "
                f"The range of valid IPs is {cluster.spec.service_subnet}",
            )
        if spec["clusterIP"] in used:
            raise _invalid(
                kind,
                name,
                "spec.clusterIPs",
                f'Invalid value: []string{{"{spec["clusterIP"]}"}}: failed to allocate IP '
                f"{spec['clusterIP']}: provided IP is already allocated",
            )


def _allocate_node_ports(cluster: Cluster, spec: Obj, old_spec: Obj) -> None:
    """Keep each port's nodePort across updates, else a free one of 30000-32767."""
    used_ports = {
        p.get("nodePort")
        for s in cluster.objects.get("services", {}).values()
        for p in s.get("spec", {}).get("ports") or []
    }
    old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
    for p in spec.get("ports") or []:
        if p.get("nodePort"):
            continue
        if old_ports.get(p.get("port")):
            p["nodePort"] = old_ports[p.get("port")]
            continue
        while True:
            port = 30000 + cluster.world.rng_int(32) % 2768
            if port not in used_ports:
                p["nodePort"] = port
                used_ports.add(port)
                break


# --- controllers ------------------------------------------------------------------------------


class NodeController:
    """Nodes become Ready `node_ready` seconds after the cluster was created."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            created_at = float(cluster.private.get("created_at", now))
            ready_at = created_at + delay("node_ready")
            trace(
                "node_ready",
                cluster.name,
                created_at,
                ready_at - created_at,
                key=f"node/{cluster.name}/{created_at}",
            )
            for node in live(cluster, "nodes"):
                if _is_virtual(node) or _node_ready(node):
                    continue
                if now < ready_at:
                    world.wake_at(ready_at)
                    continue
                status = copy.deepcopy(node["status"])
                t = now_iso(ready_at)
                status["conditions"] = [
                    {
                        "type": "MemoryPressure",
                        "status": "False",
                        "reason": "KubeletHasSufficientMemory",
                        "message": "kubelet has sufficient memory available",
                        "lastHeartbeatTime": t,
                        "lastTransitionTime": t,
                    },
                    {
                        "type": "DiskPressure",
                        "status": "False",
                        "reason": "KubeletHasNoDiskPressure",
                        "message": "kubelet has no disk pressure",
                        "lastHeartbeatTime": t,
                        "lastTransitionTime": t,
                    },
                    {
                        "type": "PIDPressure",
                        "status": "False",
                        "reason": "KubeletHasSufficientPID",
                        "message": "kubelet has sufficient PID available",
                        "lastHeartbeatTime": t,
                        "lastTransitionTime": t,
                    },
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": t,
                        "lastTransitionTime": t,
                    },
                ]
                _set_status(cluster, "nodes", node, status)
                world.record(cluster.name, f"node {node['metadata']['name']} Ready")
                changed = True
        return changed


class NamespaceController:
    """A default ServiceAccount and kube-root-ca.crt per namespace; finalization of terminating namespaces."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for ns in cluster.list("namespaces"):
                name = ns["metadata"]["name"]
                if ns["metadata"].get("deletionTimestamp"):
                    changed |= self._finalize(world, cluster, ns, now)
                    continue
                if (name, "default") not in cluster.objects.get("serviceaccounts", {}):
                    cluster.create(
                        {
                            "apiVersion": "v1",
                            "kind": "ServiceAccount",
                            "metadata": {"name": "default", "namespace": name},
                        }
                    )
                    changed = True
                if (name, "kube-root-ca.crt") not in cluster.objects.get("configmaps", {}):
                    cluster.create(
                        {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {
                                "name": "kube-root-ca.crt",
                                "namespace": name,
                                "annotations": {
                                    "kubernetes.io/description": "Contains a CA bundle "
                                    "that can be used to verify the kube-apiserver "
                                    "when using internal endpoints such as the "
                                    "internal service IP or kubernetes.default.svc. "
                                    "No other usage is guaranteed across "
                                    "distributions of Kubernetes clusters."
                                },
                            },
                            "data": {
                                "ca.crt": "-----BEGIN CERTIFICATE-----\nSIMULATED\n"
                                "-----END CERTIFICATE-----\n"
                            },
                        }
                    )
                    changed = True
        return changed

    def _finalize(self, world: World, cluster: Cluster, ns: Obj, now: float) -> bool:
        name = ns["metadata"]["name"]
        changed = False
        remaining = 0
        for kind in cluster.kinds():
            if not kind.namespaced:
                continue
            for obj in cluster.list(kind.key, name):
                remaining += 1
                if not obj["metadata"].get("deletionTimestamp"):
                    cluster.delete(kind.key, name, obj["metadata"]["name"])
                    changed = True
        timers = cluster.private.setdefault("ns_deleting", {})
        started = float(timers.setdefault(ns["metadata"]["uid"], now))
        if remaining and any(cluster.list(k.key, name) for k in cluster.kinds() if k.namespaced):
            return changed
        done_at = started + delay("namespace_delete")
        if now < done_at:
            world.wake_at(done_at)
            return changed
        timers.pop(ns["metadata"]["uid"], None)
        cluster.finalize_namespace(name)
        return True


class GarbageCollector:
    """Deletes dependents whose owners are gone (background propagation)."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            uids = {o["metadata"].get("uid") for b in cluster.objects.values() for o in b.values()}
            for key, bucket in list(cluster.objects.items()):
                for obj in list(bucket.values()):
                    refs = obj["metadata"].get("ownerReferences") or []
                    if refs and not any(r.get("uid") in uids for r in refs):
                        if obj["metadata"].get("deletionTimestamp"):
                            continue
                        cluster.delete(key, obj["metadata"].get("namespace"), obj["metadata"]["name"])
                        changed = True
        return changed


def register(world: World) -> None:
    """Install the built-in admission defaults and controllers on `world`."""
    world.add_admission(_admit)
    for controller in (
        NodeController(),
        KindSystemController(),
        NamespaceController(),
        GarbageCollector(),
        DeploymentController(),
        ReplicaSetController(),
        DaemonSetController(),
        Scheduler(),
        Kubelet(),
        EndpointSliceController(),
        EndpointsController(),
        PodCleanup(),
        PodGC(),
    ):
        world.register(controller)
    from liqo_tutor.sim import statefulsets, volumes  # StatefulSets, claims/volumes/classes (H6)

    statefulsets.register(world)
    volumes.register(world)

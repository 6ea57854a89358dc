"""Built-in controllers of a kind cluster: defaulting, scheduling, pod lifecycle, workloads, services."""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
from typing import Any

from liqo_tutor.sim import images
from liqo_tutor.sim.delays import delay, trace
from liqo_tutor.sim.kinds import label_selector_string
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind, World, now_iso

__all__ = ["register"]

VIRTUAL_NODE_LABEL = "liqo.io/type"


# --- helpers ----------------------------------------------------------------------------------


def _set_status(cluster: Cluster, key: str, obj: Obj, status: dict[str, Any]) -> bool:
    if obj.get("status") == status:
        return False
    meta = obj["metadata"]
    cluster.update_status(key, meta.get("namespace"), meta["name"], status)
    return True


def _selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    if not selector:
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _owner_ref(obj: Obj, controller: bool = True) -> Obj:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def _owned_by(obj: Obj, owner: Obj) -> bool:
    return any(r.get("uid") == owner["metadata"]["uid"] for r in obj["metadata"].get("ownerReferences") or [])


def _is_virtual(node: Obj | None) -> bool:
    return (
        bool(node)
        and (node or {}).get("metadata", {}).get("labels", {}).get(VIRTUAL_NODE_LABEL) == "virtual-node"
    )


def _node_ready(node: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in node.get("status", {}).get("conditions") or []
    )


def _pod_ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _hash(data: Any, n: int = 10) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    value = int.from_bytes(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).digest()[:8], "big")
    out = []
    for _ in range(n):
        value, idx = divmod(value, len(alphabet))
        out.append(alphabet[idx])
    return "".join(out)


def _cond(
    ctype: str, status: str, reason: str = "", message: str = "", t: str = "", probe: bool = True
) -> Obj:
    c: Obj = {"type": ctype, "status": status}
    if probe:
        c["lastProbeTime"] = None
    c["lastTransitionTime"] = t
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


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
        c.setdefault("resources", {})
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
            _default_pod_spec(spec)
            spec.setdefault("serviceAccountName", "default")
            spec.setdefault("serviceAccount", spec["serviceAccountName"])
            tolerations = spec.setdefault("tolerations", [])
            for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
                if not any(t.get("key") == key for t in tolerations):
                    tolerations.append(
                        {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                    )
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    elif kind.key in ("deployments.apps", "replicasets.apps", "daemonsets.apps"):
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
    elif kind.key == "services":
        _admit_service(cluster, kind, obj, old)


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
    spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if stype in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
        used_ports = {
            p.get("nodePort")
            for s in cluster.objects.get("services", {}).values()
            for p in s.get("spec", {}).get("ports") or []
        }
        old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
        for p in spec.get("ports") or []:
            if not p.get("nodePort"):
                if old_ports.get(p.get("port")):
                    p["nodePort"] = old_ports[p.get("port")]
                    continue
                while True:
                    port = 30000 + cluster.world.rng_int(32) % 2768
                    if port not in used_ports:
                        p["nodePort"] = port
                        used_ports.add(port)
                        break
        if stype == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
            obj.setdefault("status", {}).setdefault("loadBalancer", {})
    if old is None:
        obj.setdefault("status", {}).setdefault("loadBalancer", {})


# --- controllers ------------------------------------------------------------------------------


class NodeController:
    """Nodes become Ready `node_ready` seconds after the cluster was created."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            created_at = float(cluster.private.get("created_at", now))
            ready_at = created_at + delay("node_ready")
            trace("node_ready", cluster.name, created_at, ready_at - created_at,
                  key=f"node/{cluster.name}/{created_at}")
            for node in cluster.list("nodes"):
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
                if cluster.get("serviceaccounts", name, "default") is None:
                    cluster.create(
                        {
                            "apiVersion": "v1",
                            "kind": "ServiceAccount",
                            "metadata": {"name": "default", "namespace": name},
                        }
                    )
                    changed = True
                if cluster.get("configmaps", name, "kube-root-ca.crt") is None:
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


class DeploymentController:
    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for d in cluster.list("deployments.apps"):
                if d["metadata"].get("deletionTimestamp"):
                    continue
                changed |= self._one(cluster, d)
        return changed

    def _one(self, cluster: Cluster, d: Obj) -> bool:
        changed = False
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        spec = d["spec"]
        template = copy.deepcopy(spec.get("template", {}))
        phash = _hash(template)
        rs_name = f"{name}-{phash}"
        owned = [rs for rs in cluster.list("replicasets.apps", ns) if _owned_by(rs, d)]
        new_rs = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
        replicas = int(spec.get("replicas", 1))
        revision = str(
            1
            + max(
                [
                    int(
                        (rs["metadata"].get("annotations") or {}).get(
                            "deployment.kubernetes.io/revision", "0"
                        )
                    )
                    for rs in owned
                ]
                or [0]
            )
        )
        if new_rs is None:
            template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = phash
            labels = dict(template["metadata"]["labels"])
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = phash
            cluster.create(
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "metadata": {
                        "name": rs_name,
                        "namespace": ns,
                        "labels": labels,
                        "annotations": {
                            "deployment.kubernetes.io/desired-replicas": str(replicas),
                            "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                            "deployment.kubernetes.io/revision": revision,
                        },
                        "ownerReferences": [_owner_ref(d)],
                    },
                    "spec": {"replicas": replicas, "selector": selector, "template": template},
                }
            )
            cluster.private.setdefault("rs_created", {})[f"{ns}/{rs_name}"] = now_iso()
            return True
        if new_rs["spec"].get("replicas") != replicas:
            new_rs["spec"]["replicas"] = replicas
            new_rs["metadata"].pop("resourceVersion", None)
            cluster.update(new_rs)
            changed = True
        for rs in owned:
            if rs["metadata"]["name"] != rs_name and rs["spec"].get("replicas", 0) != 0:
                rs["spec"]["replicas"] = 0
                rs["metadata"].pop("resourceVersion", None)
                cluster.update(rs)
                changed = True
        owned = [rs for rs in cluster.list("replicasets.apps", ns) if _owned_by(rs, d)]
        new_rs = next(rs for rs in owned if rs["metadata"]["name"] == rs_name)
        st_new = new_rs.get("status") or {}
        total = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in owned)
        ready = sum(int((rs.get("status") or {}).get("readyReplicas", 0)) for rs in owned)
        available = sum(int((rs.get("status") or {}).get("availableReplicas", 0)) for rs in owned)
        updated = int(st_new.get("replicas", 0))
        old = d.get("status") or {}
        conds = {c["type"]: c for c in old.get("conditions") or []}
        t = now_iso()

        def cond(ctype: str, status: str, reason: str, message: str) -> Obj:
            prev = conds.get(ctype)
            transition = prev["lastTransitionTime"] if prev and prev.get("status") == status else t
            update_time = (
                prev["lastUpdateTime"]
                if prev and prev.get("reason") == reason and prev.get("message") == message
                else t
            )
            return {
                "type": ctype,
                "status": status,
                "lastUpdateTime": update_time,
                "lastTransitionTime": transition,
                "reason": reason,
                "message": message,
            }

        min_available = replicas - _max_unavailable(spec, replicas)
        avail = (
            cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
            if available >= min_available
            else cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        )
        complete = updated == replicas and available >= replicas and total == replicas
        if complete:
            prog = cond(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
            )
        elif "Progressing" not in conds:
            prog = cond("Progressing", "True", "NewReplicaSetCreated", f'Created new replica set "{rs_name}"')
        else:
            prog = cond("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.')
        status: Obj = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": available,
        }
        if total - available > 0:
            status["unavailableReplicas"] = total - available
        for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
            if status[k] == 0:
                del status[k]
        status["conditions"] = [avail, prog]
        # keep the old condition timestamps when only the clock moved
        if (
            old
            and {k: v for k, v in old.items() if k != "conditions"}
            == {k: v for k, v in status.items() if k != "conditions"}
            and [(c["type"], c["status"], c["reason"]) for c in old.get("conditions") or []]
            == [(c["type"], c["status"], c["reason"]) for c in status["conditions"]]
        ):
            return changed
        changed |= _set_status(cluster, "deployments.apps", d, status)
        if complete and avail["status"] == "True" and old.get("availableReplicas") != available:
            cluster.world.record(cluster.name, f"deployment {ns}/{d['metadata']['name']} Available")
        return changed


def _max_unavailable(spec: Obj, replicas: int) -> int:
    ru = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    value = ru.get("maxUnavailable", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return int(replicas * int(value[:-1]) / 100)
    return int(value)


class ReplicaSetController:
    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for rs in cluster.list("replicasets.apps"):
                if rs["metadata"].get("deletionTimestamp"):
                    continue
                changed |= self._one(world, cluster, rs)
        return changed

    def _one(self, world: World, cluster: Cluster, rs: Obj) -> bool:
        changed = False
        ns = rs["metadata"]["namespace"]
        pods = [
            p
            for p in cluster.list("pods", ns)
            if _owned_by(p, rs)
            and not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        want = int(rs["spec"].get("replicas", 1))
        while len(pods) < want:
            tmpl = copy.deepcopy(rs["spec"].get("template", {}))
            meta = tmpl.get("metadata") or {}
            meta.pop("creationTimestamp", None)
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    **meta,
                    "name": f"{rs['metadata']['name']}-{world.random_suffix(5)}",
                    "namespace": ns,
                    "ownerReferences": [_owner_ref(rs)],
                },
                "spec": tmpl.get("spec", {}),
            }
            pods.append(cluster.create(pod))
            changed = True
        if len(pods) > want:
            for pod in sorted(pods, key=lambda p: (_pod_ready(p), p["metadata"]["name"]))[: len(pods) - want]:
                cluster.delete("pods", ns, pod["metadata"]["name"])
                changed = True
            pods = [p for p in cluster.list("pods", ns) if _owned_by(p, rs)]
        ready = sum(1 for p in pods if _pod_ready(p))
        status: Obj = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        for k in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if status[k] == 0:
                del status[k]
        changed |= _set_status(cluster, "replicasets.apps", rs, status)
        return changed


class DaemonSetController:
    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            nodes = [n for n in cluster.list("nodes") if not _is_virtual(n)]
            for ds in cluster.list("daemonsets.apps"):
                if ds["metadata"].get("deletionTimestamp"):
                    continue
                ns = ds["metadata"]["namespace"]
                pods = [p for p in cluster.list("pods", ns) if _owned_by(p, ds)]
                by_node = {p["spec"].get("nodeName"): p for p in pods}
                for node in nodes:
                    nname = node["metadata"]["name"]
                    if nname in by_node:
                        continue
                    tmpl = copy.deepcopy(ds["spec"].get("template", {}))
                    meta = tmpl.get("metadata") or {}
                    meta.pop("creationTimestamp", None)
                    spec = tmpl.get("spec", {})
                    spec["nodeName"] = nname
                    cluster.create(
                        {
                            "apiVersion": "v1",
                            "kind": "Pod",
                            "metadata": {
                                **meta,
                                "name": f"{ds['metadata']['name']}-{world.random_suffix(5)}",
                                "namespace": ns,
                                "ownerReferences": [_owner_ref(ds)],
                            },
                            "spec": spec,
                        }
                    )
                    changed = True
                pods = [p for p in cluster.list("pods", ns) if _owned_by(p, ds)]
                ready = sum(1 for p in pods if _pod_ready(p))
                status: Obj = {
                    "currentNumberScheduled": len(pods),
                    "desiredNumberScheduled": len(nodes),
                    "numberMisscheduled": 0,
                    "numberReady": ready,
                    "observedGeneration": ds["metadata"].get("generation", 1),
                    "updatedNumberScheduled": len(pods),
                    "numberAvailable": ready,
                }
                if len(pods) - ready:
                    status["numberUnavailable"] = len(pods) - ready
                if ready == 0:
                    del status["numberAvailable"]
                changed |= _set_status(cluster, "daemonsets.apps", ds, status)
        return changed


def _tolerates(pod: Obj, taint: Obj) -> bool:
    if taint.get("effect") == "PreferNoSchedule":
        return True
    for tol in pod.get("spec", {}).get("tolerations") or []:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists" and (not tol.get("key") or tol.get("key") == taint.get("key")):
            return True
        if tol.get("key") == taint.get("key") and tol.get("value", "") == taint.get("value", ""):
            return True
    return False


class PodController:
    """Scheduler + kubelet: node choice, IP, image pull, start, readiness, one-shot runs and their logs."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for pod in cluster.list("pods"):
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase in ("Succeeded", "Failed"):
                    continue
                if not pod["spec"].get("nodeName"):
                    changed |= self._schedule(world, cluster, pod, now)
                    continue
                node = cluster.get("nodes", None, pod["spec"]["nodeName"])
                if node is None or _is_virtual(node):
                    continue  # virtual nodes: the Liqo controllers own these pods
                changed |= self._kubelet(world, cluster, pod, node, now)
        return changed

    def _schedule(self, world: World, cluster: Cluster, pod: Obj, now: float) -> bool:
        nodes = cluster.list("nodes")
        node_selector = pod["spec"].get("nodeSelector") or {}
        fit = []
        reasons: dict[str, int] = {}
        for node in nodes:
            labels = node["metadata"].get("labels") or {}
            if not _node_ready(node):
                reasons["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"] = (
                    reasons.get("node(s) had untolerated taint {node.kubernetes.io/not-ready: }", 0) + 1
                )
                continue
            bad = [
                t
                for t in node.get("spec", {}).get("taints") or []
                if t.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(pod, t)
            ]
            if bad:
                key = f"node(s) had untolerated taint {{{bad[0].get('key')}: {bad[0].get('value', '')}}}"
                reasons[key] = reasons.get(key, 0) + 1
                continue
            if any(labels.get(k) != v for k, v in node_selector.items()):
                key = "node(s) didn't match Pod's node affinity/selector"
                reasons[key] = reasons.get(key, 0) + 1
                continue
            fit.append(node)
        if not fit:
            msg = (
                f"0/{len(nodes)} nodes are available: "
                + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
                + "."
                + " preemption: 0/{0} nodes are available: {0} Preemption is not helpful for "
                "scheduling.".format(len(nodes))
            )
            status = copy.deepcopy(pod.get("status") or {})
            status["phase"] = "Pending"
            old = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
            t = old[0]["lastTransitionTime"] if old and old[0].get("status") == "False" else now_iso(now)
            status["conditions"] = [_cond("PodScheduled", "False", "Unschedulable", msg, t)]
            return _set_status(cluster, "pods", pod, status)
        counts = {n["metadata"]["name"]: 0 for n in fit}
        for p in cluster.list("pods"):
            if p["spec"].get("nodeName") in counts:
                counts[p["spec"]["nodeName"]] += 1
        chosen = min(fit, key=lambda n: (counts[n["metadata"]["name"]], n["metadata"]["name"]))
        pod["spec"]["nodeName"] = chosen["metadata"]["name"]
        pod["metadata"].pop("resourceVersion", None)
        cluster.update(pod)
        return True

    def _timeline(self, world: World, cluster: Cluster, pod: Obj, node: Obj, now: float) -> dict[str, Any]:
        timelines = cluster.private.setdefault("pods", {})
        uid = pod["metadata"]["uid"]
        tl: dict[str, Any] | None = timelines.get(uid)
        if tl is None:
            tl = {"scheduled": now, "ip": self._alloc_ip(cluster, node, pod)}
            pulled = cluster.private.setdefault("pulled", {}).setdefault(node["metadata"]["name"], [])
            # `kind load docker-image` puts images on every node, as if pulled there.
            loaded = cluster.private.get("loaded_images", [])
            pulled = [*pulled, *(_image_ref(e.get("image", "")) for e in loaded)]
            start = now
            tl["containers"] = {}
            for c in pod["spec"].get("containers") or []:
                image = c.get("image", "")
                beh = images.behaviour_for(image)
                present = image in pulled or _image_ref(image) in pulled
                pull = 0.0 if present and c.get("imagePullPolicy") != "Always" else delay("image_pull")
                if present and c.get("imagePullPolicy") == "Always":
                    pull = delay("image_pull") * 0.2
                pulled_at = start + pull
                started_at = pulled_at + delay(beh.start_delay)
                tl["containers"][c["name"]] = {
                    "pulled": pulled_at,
                    "started": started_at,
                    "exit": started_at + delay("curl") if beh.kind == "oneshot" else None,
                }
                trace("image_pull", cluster.name, start, pulled_at - start)
                trace(beh.start_delay, cluster.name, pulled_at, started_at - pulled_at)
                if beh.kind == "oneshot":
                    trace("curl", cluster.name, started_at, tl["containers"][c["name"]]["exit"] - started_at)
            timelines[uid] = tl
        return tl

    def _alloc_ip(self, cluster: Cluster, node: Obj, pod: Obj) -> str:
        if pod["spec"].get("hostNetwork"):
            addrs = node.get("status", {}).get("addresses") or []
            return next((a["address"] for a in addrs if a.get("type") == "InternalIP"), "")
        cidr = node.get("spec", {}).get("podCIDR") or cluster.spec.pod_subnet
        net = ipaddress.ip_network(cidr, strict=False)
        used = {t.get("ip") for t in cluster.private.get("pods", {}).values()}
        live = {(p.get("status") or {}).get("podIP") for p in cluster.objects.get("pods", {}).values()}
        for host in list(net.hosts())[1:]:
            ip = str(host)
            if ip not in used and ip not in live:
                return ip
        return str(net.network_address + 2)

    def _kubelet(self, world: World, cluster: Cluster, pod: Obj, node: Obj, now: float) -> bool:
        tl = self._timeline(world, cluster, pod, node, now)
        node_name = node["metadata"]["name"]
        host_ip = next(
            (
                a["address"]
                for a in node.get("status", {}).get("addresses") or []
                if a.get("type") == "InternalIP"
            ),
            "",
        )
        logs: dict[str, str] = cluster.private.setdefault("logs", {})
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        restart = pod["spec"].get("restartPolicy", "Always")
        statuses = []
        all_ready = True
        terminal_codes: list[int] = []
        next_wake: list[float] = []
        sched_t = now_iso(tl["scheduled"])
        for c in pod["spec"].get("containers") or []:
            cname = c["name"]
            ctl = tl["containers"].get(cname)
            if ctl is None:
                continue
            image = c.get("image", "")
            beh = images.behaviour_for(image)
            cs: Obj = {
                "name": cname,
                "image": images.docker_ref(image) if beh.kind != "unknown" else image,
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "lastState": {},
            }
            if now < ctl["pulled"]:
                cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
                next_wake.append(ctl["pulled"])
            elif beh.kind == "unknown":
                backoff_at = ctl["pulled"] + delay("backoff")
                if now < backoff_at:
                    cs["state"] = {
                        "waiting": {"reason": "ErrImagePull", "message": images.pull_error_message(image)}
                    }
                    next_wake.append(backoff_at)
                else:
                    cs["state"] = {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{image}"',
                        }
                    }
            elif now < ctl["started"]:
                cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
                next_wake.append(ctl["started"])
                pulled = cluster.private.setdefault("pulled", {}).setdefault(node_name, [])
                if image not in pulled:
                    pulled.append(image)
            else:
                pulled = cluster.private.setdefault("pulled", {}).setdefault(node_name, [])
                if image not in pulled:
                    pulled.append(image)
                digest = hashlib.sha256(image.encode()).hexdigest()
                cs["imageID"] = f"{images.docker_ref(image).rsplit(':', 1)[0]}@sha256:{digest}"
                cs["containerID"] = (
                    "containerd://" + hashlib.sha256(f"{pod['metadata']['uid']}/{cname}".encode()).hexdigest()
                )
                log_key = f"{ns}/{name}/{cname}"
                if log_key not in logs:
                    logs[log_key] = beh.startup_log
                exit_at = ctl.get("exit")
                if exit_at is not None and now >= exit_at:
                    if "code" not in ctl:
                        out, code = images.run_container(world, cluster, pod, c)
                        ctl["code"] = code
                        logs[log_key] = logs.get(log_key, "") + out
                    code = int(ctl["code"])
                    term = {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": now_iso(ctl["started"]),
                        "finishedAt": now_iso(exit_at),
                        "containerID": cs["containerID"],
                    }
                    if restart == "Always" or (restart == "OnFailure" and code != 0):
                        cs["lastState"] = {"terminated": term}
                        cs["restartCount"] = 1
                        cs["state"] = {
                            "waiting": {
                                "reason": "CrashLoopBackOff",
                                "message": f"back-off 10s restarting failed container={cname} "
                                f"pod={name}_{ns}({pod['metadata']['uid']})",
                            }
                        }
                    else:
                        cs["state"] = {"terminated": term}
                        terminal_codes.append(code)
                else:
                    cs["state"] = {"running": {"startedAt": now_iso(ctl["started"])}}
                    cs["ready"] = True
                    cs["started"] = True
                    if exit_at is not None:
                        next_wake.append(exit_at)
            if not cs["ready"]:
                all_ready = False
            statuses.append(cs)
        names = [s["name"] for s in statuses if not s["ready"]]
        last_start = max([ctl["started"] for ctl in tl["containers"].values()] or [tl["scheduled"]])
        finished = len(terminal_codes) == len(statuses) and statuses
        if finished:
            phase = "Succeeded" if all(c == 0 for c in terminal_codes) else "Failed"
        elif any("running" in s["state"] for s in statuses) or any(s["restartCount"] for s in statuses):
            phase = "Running"
        else:
            phase = "Pending"
        ready_t = now_iso(last_start) if all_ready else sched_t
        conditions = [
            _cond(
                "PodReadyToStartContainers",
                "True"
                if now >= min((c["pulled"] for c in tl["containers"].values()), default=now)
                else "False",
                t=sched_t,
            ),
            _cond("Initialized", "True", t=sched_t),
            _cond(
                "Ready",
                "True" if all_ready else "False",
                "" if all_ready else ("PodCompleted" if finished else "ContainersNotReady"),
                "" if all_ready or finished else f"containers with unready status: [{' '.join(names)}]",
                ready_t,
            ),
            _cond(
                "ContainersReady",
                "True" if all_ready else "False",
                "" if all_ready else ("PodCompleted" if finished else "ContainersNotReady"),
                "" if all_ready or finished else f"containers with unready status: [{' '.join(names)}]",
                ready_t,
            ),
            _cond("PodScheduled", "True", t=sched_t),
        ]
        status: Obj = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": sched_t,
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        }
        if tl.get("ip"):
            status["podIP"] = tl["ip"]
            status["podIPs"] = [{"ip": tl["ip"]}]
        for t in next_wake:
            world.wake_at(t)
        changed = _set_status(cluster, "pods", pod, status)
        if changed and all_ready and not _pod_ready(pod):
            world.record(cluster.name, f"pod {ns}/{name} Ready")
        return changed


class EndpointSliceController:
    """One EndpointSlice per selector Service, listing the pods (Ready or not) that match, in this cluster."""

    MANAGED_BY = "endpointslice-controller.k8s.io"

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            slices = cluster.list("endpointslices.discovery.k8s.io")
            mine = [
                s
                for s in slices
                if (s["metadata"].get("labels") or {}).get("endpointslice.kubernetes.io/managed-by")
                == self.MANAGED_BY
            ]
            wanted: set[tuple[str, str]] = set()
            for svc in cluster.list("services"):
                selector = svc.get("spec", {}).get("selector")
                if not selector or svc["spec"].get("type") == "ExternalName":
                    continue
                ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
                wanted.add((ns, name))
                pods = [
                    p
                    for p in cluster.list("pods", ns)
                    if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
                    and (p.get("status") or {}).get("podIP")
                    and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                ]
                endpoints = []
                for p in pods:
                    ready = _pod_ready(p) and not p["metadata"].get("deletionTimestamp")
                    endpoints.append(
                        {
                            "addresses": [p["status"]["podIP"]],
                            "conditions": {
                                "ready": ready,
                                "serving": ready,
                                "terminating": bool(p["metadata"].get("deletionTimestamp")),
                            },
                            "nodeName": p["spec"].get("nodeName"),
                            "targetRef": {
                                "kind": "Pod",
                                "name": p["metadata"]["name"],
                                "namespace": ns,
                                "uid": p["metadata"]["uid"],
                            },
                        }
                    )
                ports = []
                for sp in svc["spec"].get("ports") or []:
                    target = sp.get("targetPort", sp.get("port"))
                    if isinstance(target, str):
                        target = self._named_port(pods, target) or sp.get("port")
                    ports.append(
                        {
                            "name": sp.get("name", ""),
                            "port": int(target),
                            "protocol": sp.get("protocol", "TCP"),
                        }
                    )
                labels = dict(svc["metadata"].get("labels") or {})
                labels.update(
                    {
                        "kubernetes.io/service-name": name,
                        "endpointslice.kubernetes.io/managed-by": self.MANAGED_BY,
                    }
                )
                existing = next(
                    (
                        s
                        for s in mine
                        if s["metadata"]["namespace"] == ns
                        and s["metadata"]["labels"].get("kubernetes.io/service-name") == name
                    ),
                    None,
                )
                body: Obj = {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": {
                        "namespace": ns,
                        "labels": labels,
                        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": now_iso(now)},
                        "ownerReferences": [_owner_ref(svc)],
                    },
                    "addressType": "IPv4",
                    "endpoints": endpoints,
                    "ports": ports,
                }
                if existing is None:
                    body["metadata"]["generateName"] = f"{name}-"
                    cluster.create(body)
                    changed = True
                elif (
                    (existing.get("endpoints") or []) != endpoints
                    or existing.get("ports") != ports
                    or existing["metadata"].get("labels") != labels
                ):
                    existing["endpoints"] = endpoints
                    existing["ports"] = ports
                    existing["metadata"]["labels"] = labels
                    existing["metadata"].setdefault("annotations", {})[
                        "endpoints.kubernetes.io/last-change-trigger-time"
                    ] = now_iso(now)
                    existing["metadata"].pop("resourceVersion", None)
                    cluster.update(existing)
                    changed = True
            for s in mine:
                key = (s["metadata"]["namespace"], s["metadata"]["labels"].get("kubernetes.io/service-name"))
                if key not in wanted:
                    cluster.delete(
                        "endpointslices.discovery.k8s.io", s["metadata"]["namespace"], s["metadata"]["name"]
                    )
                    changed = True
        return changed

    @staticmethod
    def _named_port(pods: list[Obj], port_name: str) -> int | None:
        for p in pods:
            for c in p["spec"].get("containers") or []:
                for cp in c.get("ports") or []:
                    if cp.get("name") == port_name:
                        return int(cp["containerPort"])
        return None


class PodCleanup:
    """Forget the kubelet bookkeeping (timelines, logs) of pods that no longer exist."""

    def reconcile(self, world: World, now: float) -> bool:
        for cluster in list(world.clusters.values()):
            uids = {p["metadata"]["uid"] for p in cluster.objects.get("pods", {}).values()}
            timelines = cluster.private.get("pods", {})
            for uid in [u for u in timelines if u not in uids]:
                del timelines[uid]
            keys = {f"{ns}/{n}" for (ns, n) in cluster.objects.get("pods", {})}
            logs = cluster.private.get("logs", {})
            for k in [k for k in logs if k.rsplit("/", 1)[0] not in keys]:
                del logs[k]
        return False


def register(world: World) -> None:
    """Install the built-in admission defaults and controllers on `world`."""
    world.add_admission(_admit)
    for controller in (
        NodeController(),
        NamespaceController(),
        GarbageCollector(),
        DeploymentController(),
        ReplicaSetController(),
        DaemonSetController(),
        PodController(),
        EndpointSliceController(),
        PodCleanup(),
    ):
        world.register(controller)


def _image_ref(image: str) -> str:
    """`liqo/flights-service`, `docker.io/liqo/flights-service:latest` -> one canonical reference."""
    ref = image.split("@", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/"):
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    return ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"

"""StatefulSets: defaulting and validation, the controller (ordered pods, stable names, claims), headless DNS.

Behaviour follows kubernetes pkg/controller/statefulset (stateful_set_control.go, stateful_set_utils.go):
pods NAME-ORDINAL with hostname/subdomain, claims TEMPLATE-NAME-ORDINAL created before their pod,
OrderedReady waits for every lower ordinal to be Running and Ready, Parallel does not, scale-down from
the highest ordinal, RollingUpdate replaces outdated pods from the highest ordinal; status fields as
the controller writes them (replicas, readyReplicas, currentReplicas, updatedReplicas, revisions).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from liqo_tutor.sim.helpers import owned_by, owner_ref, record_event
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind, World

__all__ = ["StatefulSetController", "register", "resolve_host"]

KEY = "statefulsets.apps"
_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def _hash(data: Any) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    value = int.from_bytes(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).digest()[:8], "big")
    out = []
    for _ in range(10):
        value, idx = divmod(value, len(alphabet))
        out.append(alphabet[idx])
    return "".join(out)


def _selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if not selector:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def _invalid(name: str, field: str, message: str, reason: str = "FieldValueInvalid") -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f'StatefulSet.apps "{name}" is invalid: {field}: {message}',
        {
            "name": name,
            "group": "apps",
            "kind": "StatefulSet",
            "causes": [{"reason": reason, "message": message, "field": field}],
        },
    )


def _go_map(labels: dict[str, str]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def _default_claim(tmpl: Obj) -> None:
    tmpl.setdefault("apiVersion", "v1")
    tmpl.setdefault("kind", "PersistentVolumeClaim")
    tmpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    tmpl.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    tmpl.setdefault("status", {"phase": "Pending"})


def _admit(cluster: Cluster, kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
    if kind.key != KEY:
        return
    name = obj["metadata"].get("name", "")
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        rolling.setdefault("partition", 0)
        strategy["rollingUpdate"] = rolling
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    for tmpl in spec.get("volumeClaimTemplates") or []:
        _default_claim(tmpl)
    selector = spec.get("selector")
    tmpl_labels = spec.get("template", {}).get("metadata", {}).get("labels") or {}
    if not selector:
        raise _invalid(name, "spec.selector", "Required value", "FieldValueRequired")
    if not _selector_matches(selector, tmpl_labels):
        raise _invalid(
            name,
            "spec.template.metadata.labels",
            f"Invalid value: {_go_map(tmpl_labels)}: `selector` does not match template `labels`",
        )
    if spec.get("podManagementPolicy") not in ("OrderedReady", "Parallel"):
        raise _invalid(
            name,
            "spec.podManagementPolicy",
            f'Unsupported value: "{spec.get("podManagementPolicy")}": supported values: '
            '"OrderedReady", "Parallel"',
            "FieldValueNotSupported",
        )
    if old is not None:
        old_spec = old.get("spec") or {}
        frozen = {k: v for k, v in spec.items() if k not in _MUTABLE}
        old_frozen = {k: v for k, v in old_spec.items() if k not in _MUTABLE}
        if frozen != old_frozen:
            raise _invalid(
                name,
                "spec",
                "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds' are forbidden",
                "FieldValueForbidden",
            )
    tmpl = spec.setdefault("template", {})
    tmpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    pod_spec = tmpl.setdefault("spec", {})
    pod_spec.setdefault("restartPolicy", "Always")
    pod_spec.setdefault("dnsPolicy", "ClusterFirst")
    pod_spec.setdefault("schedulerName", "default-scheduler")
    pod_spec.setdefault("terminationGracePeriodSeconds", 30)
    pod_spec.setdefault("securityContext", {})


def _pod_ready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
    )


def _ordinal(sts_name: str, pod_name: str) -> int | None:
    prefix = f"{sts_name}-"
    if not pod_name.startswith(prefix) or not pod_name[len(prefix) :].isdigit():
        return None
    return int(pod_name[len(prefix) :])


def _event(cluster: Cluster, sts: Obj, reason: str, message: str) -> None:
    """The StatefulSet controller's events (stateful_pod_control.go recordPodEvent/recordClaimEvent)."""
    record_event(cluster, sts, "Normal", reason, message, component="statefulset-controller")


def claim_name(template: str, sts_name: str, ordinal: int) -> str:
    return f"{template}-{sts_name}-{ordinal}"


class StatefulSetController:
    """Pods and claims of every StatefulSet, then its status (one decision per reconcile round)."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for sts in cluster.list(KEY):
                if sts["metadata"].get("deletionTimestamp"):
                    continue
                changed |= self._one(world, cluster, sts)
        return changed

    def _one(self, world: World, cluster: Cluster, sts: Obj) -> bool:
        ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        spec = sts["spec"]
        revision = f"{name}-{_hash(spec.get('template', {}))}"
        replicas = int(spec.get("replicas", 1))
        pods: dict[int, Obj] = {}
        for p in cluster.list("pods", ns):
            ordinal = _ordinal(name, p["metadata"]["name"])
            if ordinal is not None and owned_by(p, sts):
                pods[ordinal] = p
        changed = self._replace_failed(cluster, pods)
        if not changed:
            changed = self._scale(cluster, sts, pods, replicas, revision)
        if not changed:
            changed = self._roll(cluster, sts, pods, replicas, revision)
        if changed:
            pods = {
                o: p
                for p in cluster.list("pods", ns)
                if (o := _ordinal(name, p["metadata"]["name"])) is not None and owned_by(p, sts)
            }
        return self._status(cluster, sts, pods, replicas, revision) or changed

    @staticmethod
    def _replace_failed(cluster: Cluster, pods: dict[int, Obj]) -> bool:
        changed = False
        for ordinal, pod in list(pods.items()):
            if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded") and not pod["metadata"].get(
                "deletionTimestamp"
            ):
                cluster.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
                del pods[ordinal]
                changed = True
        return changed

    def _scale(self, cluster: Cluster, sts: Obj, pods: dict[int, Obj], replicas: int, revision: str) -> bool:
        ordered = sts["spec"].get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        changed = False
        for ordinal in range(replicas):
            if ordinal in pods:
                if ordered and not _pod_ready(pods[ordinal]):
                    return changed
                continue
            self._ensure_claims(cluster, sts, ordinal)
            pods[ordinal] = cluster.create(self._new_pod(sts, ordinal, revision))
            _event(cluster, sts, "SuccessfulCreate", f"create Pod {sts['metadata']['name']}-{ordinal} in "
                   f"StatefulSet {sts['metadata']['name']} successful")  # fmt: skip
            changed = True
            if ordered:
                return changed
        extra = sorted((o for o in pods if o >= replicas), reverse=True)
        for ordinal in extra:
            pod = pods[ordinal]
            if pod["metadata"].get("deletionTimestamp"):
                if ordered:
                    return changed
                continue
            if ordered and not all(_pod_ready(p) for o, p in pods.items() if o < ordinal):
                return changed
            cluster.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
            _event(cluster, sts, "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in "
                   f"StatefulSet {sts['metadata']['name']} successful")  # fmt: skip
            changed = True
            if ordered:
                return changed
        return changed

    @staticmethod
    def _roll(cluster: Cluster, sts: Obj, pods: dict[int, Obj], replicas: int, revision: str) -> bool:
        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return False
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
        live = {o: p for o, p in pods.items() if o < replicas}
        if len(live) < replicas or not all(_pod_ready(p) for p in live.values()):
            return False
        for ordinal in sorted(live, reverse=True):
            pod = live[ordinal]
            if ordinal < partition:
                break
            if (pod["metadata"].get("labels") or {}).get("controller-revision-hash") != revision:
                cluster.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
                return True
        return False

    @staticmethod
    def _ensure_claims(cluster: Cluster, sts: Obj, ordinal: int) -> None:
        ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        match = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
            cname = claim_name(tmpl.get("metadata", {}).get("name", ""), name, ordinal)
            if cluster.get("persistentvolumeclaims", ns, cname) is not None:
                continue
            meta = copy.deepcopy(tmpl.get("metadata") or {})
            meta.pop("creationTimestamp", None)
            labels = {**(meta.get("labels") or {}), **match}
            spec = copy.deepcopy(tmpl.get("spec") or {})
            cluster.create(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {**meta, "name": cname, "namespace": ns, "labels": labels},
                    "spec": spec,
                }
            )
            _event(cluster, sts, "SuccessfulCreate", f"create Claim {cname} Pod {name}-{ordinal} in "
                   f"StatefulSet {name} success")  # fmt: skip

    @staticmethod
    def _new_pod(sts: Obj, ordinal: int, revision: str) -> Obj:
        name = sts["metadata"]["name"]
        tmpl = copy.deepcopy(sts["spec"].get("template") or {})
        meta = tmpl.get("metadata") or {}
        meta.pop("creationTimestamp", None)
        pod_name = f"{name}-{ordinal}"
        labels = dict(meta.get("labels") or {})
        labels.update(
            {
                "controller-revision-hash": revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal),
            }
        )
        spec = tmpl.get("spec") or {}
        spec["hostname"] = pod_name
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        volumes = list(spec.get("volumes") or [])
        for claim in sts["spec"].get("volumeClaimTemplates") or []:
            vname = claim.get("metadata", {}).get("name", "")
            volumes = [v for v in volumes if v.get("name") != vname]
            volumes.append(
                {"name": vname, "persistentVolumeClaim": {"claimName": claim_name(vname, name, ordinal)}}
            )
        if volumes:
            spec["volumes"] = volumes
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **meta,
                "name": pod_name,
                "namespace": sts["metadata"]["namespace"],
                "labels": labels,
                "ownerReferences": [owner_ref(sts)],
            },
            "spec": spec,
        }

    @staticmethod
    def _status(cluster: Cluster, sts: Obj, pods: dict[int, Obj], replicas: int, revision: str) -> bool:
        old = sts.get("status") or {}
        live = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
        updated = [
            p for p in live if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision
        ]
        ready = sum(1 for p in live if _pod_ready(p))
        current_rev = old.get("currentRevision") or revision
        if len(updated) == replicas == len(live) and all(_pod_ready(p) for p in updated):
            current_rev = revision
        current = sum(
            1
            for p in live
            if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == current_rev
        )
        status: Obj = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(live),
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": len(updated),
            "currentRevision": current_rev,
            "updateRevision": revision,
            "collisionCount": 0,
            "availableReplicas": ready,
        }
        for k in ("readyReplicas", "currentReplicas", "updatedReplicas"):
            if status[k] == 0:
                del status[k]
        if old == status:
            return False
        cluster.update_status(KEY, sts["metadata"]["namespace"], sts["metadata"]["name"], status)
        return True


# --- DNS of headless Services ----------------------------------------------------------------------


def _endpoint_ips(
    cluster: Cluster, namespace: str, service: str, include_not_ready: bool
) -> list[tuple[str, str]]:
    """(hostname, IP) of the Service's endpoints, as CoreDNS publishes them: the endpoint's hostname, else
    the hostname of the pod it targets (StatefulSet pods: their name)."""
    out: list[tuple[str, str]] = []
    pods = cluster.objects.get("pods", {})
    for es in cluster.objects.get("endpointslices.discovery.k8s.io", {}).values():
        meta = es.get("metadata", {})
        labels = meta.get("labels") or {}
        if meta.get("namespace") != namespace or labels.get("kubernetes.io/service-name") != service:
            continue
        for ep in es.get("endpoints") or []:
            if not include_not_ready and (ep.get("conditions") or {}).get("ready") is False:
                continue
            ref = ep.get("targetRef") or {}
            pod = pods.get((namespace, ref.get("name", ""))) or {}
            spec = pod.get("spec") or {}
            if ep.get("hostname"):
                hostname = str(ep["hostname"])
            elif spec.get("subdomain") in (None, service):
                hostname = str(spec.get("hostname") or ref.get("name", ""))
            else:
                hostname = ""
            out.extend((hostname, str(a)) for a in ep.get("addresses") or [])
    return out


def resolve_host(cluster: Cluster, namespace: str, host: str, include_not_ready: bool = False) -> str | None:
    """A name CoreDNS answers for headless Services: `svc[.ns[.svc[.cluster.local]]]` (first endpoint IP)
    and `pod.svc[.ns[.svc[.cluster.local]]]` (the endpoint whose hostname is `pod`)."""
    parts = host.rstrip(".").split(".")
    if parts[-2:] == ["cluster", "local"]:
        parts = parts[:-2]
    if len(parts) >= 3 and parts[-1] == "svc":
        parts = parts[:-1]
    candidates: list[tuple[str | None, str, str]] = []
    if len(parts) == 1:
        candidates.append((None, parts[0], namespace))
    elif len(parts) == 2:
        candidates += [(None, parts[0], parts[1]), (parts[0], parts[1], namespace)]
    elif len(parts) == 3:
        candidates.append((parts[0], parts[1], parts[2]))
    for pod_host, svc_name, ns in candidates:
        svc = cluster.objects.get("services", {}).get((ns, svc_name))
        if svc is None or (svc.get("spec") or {}).get("clusterIP") != "None":
            continue
        not_ready = include_not_ready or bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
        ips = _endpoint_ips(cluster, ns, svc_name, not_ready)
        if pod_host is None:
            if ips:
                return ips[0][1]
            continue
        for hostname, ip in ips:
            if hostname == pod_host:
                return ip
    return None


class DisruptionController:
    """PodDisruptionBudget status (pkg/controller/disruption): healthy pods against the budget."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for pdb in cluster.list("poddisruptionbudgets.policy"):
                ns = pdb["metadata"]["namespace"]
                spec = pdb.get("spec") or {}
                pods = [
                    p
                    for p in cluster.list("pods", ns)
                    if _selector_matches(spec.get("selector"), p["metadata"].get("labels") or {})
                    and not p["metadata"].get("deletionTimestamp")
                ]
                expected = len(pods)
                healthy = sum(1 for p in pods if _pod_ready(p))
                desired = (
                    _budget(spec.get("minAvailable"), expected)
                    if "minAvailable" in spec
                    else max(expected - _budget(spec.get("maxUnavailable", 1), expected), 0)
                )
                status: Obj = {
                    "observedGeneration": pdb["metadata"].get("generation", 1),
                    "disruptionsAllowed": max(healthy - desired, 0),
                    "currentHealthy": healthy,
                    "desiredHealthy": desired,
                    "expectedPods": expected,
                }
                old = {k: v for k, v in (pdb.get("status") or {}).items() if k != "conditions"}
                if old != status:
                    status["conditions"] = [
                        {
                            "type": "DisruptionAllowed",
                            "status": "True" if status["disruptionsAllowed"] else "False",
                            "reason": "SufficientPods"
                            if status["disruptionsAllowed"]
                            else "InsufficientPods",
                            "message": "",
                            "observedGeneration": status["observedGeneration"],
                            "lastTransitionTime": pdb["metadata"].get("creationTimestamp", ""),
                        }
                    ]
                    cluster.update_status("poddisruptionbudgets.policy", ns, pdb["metadata"]["name"], status)
                    changed = True
        return changed


def _budget(value: Any, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return -(-total * int(value[:-1]) // 100)
    return int(value or 0)


def register(world: World) -> None:
    world.add_admission(_admit)
    world.register(StatefulSetController())
    world.register(DisruptionController())

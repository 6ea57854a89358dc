"""Deployment and ReplicaSet controllers (pkg/controller/deployment, pkg/controller/replicaset)."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from liqo_tutor.sim.helpers import live, record_event
from liqo_tutor.sim.helpers import owned_by as _owned_by
from liqo_tutor.sim.helpers import owner_ref as _owner_ref
from liqo_tutor.sim.helpers import pod_ready as _pod_ready
from liqo_tutor.sim.helpers import set_status as _set_status
from liqo_tutor.sim.store import Cluster, Obj, World, now_iso

__all__ = ["DeploymentController", "ReplicaSetController", "pod_template_hash"]


def pod_template_hash(data: Any, n: int = 10) -> str:
    """A stable short hash in the alphabet of rand.SafeEncodeString (pod-template-hash, pod suffixes)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    value = int.from_bytes(hashlib.sha256(json.dumps(data, sort_keys=True).encode()).digest()[:8], "big")
    out = []
    for _ in range(n):
        value, idx = divmod(value, len(alphabet))
        out.append(alphabet[idx])
    return "".join(out)


_hash = pod_template_hash


def _event(cluster: Cluster, obj: Obj, reason: str, message: str) -> None:
    component = "deployment-controller" if obj.get("kind") == "Deployment" else "replicaset-controller"
    record_event(cluster, obj, "Normal", reason, message, component=component)


def _scaled(cluster: Cluster, rs: Obj, to: int) -> str:
    """The ScalingReplicaSet message of pkg/controller/deployment/sync.go, per release: the old count
    was added after the new one (kubernetes#101142), then put first (kubernetes#125118, v1.31)."""
    before = int(rs["spec"].get("replicas", 0))
    way = "up" if to > before else "down"
    try:
        minor = int(cluster.spec.k8s_version.lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        minor = 33
    name = rs["metadata"]["name"]
    if minor >= 31:
        return f"Scaled {way} replica set {name} from {before} to {to}"
    if minor >= 27:
        return f"Scaled {way} replica set {name} to {to} from {before}"
    return f"Scaled {way} replica set {name} to {to}"


class DeploymentController:
    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for d in live(cluster, "deployments.apps"):
                if d["metadata"].get("deletionTimestamp"):
                    continue
                changed |= self._one(cluster, d)
        return changed

    def _one(self, cluster: Cluster, d: Obj) -> bool:
        changed = False
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        template = copy.deepcopy(d["spec"].get("template", {}))
        phash = _hash(template)
        rs_name = f"{name}-{phash}"
        owned = [rs for rs in live(cluster, "replicasets.apps", ns) if _owned_by(rs, d)]
        replicas = int(d["spec"].get("replicas", 1))
        if not any(rs["metadata"]["name"] == rs_name for rs in owned):
            _create_rs(cluster, d, template, phash, replicas, _revision(owned))
            _event(cluster, d, "ScalingReplicaSet", f"Scaled up replica set {rs_name} to {replicas}")
            return True
        for rs in owned:
            want = replicas if rs["metadata"]["name"] == rs_name else 0
            if rs["spec"].get("replicas", 0) != want:
                scaled = copy.deepcopy(rs)
                scaled["spec"]["replicas"] = want
                scaled["metadata"].pop("resourceVersion", None)
                cluster.update(scaled)
                _event(cluster, d, "ScalingReplicaSet", _scaled(cluster, rs, want))
                changed = True
        return _sync_status(cluster, d, rs_name, replicas) or changed


def _revision(owned: list[Obj]) -> str:
    """The next deployment.kubernetes.io/revision: one more than any owned ReplicaSet's."""
    key = "deployment.kubernetes.io/revision"
    return str(1 + max([int((rs["metadata"].get("annotations") or {}).get(key, "0")) for rs in owned] or [0]))


def _create_rs(cluster: Cluster, d: Obj, template: Obj, phash: str, replicas: int, revision: str) -> None:
    ns, rs_name = d["metadata"]["namespace"], f"{d['metadata']['name']}-{phash}"
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = phash
    selector = copy.deepcopy(d["spec"].get("selector") or {})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = phash
    cluster.create(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": rs_name,
                "namespace": ns,
                "labels": dict(template["metadata"]["labels"]),
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


def _deploy_cond(old: dict[str, Obj], t: str, ctype: str, status: str, reason: str, message: str) -> Obj:
    """A Deployment condition keeping its transition/update times while status/reason/message hold."""
    prev = old.get(ctype)
    transition = prev["lastTransitionTime"] if prev and prev.get("status") == status else t
    same = prev and prev.get("reason") == reason and prev.get("message") == message
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": prev["lastUpdateTime"] if same and prev else t,
        "lastTransitionTime": transition,
        "reason": reason,
        "message": message,
    }


def _deploy_conditions(d: Obj, rs_name: str, available_ok: bool, complete: bool) -> list[Obj]:
    old = {c["type"]: c for c in (d.get("status") or {}).get("conditions") or []}
    t = now_iso()
    if available_ok:
        avail = _deploy_cond(old, t, "Available", "True", "MinimumReplicasAvailable",
                             "Deployment has minimum availability.")  # fmt: skip
    else:
        avail = _deploy_cond(old, t, "Available", "False", "MinimumReplicasUnavailable",
                             "Deployment does not have minimum availability.")  # fmt: skip
    if complete:
        reason, message = "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.'
    elif "Progressing" not in old:
        reason, message = "NewReplicaSetCreated", f'Created new replica set "{rs_name}"'
    else:
        reason, message = "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'
    return [avail, _deploy_cond(old, t, "Progressing", "True", reason, message)]


def _sync_status(cluster: Cluster, d: Obj, rs_name: str, replicas: int) -> bool:
    ns = d["metadata"]["namespace"]
    owned = [rs for rs in live(cluster, "replicasets.apps", ns) if _owned_by(rs, d)]
    new_rs = next(rs for rs in owned if rs["metadata"]["name"] == rs_name)

    def count(key: str) -> int:
        return sum(int((rs.get("status") or {}).get(key, 0)) for rs in owned)

    total, ready, available = count("replicas"), count("readyReplicas"), count("availableReplicas")
    updated = int((new_rs.get("status") or {}).get("replicas", 0))
    old = d.get("status") or {}
    complete = updated == replicas and available >= replicas and total == replicas
    available_ok = available >= replicas - _max_unavailable(d["spec"], replicas)
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
    status["conditions"] = _deploy_conditions(d, rs_name, available_ok, complete)
    # keep the old condition timestamps when only the clock moved
    if (
        old
        and {k: v for k, v in old.items() if k != "conditions"}
        == {k: v for k, v in status.items() if k != "conditions"}
        and [(c["type"], c["status"], c["reason"]) for c in old.get("conditions") or []]
        == [(c["type"], c["status"], c["reason"]) for c in status["conditions"]]
    ):
        return False
    changed = _set_status(cluster, "deployments.apps", d, status)
    if complete and available_ok and old.get("availableReplicas") != available:
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
            for rs in live(cluster, "replicasets.apps"):
                if rs["metadata"].get("deletionTimestamp"):
                    continue
                changed |= self._one(world, cluster, rs)
        return changed

    def _one(self, world: World, cluster: Cluster, rs: Obj) -> bool:
        changed = False
        ns = rs["metadata"]["namespace"]
        pods = [
            p
            for p in live(cluster, "pods", ns)
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
            _event(cluster, rs, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
            changed = True
        if len(pods) > want:
            for pod in sorted(pods, key=lambda p: (_pod_ready(p), p["metadata"]["name"]))[: len(pods) - want]:
                cluster.delete("pods", ns, pod["metadata"]["name"])
                _event(cluster, rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
                changed = True
            pods = [p for p in live(cluster, "pods", ns) if _owned_by(p, rs)]
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

"""Persistent volumes: claim defaulting, kind's `standard` class, binding, provisioning, protection, data.

Follows kubernetes pkg/controller/volume/persistentvolume (pv_controller.go: binding, the
`pv.kubernetes.io/*` annotations, phases, reclaim), pkg/controller/volume/pvcprotection and
pvprotection (finalizers), plugin/pkg/admission/storage/storageclass/setdefault (default class),
the scheduler's VolumeBinding plugin (pkg/scheduler/framework/plugins/volumebinding: reasons, the
`volume.kubernetes.io/selected-node` annotation for WaitForFirstConsumer), rancher/local-path-provisioner
as kind ships it (kind pkg/build/nodeimage/const_storage.go: class `standard`, default, WaitForFirstConsumer,
PV `pvc-<uid>` with a hostPath under /var/local-path-provisioner and node affinity to the selected node).
Liqo's `liqo.io/storage` provisioner lives in sim/volumes_liqo.py.

Data an emulated image keeps on a volume (e.g. a database) is stored per backing path in the
cluster holding the volume (`volume_data`): it outlives pods and goes with the PV (reclaim Delete).
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from typing import Any

from liqo_tutor.sim import delays
from liqo_tutor.sim.delays import delay
from liqo_tutor.sim.helpers import is_virtual_node, node_selector_terms_match, record_event
from liqo_tutor.sim.kinds_storage import is_default_class
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind, World, now_iso

__all__ = [
    "PROVISIONERS",
    "SELECTED_NODE",
    "VolumeController",
    "filter_node",
    "kind_storage_class",
    "pod_claims",
    "pod_volume_key",
    "prebind",
    "prefilter",
    "pv_for",
    "register",
    "volume_data",
]

PVC = "persistentvolumeclaims"
PV = "persistentvolumes"
SC = "storageclasses.storage.k8s.io"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
LOCAL_PATH = "rancher.io/local-path"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
ERR_SELECTED = "node(s) didn't find available persistent volumes to bind"

# provisioner name -> fn(world, cluster, claim, class, node) returning the PV to create (None: not yet).
Provisioner = Callable[[World, Cluster, Obj, Obj, "Obj | None"], "Obj | None"]
PROVISIONERS: dict[str, Provisioner] = {}


# --- admission --------------------------------------------------------------------------------------


def _invalid(kind: str, name: str, field: str, message: str, reason: str) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f'{kind} "{name}" is invalid: {field}: {message}',
        {"name": name, "kind": kind, "causes": [{"reason": reason, "message": message, "field": field}]},
    )


def _default_class(cluster: Cluster) -> str | None:
    defaults = [sc for sc in cluster.objects.get(SC, {}).values() if is_default_class(sc)]
    if not defaults:
        return None
    newest = max(
        defaults, key=lambda sc: (sc["metadata"].get("creationTimestamp", ""), sc["metadata"]["name"])
    )
    return str(newest["metadata"]["name"])


def _admit_claim(cluster: Cluster, obj: Obj, old: Obj | None) -> None:
    name = obj["metadata"].get("name", "")
    spec = obj.setdefault("spec", {})
    if old is None:
        if not spec.get("accessModes"):
            raise _invalid(
                "PersistentVolumeClaim",
                name,
                "spec.accessModes",
                "Required value: at least 1 access mode is required",
                "FieldValueRequired",
            )
        if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
            raise _invalid(
                "PersistentVolumeClaim",
                name,
                "spec.resources[storage]",
                "Required value",
                "FieldValueRequired",
            )
        spec.setdefault("volumeMode", "Filesystem")
        if "storageClassName" not in spec:
            default = _default_class(cluster)
            if default is not None:
                spec["storageClassName"] = default
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if PVC_PROTECTION not in finalizers:
            finalizers.append(PVC_PROTECTION)
        obj["status"] = {"phase": "Pending"}
        return
    old_spec = dict(old.get("spec") or {})
    new_spec = dict(spec)
    for fields in (old_spec, new_spec):
        fields.pop("volumeName", None)
        fields.pop("resources", None)
    if old_spec != new_spec:
        raise _invalid(
            "PersistentVolumeClaim",
            name,
            "spec",
            "Forbidden: spec is immutable after creation except resources.requests and "
            "volumeAttributesClassName for bound claims",
            "FieldValueForbidden",
        )


def _admit(cluster: Cluster, kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
    if kind.key == PVC:
        _admit_claim(cluster, obj, old)
    elif kind.key == PV and old is None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if PV_PROTECTION not in finalizers:
            finalizers.append(PV_PROTECTION)
        obj["status"] = {"phase": "Pending"}
    elif kind.key == SC:
        obj.setdefault("reclaimPolicy", "Delete")
        obj.setdefault("volumeBindingMode", "Immediate")
        name = obj["metadata"].get("name", "")
        if old is not None:
            for field in ("provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"):
                if obj.get(field) != old.get(field):
                    raise _invalid(
                        "StorageClass.storage.k8s.io",
                        name,
                        field,
                        f"Forbidden: updates to {field} are forbidden.",
                        "FieldValueForbidden",
                    )


# --- helpers used by the scheduler and by images --------------------------------------------------


def pod_claims(pod: Obj) -> list[str]:
    """Names of the PersistentVolumeClaims the pod's volumes use."""
    return [
        str(v["persistentVolumeClaim"]["claimName"])
        for v in (pod.get("spec") or {}).get("volumes") or []
        if (v.get("persistentVolumeClaim") or {}).get("claimName")
    ]


def _class_of(cluster: Cluster, claim: Obj) -> Obj | None:
    name = (claim.get("spec") or {}).get("storageClassName")
    return cluster.objects.get(SC, {}).get(("", name)) if name else None


def _wffc(cluster: Cluster, claim: Obj) -> bool:
    sc = _class_of(cluster, claim)
    return bool(sc) and (sc or {}).get("volumeBindingMode") == "WaitForFirstConsumer"


def prefilter(cluster: Cluster, pod: Obj) -> str | None:
    """VolumeBinding PreFilter: why no node can take the pod at all (None: go on with the filters)."""
    ns = pod["metadata"].get("namespace", "")
    for name in pod_claims(pod):
        claim = cluster.objects.get(PVC, {}).get((ns, name))
        if claim is None:
            return f'persistentvolumeclaim "{name}" not found'
        if claim["metadata"].get("deletionTimestamp"):
            return f'persistentvolumeclaim "{name}" is being deleted'
        if not (claim.get("spec") or {}).get("volumeName") and not _wffc(cluster, claim):
            return ERR_UNBOUND_IMMEDIATE
    return None


def filter_node(cluster: Cluster, pod: Obj, node: Obj) -> str | None:
    """VolumeBinding Filter: the reason `node` cannot reach the pod's volumes, or None."""
    ns = pod["metadata"].get("namespace", "")
    node_name = node["metadata"]["name"]
    for name in pod_claims(pod):
        claim = cluster.objects.get(PVC, {}).get((ns, name))
        if claim is None:
            continue
        volume = (claim.get("spec") or {}).get("volumeName")
        if volume:
            pv = cluster.objects.get(PV, {}).get(("", volume)) or {}
            terms = (((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}).get(
                "nodeSelectorTerms"
            )
            if terms and not node_selector_terms_match(node, terms):
                return ERR_NODE_CONFLICT
            continue
        selected = (claim["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        if selected and selected != node_name:
            return ERR_SELECTED
    return None


def prebind(cluster: Cluster, pod: Obj, node_name: str) -> bool:
    """VolumeBinding PreBind: ask for provisioning on `node_name`; True once every claim is bound."""
    ns = pod["metadata"].get("namespace", "")
    ready = True
    for name in pod_claims(pod):
        claim = cluster.get(PVC, ns, name)
        if claim is None:
            return False
        if (claim.get("spec") or {}).get("volumeName"):
            continue
        ready = False
        annotations = claim["metadata"].setdefault("annotations", {})
        if annotations.get(SELECTED_NODE) != node_name:
            annotations[SELECTED_NODE] = node_name
            claim["metadata"].pop("resourceVersion", None)
            cluster.update(claim)
    return ready


def pod_volume_key(
    world: World, cluster: Cluster, pod: Obj, volume: str | None = None
) -> tuple[str, str] | None:
    """(cluster name, storage key) of the pod's PVC-backed volume (the first one, or the one named)."""
    ns = pod["metadata"].get("namespace", "")
    for v in (pod.get("spec") or {}).get("volumes") or []:
        claim_name = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if not claim_name or (volume is not None and v.get("name") != volume):
            continue
        claim = cluster.objects.get(PVC, {}).get((ns, claim_name)) or {}
        pv_name = (claim.get("spec") or {}).get("volumeName")
        pv = cluster.objects.get(PV, {}).get(("", pv_name)) if pv_name else None
        if pv is None or (pv.get("status") or {}).get("phase") != "Bound":
            return None
        return cluster.name, _storage_key(pv)
    return None


def _storage_key(pv: Obj) -> str:
    host_path = ((pv.get("spec") or {}).get("hostPath") or {}).get("path")
    local = ((pv.get("spec") or {}).get("local") or {}).get("path")
    return str(host_path or local or f"pv/{pv['metadata']['name']}")


def volume_data(world: World, where: tuple[str, str]) -> dict[str, Any] | None:
    """The mutable dict an image keeps on the volume `where` (from pod_volume_key); None if gone."""
    cluster = world.clusters.get(where[0])
    if cluster is None:
        return None
    store: dict[str, dict[str, Any]] = cluster.private.setdefault("volume_data", {})
    return store.setdefault(where[1], {})


# --- provisioners --------------------------------------------------------------------------------


def pv_for(claim: Obj, sc: Obj, name: str) -> Obj:
    """The PersistentVolume a provisioner makes for `claim` of class `sc`."""
    spec = claim.get("spec") or {}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {}},
        "spec": {
            "accessModes": list(spec.get("accessModes") or []),
            "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage", "")},
            "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
            "storageClassName": sc["metadata"]["name"],
            "volumeMode": spec.get("volumeMode") or "Filesystem",
        },
    }


HELPER_TIMEOUT = 120  # local-path-provisioner provisioner.go defaultCmdTimeoutSeconds (kind keeps it)
FAILED_PROVISION_THRESHOLD = 15  # sig-storage-lib-external-provisioner DefaultFailedProvisionThreshold


def _helper_pod_times_out(world: World, cluster: Cluster, claim: Obj, sc: Obj, node: Obj) -> None:
    """local-path-provisioner on a node that cannot run its helper pod (a Liqo virtual node).

    provisioner.go `createHelperPod` creates `helper-pod-create-<pv>` in its own namespace
    (local-path-storage, never offloaded) with `spec.nodeName` = the selected node and only its own
    tolerations, then polls it for cmdTimeoutSeconds. Liqo's virtual kubelet does not run a pod of a
    namespace that is not offloaded, so the helper never succeeds: after the timeout the provisioner
    fails (`create process timeout after 120 seconds`, wrapped `failed to create volume <pv>`),
    sig-storage-lib-external-provisioner controller.go records ProvisioningFailed (`failed to provision
    volume with StorageClass "<class>": ...`) and retries (15 times at most); no PV is ever made, the
    claim stays Pending.
    The helper pod itself is not modelled as an object.
    """
    timers: dict[str, float] = cluster.private.setdefault("volume_timers", {})
    uid = claim["metadata"]["uid"]
    failures = int(timers.get(f"{uid}/helper-failures", 0))
    if failures >= FAILED_PROVISION_THRESHOLD:
        return  # the library gives up on the claim: it stays Pending
    now = time.time()
    wait = max(HELPER_TIMEOUT * delays.speed()[0], 0.2)
    due = float(timers.setdefault(f"{uid}/helper", now + wait))
    if now < due:
        world.wake_at(due)
        return
    timers[f"{uid}/helper"] = now + wait  # the next attempt's helper pod
    timers[f"{uid}/helper-failures"] = failures + 1
    world.wake_at(now + wait + 0.001)
    message = (
        f'failed to provision volume with StorageClass "{sc["metadata"]["name"]}": failed to create volume '
        f"pvc-{uid}: create process timeout after {HELPER_TIMEOUT} seconds"
    )
    component = _provisioner_identity(LOCAL_PATH, cluster)
    record_event(cluster, claim, "Warning", "ProvisioningFailed", message, component=component)


def _local_path(world: World, cluster: Cluster, claim: Obj, sc: Obj, node: Obj | None) -> Obj | None:
    if node is None:
        return None  # the provisioner needs a node: kind's class is WaitForFirstConsumer
    if is_virtual_node(node):
        _helper_pod_times_out(world, cluster, claim, sc, node)
        return None
    meta = claim["metadata"]
    name = f"pvc-{meta['uid']}"
    pv = pv_for(claim, sc, name)
    node_name = node["metadata"]["name"]
    pv["metadata"]["annotations"] = {
        "local.path.provisioner/selected-node": node_name,
        "pv.kubernetes.io/provisioned-by": LOCAL_PATH,
    }
    pv["spec"]["hostPath"] = {
        "path": f"/var/local-path-provisioner/{name}_{meta['namespace']}_{meta['name']}",
        "type": "DirectoryOrCreate",
    }
    pv["spec"]["nodeAffinity"] = {
        "required": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "kubernetes.io/hostname", "operator": "In", "values": [node_name]}
                    ]
                }
            ]
        }
    }
    return pv


PROVISIONERS[LOCAL_PATH] = _local_path


# --- controller ----------------------------------------------------------------------------------


def _provisioner_identity(provisioner: str, cluster: Cluster) -> str:
    """The event source of an external provisioner: NAME_POD_UUID (sig-storage-lib-external-provisioner)."""
    pods = {"rancher.io/local-path": "local-path-provisioner", "liqo.io/storage": "liqo-controller-manager"}
    known: dict[str, str] = cluster.private.setdefault("provisioner_ids", {})
    if provisioner not in known:
        world = cluster.world
        pod = f"{pods.get(provisioner, 'provisioner')}-{world.random_suffix(10)}-{world.random_suffix(5)}"
        known[provisioner] = f"{provisioner}_{pod}_{uuid.UUID(int=world.rng_int(128), version=4)}"
    return known[provisioner]


def kind_storage_class() -> Obj:
    """kind's default StorageClass `standard` (local-path-provisioner), as kind creates it."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": "standard",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": LOCAL_PATH,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def _pods_using(cluster: Cluster, ns: str, claim: str) -> list[Obj]:
    return [
        p
        for p in cluster.list("pods", ns)
        if claim in pod_claims(p) and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]


class VolumeController:
    """kind's default class, then claims: late selected-node, provisioning, binding, protection, reclaim."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            if not cluster.private.get("storage_seeded"):
                cluster.private["storage_seeded"] = True
                if cluster.get(SC, None, "standard") is None:
                    cluster.create(kind_storage_class())
                    changed = True
            for claim in cluster.list(PVC):
                if claim["metadata"].get("deletionTimestamp"):
                    changed |= self._release_claim(cluster, claim)
                elif not (claim.get("spec") or {}).get("volumeName"):
                    changed |= self._claim(world, cluster, claim, now)
                else:
                    changed |= self._bound_status(cluster, claim)
            for pv in cluster.list(PV):
                changed |= self._volume(cluster, pv)
        return changed

    def _claim(self, world: World, cluster: Cluster, claim: Obj, now: float) -> bool:
        sc = _class_of(cluster, claim)
        class_name = (claim.get("spec") or {}).get("storageClassName")
        annotations = claim["metadata"].get("annotations") or {}
        if sc is None:
            if class_name:
                return self._event_once(
                    cluster,
                    claim,
                    "Warning",
                    "ProvisioningFailed",
                    f'storageclass.storage.k8s.io "{class_name}" not found',
                )
            return False
        node_name = annotations.get(SELECTED_NODE)
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and not node_name:
            node_name = self._late_consumer(cluster, claim)
            if node_name is None:
                return self._event_once(
                    cluster,
                    claim,
                    "Normal",
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                )
            claim["metadata"].setdefault("annotations", {})[SELECTED_NODE] = node_name
            claim["metadata"].pop("resourceVersion", None)
            cluster.update(claim)
            return True
        return self._provision(world, cluster, claim, sc, node_name, now)

    def _provision(
        self, world: World, cluster: Cluster, claim: Obj, sc: Obj, node_name: str | None, now: float
    ) -> bool:
        """The class's provisioner makes the volume (after its delay), then the claim is bound to it."""
        provisioner = str(sc.get("provisioner", ""))
        fn = PROVISIONERS.get(provisioner)
        # every provisioner here is an external one (not in-tree): the PV controller says it waits for it
        waiting = self._event_once(
            cluster,
            claim,
            "Normal",
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' or "
            "manually by the system administrator. If volume creation is delayed, please verify that "
            "the provisioner is running and correctly registered.",
        )
        if fn is None:
            return waiting
        if self._mark_provisioner(cluster, claim, provisioner):
            ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
            record_event(
                cluster, claim, "Normal", "Provisioning",
                f'External provisioner is provisioning volume for claim "{ns}/{name}"',
                component=_provisioner_identity(provisioner, cluster),
            )  # fmt: skip
            return True
        timers: dict[str, float] = cluster.private.setdefault("volume_timers", {})
        started = float(timers.setdefault(claim["metadata"]["uid"], now))
        if now < started + delay("volume_provision"):
            world.wake_at(started + delay("volume_provision"))
            return False
        node = cluster.get("nodes", None, node_name) if node_name else None
        pv = fn(world, cluster, claim, sc, node)
        if pv is None:
            return False
        timers.pop(claim["metadata"]["uid"], None)
        if cluster.get(PV, None, pv["metadata"]["name"]) is None:
            cluster.create(pv)
        record_event(
            cluster,
            claim,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {pv['metadata']['name']}",
            component=_provisioner_identity(provisioner, cluster),
        )
        self._bind(
            cluster, claim, pv["metadata"]["name"], claim["metadata"]["namespace"], claim["metadata"]["name"]
        )
        return True

    @staticmethod
    def _late_consumer(cluster: Cluster, claim: Obj) -> str | None:
        """A scheduled pod already uses the claim (scheduler without the VolumeBinding hook): its node."""
        for pod in _pods_using(cluster, claim["metadata"]["namespace"], claim["metadata"]["name"]):
            node = (pod.get("spec") or {}).get("nodeName")
            if node:
                return str(node)
        return None

    @staticmethod
    def _mark_provisioner(cluster: Cluster, claim: Obj, provisioner: str) -> bool:
        annotations = claim["metadata"].setdefault("annotations", {})
        if annotations.get("volume.kubernetes.io/storage-provisioner") == provisioner:
            return False
        annotations["volume.beta.kubernetes.io/storage-provisioner"] = provisioner
        annotations["volume.kubernetes.io/storage-provisioner"] = provisioner
        claim["metadata"].pop("resourceVersion", None)
        cluster.update(claim)
        return True

    @staticmethod
    def _bind(cluster: Cluster, claim: Obj, pv_name: str, ns: str, name: str) -> None:
        pv = cluster.get(PV, None, pv_name)
        current = cluster.get(PVC, ns, name)
        if pv is None or current is None:
            return
        pv["spec"]["claimRef"] = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": name,
            "namespace": ns,
            "resourceVersion": current["metadata"]["resourceVersion"],
            "uid": current["metadata"]["uid"],
        }
        pv["metadata"].pop("resourceVersion", None)
        pv = cluster.update(pv)
        cluster.update_status(PV, None, pv_name, {"phase": "Bound", "lastPhaseTransitionTime": now_iso()})
        current["spec"]["volumeName"] = pv_name
        annotations = current["metadata"].setdefault("annotations", {})
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        current["metadata"].pop("resourceVersion", None)
        bound = cluster.update(current)
        cluster.update_status(
            PVC,
            ns,
            name,
            {
                "phase": "Bound",
                "accessModes": list(pv["spec"].get("accessModes") or []),
                "capacity": dict(pv["spec"].get("capacity") or {}),
            },
        )
        del bound

    @staticmethod
    def _bound_status(cluster: Cluster, claim: Obj) -> bool:
        pv = cluster.get(PV, None, claim["spec"]["volumeName"])
        phase = "Bound" if pv is not None else "Lost"
        if (claim.get("status") or {}).get("phase") == phase:
            return False
        status = copy.deepcopy(claim.get("status") or {})
        status["phase"] = phase
        cluster.update_status(PVC, claim["metadata"]["namespace"], claim["metadata"]["name"], status)
        return True

    @staticmethod
    def _release_claim(cluster: Cluster, claim: Obj) -> bool:
        """pvc-protection: the finalizer goes once no running pod uses the claim."""
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        finalizers = claim["metadata"].get("finalizers") or []
        if PVC_PROTECTION not in finalizers or _pods_using(cluster, ns, name):
            return False
        claim["metadata"]["finalizers"] = [f for f in finalizers if f != PVC_PROTECTION]
        claim["metadata"].pop("resourceVersion", None)
        cluster.update(claim)
        return True

    @staticmethod
    def _volume(cluster: Cluster, pv: Obj) -> bool:
        name = pv["metadata"]["name"]
        spec, status = pv.get("spec") or {}, pv.get("status") or {}
        ref = spec.get("claimRef")
        if pv["metadata"].get("deletionTimestamp"):
            bound = ref and cluster.get(PVC, ref.get("namespace"), ref.get("name", "")) is not None
            finalizers = pv["metadata"].get("finalizers") or []
            if PV_PROTECTION in finalizers and not bound:
                pv["metadata"]["finalizers"] = [f for f in finalizers if f != PV_PROTECTION]
                pv["metadata"].pop("resourceVersion", None)
                cluster.update(pv)
                cluster.private.get("volume_data", {}).pop(_storage_key(pv), None)
                return True
            return False
        if ref:
            claim = cluster.get(PVC, ref.get("namespace"), ref.get("name", ""))
            if claim is None or claim["metadata"].get("uid") != ref.get("uid"):
                if spec.get("persistentVolumeReclaimPolicy") == "Delete":
                    cluster.delete(PV, None, name)
                    return True
                if status.get("phase") != "Released":
                    cluster.update_status(
                        PV, None, name, {"phase": "Released", "lastPhaseTransitionTime": now_iso()}
                    )
                    return True
            return False
        if status.get("phase") == "Pending":
            cluster.update_status(
                PV, None, name, {"phase": "Available", "lastPhaseTransitionTime": now_iso()}
            )
            return True
        return False

    @staticmethod
    def _event_once(cluster: Cluster, claim: Obj, etype: str, reason: str, message: str) -> bool:
        seen: dict[str, str] = cluster.private.setdefault("volume_events", {})
        key = f"{claim['metadata']['uid']}/{reason}"
        if seen.get(key) == message:
            return False
        seen[key] = message
        record_event(cluster, claim, etype, reason, message, component="persistentvolume-controller")
        return True


class _VolumeGC:
    """Forget event bookkeeping of claims that are gone (keeps the persisted state small)."""

    def reconcile(self, world: World, now: float) -> bool:
        for cluster in list(world.clusters.values()):
            uids = {c["metadata"]["uid"] for c in cluster.objects.get(PVC, {}).values()}
            for book in ("volume_events", "volume_timers"):
                entries: dict[str, Any] = cluster.private.get(book, {})
                for key in [k for k in entries if k.split("/", 1)[0] not in uids]:
                    del entries[key]
        return False


def register(world: World) -> None:
    world.add_admission(_admit)
    world.register(VolumeController())
    world.register(_VolumeGC())
    from liqo_tutor.sim import volumes_liqo

    volumes_liqo.register(world)


def is_virtual(cluster: Cluster, node_name: str) -> bool:
    return is_virtual_node(cluster.objects.get("nodes", {}).get(("", node_name)))

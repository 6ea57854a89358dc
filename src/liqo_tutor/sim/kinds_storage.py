"""Kinds for stateful workloads: StatefulSet, PersistentVolumeClaim, PersistentVolume, StorageClass, and the
PodDisruptionBudget and NetworkPolicy that charts such as bitnami/mariadb-galera install with them.

Columns and cells follow the apiserver's table printers (kubernetes pkg/printers/internalversion/printers.go:
statefulSetColumnDefinitions, persistentVolumeColumnDefinitions, persistentVolumeClaimColumnDefinitions,
storageClassColumnDefinitions, podDisruptionBudgetColumnDefinitions, networkPolicyColumnDefinitioins,
as of v1.29+ with the VolumeAttributesClass column).
"""

from __future__ import annotations

from typing import Any

from liqo_tutor.sim.store import Column, Obj, ResourceKind

__all__ = ["DEFAULT_CLASS_ANNOTATIONS", "STORAGE_KINDS", "access_modes_string", "is_default_class"]

DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _age(obj: Obj) -> str:
    from liqo_tutor.sim.kinds import since

    return since(obj.get("metadata", {}).get("creationTimestamp"))


def access_modes_string(modes: list[str] | None) -> str:
    """helper.GetAccessModesAsString: the short forms, in the fixed order RWO, ROX, RWX, RWOP."""
    have = set(modes or [])
    return ",".join(short for full, short in _MODES.items() if full in have)


def is_default_class(sc: Obj) -> bool:
    annotations = sc.get("metadata", {}).get("annotations") or {}
    return any(annotations.get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS)


def _statefulset_row(sts: Obj) -> list[Any]:
    spec, status = sts.get("spec", {}), sts.get("status", {})
    cs = spec.get("template", {}).get("spec", {}).get("containers") or []
    return [
        _name(sts),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        _age(sts),
        ",".join(c.get("name", "") for c in cs),
        ",".join(c.get("image", "") for c in cs),
    ]


def _pvc_row(pvc: Obj) -> list[Any]:
    spec, status = pvc.get("spec", {}), pvc.get("status", {})
    phase = "Terminating" if pvc.get("metadata", {}).get("deletionTimestamp") else status.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes_string(status.get("accessModes"))
        capacity = str((status.get("capacity") or {}).get("storage", ""))
    return [
        _name(pvc),
        phase,
        spec.get("volumeName", ""),
        capacity,
        modes,
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(pvc),
        spec.get("volumeMode") or "<unset>",
    ]


def _pv_row(pv: Obj) -> list[Any]:
    spec, status = pv.get("spec", {}), pv.get("status", {})
    ref = spec.get("claimRef") or {}
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    phase = "Terminating" if pv.get("metadata", {}).get("deletionTimestamp") else status.get("phase", "")
    return [
        _name(pv),
        str((spec.get("capacity") or {}).get("storage", "")),
        access_modes_string(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy", ""),
        phase,
        claim,
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        status.get("reason", ""),
        _age(pv),
        spec.get("volumeMode") or "<unset>",
    ]


def _storageclass_row(sc: Obj) -> list[Any]:
    name = _name(sc) + (" (default)" if is_default_class(sc) else "")
    return [
        name,
        sc.get("provisioner", ""),
        sc.get("reclaimPolicy") or "Delete",
        sc.get("volumeBindingMode") or "Immediate",
        "true" if sc.get("allowVolumeExpansion") else "false",
        _age(sc),
    ]


def _pdb_row(pdb: Obj) -> list[Any]:
    spec, status = pdb.get("spec", {}), pdb.get("status", {})
    min_available = spec.get("minAvailable")
    max_unavailable = spec.get("maxUnavailable")
    return [
        _name(pdb),
        "N/A" if min_available is None else str(min_available),
        "N/A" if max_unavailable is None else str(max_unavailable),
        status.get("disruptionsAllowed", 0),
        _age(pdb),
    ]


def _netpol_row(np: Obj) -> list[Any]:
    from liqo_tutor.sim.kinds import label_selector_string

    selector = (np.get("spec") or {}).get("podSelector") or {}
    cell = (
        label_selector_string(selector)
        if selector.get("matchLabels") or selector.get("matchExpressions")
        else ""
    )
    return [_name(np), cell or "<none>", _age(np)]


def _c(name: str, priority: int = 0) -> Column:
    return Column(name=name, type="string", priority=priority)


_AGE = _c("Age")

STORAGE_KINDS: tuple[ResourceKind, ...] = (
    ResourceKind(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        True,
        ("sts",),
        ("all",),
        (_c("Ready"), _AGE, _c("Containers", 1), _c("Images", 1)),
        _statefulset_row,
        ("status", "scale"),
    ),
    ResourceKind(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        True,
        ("pvc",),
        (),
        (
            _c("Status"),
            _c("Volume"),
            _c("Capacity"),
            _c("Access Modes"),
            _c("StorageClass"),
            _c("VolumeAttributesClass"),
            _AGE,
            _c("VolumeMode", 1),
        ),
        _pvc_row,
        ("status",),
    ),
    ResourceKind(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        False,
        ("pv",),
        (),
        (
            _c("Capacity"),
            _c("Access Modes"),
            _c("Reclaim Policy"),
            _c("Status"),
            _c("Claim"),
            _c("StorageClass"),
            _c("VolumeAttributesClass"),
            _c("Reason"),
            _AGE,
            _c("VolumeMode", 1),
        ),
        _pv_row,
        ("status",),
    ),
    ResourceKind(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        False,
        ("sc",),
        (),
        (
            _c("Provisioner"),
            _c("ReclaimPolicy"),
            _c("VolumeBindingMode"),
            _c("AllowVolumeExpansion"),
            _AGE,
        ),
        _storageclass_row,
        (),
    ),
    ResourceKind(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        True,
        ("pdb",),
        (),
        (_c("Min Available"), _c("Max Unavailable"), _c("Allowed Disruptions"), _AGE),
        _pdb_row,
        ("status",),
    ),
    ResourceKind(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        True,
        ("netpol",),
        (),
        (_c("Pod-Selector"), _AGE),
        _netpol_row,
        (),
    ),
)

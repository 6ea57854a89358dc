"""The `scale` subresource: an autoscaling/v1 Scale view of a workload's replicas.

Follows kubernetes pkg/registry/apps/deployment/storage/storage.go (ScaleREST: scaleFromDeployment,
scaleUpdatedObjectInfo), the same shape for replicasets, statefulsets and replicationcontrollers, and
apiextensions' ScaleREST for custom resources (specReplicasPath, statusReplicasPath, labelSelectorPath).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from liqo_tutor.sim.lookup import existing
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind

__all__ = ["get_scale", "label_selector_string", "scale_of", "update_scale"]

SCALE_API_VERSION = "autoscaling/v1"
_CRDS = "customresourcedefinitions.apiextensions.k8s.io"


def label_selector_string(selector: Any) -> str:
    """metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, set values sorted."""
    if not isinstance(selector, dict):
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, f"{key}={value}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = ",".join(sorted(str(v) for v in expr.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
                "DoesNotExist": f"!{key}"}.get(str(op), "")
        reqs.append((key, text))
    return ",".join(text for _, text in sorted(reqs, key=lambda r: r[0]))


def _dotted(path: str) -> list[str]:
    return [p for p in path.strip().lstrip(".").split(".") if p]


def _read(obj: Obj, path: str) -> Any:
    cur: Any = obj
    for part in _dotted(path):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def _write(obj: Obj, path: str, value: Any) -> None:
    parts = _dotted(path)
    cur = obj
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value


class _Paths:
    """Where a kind keeps its replicas and selector (fixed for built-ins, declared by a CRD)."""

    def __init__(self, spec: str, status: str, selector: Callable[[Obj], str]) -> None:
        self.spec, self.status, self.selector = spec, status, selector


def _paths(cluster: Cluster, kind: ResourceKind) -> _Paths:
    if not kind.crd:
        if kind.key == "replicationcontrollers":
            return _Paths(".spec.replicas", ".status.replicas", lambda o: ",".join(
                f"{k}={v}" for k, v in sorted(((o.get("spec") or {}).get("selector") or {}).items())))
        return _Paths(".spec.replicas", ".status.replicas",
                      lambda o: label_selector_string((o.get("spec") or {}).get("selector")))
    crd = cluster.get(_CRDS, None, f"{kind.plural}.{kind.group}") or {}
    versions = (crd.get("spec") or {}).get("versions") or []
    declared: dict[str, Any] = next((v for v in versions if v.get("name") == kind.version), {})
    scale = ((declared.get("subresources") or {}).get("scale")) or {}
    selector_path = str(scale.get("labelSelectorPath") or "")
    return _Paths(str(scale.get("specReplicasPath") or ".spec.replicas"),
                  str(scale.get("statusReplicasPath") or ".status.replicas"),
                  lambda o: str(_read(o, selector_path) or "") if selector_path else "")


def scale_of(cluster: Cluster, kind: ResourceKind, obj: Obj) -> Obj:
    """The Scale of a workload: name, namespace, uid, resourceVersion, creation time; replicas; selector."""
    paths = _paths(cluster, kind)
    meta = obj.get("metadata") or {}
    scale: Obj = {
        "kind": "Scale",
        "apiVersion": SCALE_API_VERSION,
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                     if k in meta},
        "spec": {},
        "status": {"replicas": int(_read(obj, paths.status) or 0)},
    }
    replicas = _read(obj, paths.spec)
    if replicas:  # autoscaling/v1 ScaleSpec.replicas is omitempty
        scale["spec"]["replicas"] = int(replicas)
    selector = paths.selector(obj)
    if selector:
        scale["status"]["selector"] = selector
    return scale


def get_scale(cluster: Cluster, kind: ResourceKind, namespace: str, name: str) -> Obj:
    return scale_of(cluster, kind, existing(cluster, kind, namespace, name))


def _invalid(name: str, value: Any) -> ApiError:
    field, detail = "spec.replicas", f"Invalid value: {value}: must be greater than or equal to 0"
    cause = {"reason": "FieldValueInvalid", "message": detail, "field": field}
    return ApiError(422, "Invalid", f'Scale.autoscaling "{name}" is invalid: {field}: {detail}',
                    {"name": name, "group": "autoscaling", "kind": "Scale", "causes": [cause]})


def update_scale(cluster: Cluster, kind: ResourceKind, namespace: str, name: str,
                 change: Callable[[Obj], Any], *, dry_run: bool = False) -> Obj:
    """Old object -> old Scale -> `change` (a PUT body or a patch) -> new Scale -> new object, stored."""
    current = existing(cluster, kind, namespace, name)
    new_scale = change(scale_of(cluster, kind, current))
    if not isinstance(new_scale, dict):
        raise ApiError(400, "BadRequest", "nil update passed to Scale")
    if new_scale.get("kind", "Scale") != "Scale":
        raise ApiError(400, "BadRequest", f"the API version in the data ({new_scale.get('apiVersion')}) "
                       f"does not match the expected API version ({SCALE_API_VERSION})")
    replicas = (new_scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise _invalid(name, replicas)
    meta = new_scale.get("metadata") or {}
    uid = current["metadata"].get("uid")
    if meta.get("uid") and meta["uid"] != uid:
        raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.key} "{name}": Precondition '
                       f"failed: UID in precondition: {meta['uid']}, UID in object meta: {uid}",
                       {"name": name, "kind": kind.plural, **({"group": kind.group} if kind.group else {})})
    updated = copy.deepcopy(current)
    _write(updated, _paths(cluster, kind).spec, replicas)
    if meta.get("resourceVersion"):
        updated["metadata"]["resourceVersion"] = meta["resourceVersion"]
    else:
        updated["metadata"].pop("resourceVersion", None)
    stored = cluster.update(updated, dry_run=dry_run, subresource="scale")
    return scale_of(cluster, kind, stored)

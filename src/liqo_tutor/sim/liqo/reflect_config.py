"""ConfigMap and Secret reflection into the remote namespaces (both lines).

Follows pkg/virtualKubelet/reflection/configuration/configmap.go and secret.go (same at v0.10.3 and
v1.2.0) with the forging of pkg/virtualKubelet/forge/configmaps.go and secrets.go:
- every ConfigMap and Secret of an offloaded namespace is applied to the remote namespace under the
  same name, with its labels and annotations plus the reflection labels (origin/destination cluster
  ids), its data, binaryData, type and immutability;
- the root CA ConfigMap `kube-root-ca.crt` is reflected as `kube-root-ca.crt.<first 5 chars of the
  local cluster id>` (v1 appends an `a` when that name ends with a non-alphanumeric character), so it
  never collides with the remote cluster's own;
- Secrets of type kubernetes.io/service-account-token are not reflected (service-account reflection is
  disabled by default): a `ReflectionDisabled` event says so;
- a remote object with the same name that is not Liqo's is never touched (`FailedReflection` event,
  "remote object already exists"); updates are applied again, and a deleted local object takes its
  remote copy with it;
- each successful reflection records a `SuccessfulReflection` event on the local object, source
  `liqo-configmap-reflection` / `liqo-secret-reflection` (generic/namespaced.go, forge/events.go).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from liqo_tutor.sim.helpers import record_event
from liqo_tutor.sim.liqo.objects import Info, Obj, _create
from liqo_tutor.sim.store import World

if TYPE_CHECKING:
    from liqo_tutor.sim.liqo.reflection import Reflection

__all__ = ["reflect_configuration", "remote_config_name"]

ROOT_CA = "kube-root-ca.crt"
SA_TOKEN = "kubernetes.io/service-account-token"
_KINDS = (("configmaps", "configmap"), ("secrets", "secret"))
_ORIGIN_KEYS = ("offloading.liqo.io/origin", "virtualkubelet.liqo.io/origin")


def remote_config_name(o: Info, kind: str, name: str) -> str:
    """forge.RemoteConfigMapName: the root CA ConfigMap gets the local cluster id's prefix."""
    if kind != "configmaps" or name != ROOT_CA:
        return name
    remote = f"{ROOT_CA}.{o.cluster_id[:5]}"
    if o.line.v1 and not remote[-1].isalnum():
        remote += "a"
    return remote


def _origin(obj: Obj) -> str:
    labels = obj["metadata"].get("labels") or {}
    return str(next((labels[k] for k in _ORIGIN_KEYS if labels.get(k)), ""))


def _event(o: Info, r: Info, kind: str, obj: Obj, etype: str, reason: str, message: str) -> None:
    """One event per (object, reason, message, resourceVersion): a level-triggered loop repeats."""
    seen: dict[str, str] = o.cluster.private.setdefault("config_reflection_events", {})
    meta = obj["metadata"]
    key = f"{meta.get('uid', '')}/{r.cluster_id}/{reason}"
    stamp = f"{message}@{meta.get('resourceVersion', '')}"
    if seen.get(key) == stamp:
        return
    seen[key] = stamp
    singular = dict(_KINDS)[kind]
    record_event(o.cluster, obj, etype, reason, message, component=f"liqo-{singular}-reflection")


def _remote_cluster(o: Info, r: Info) -> str:
    return r.cluster_name if o.line.v0 else r.cluster_id


def _forge(base: Reflection, o: Info, r: Info, kind: str, local: Obj, rns: str) -> Obj:
    meta = local["metadata"]
    labels = {**(meta.get("labels") or {}), **base._labels(o, r)}
    body: Obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap" if kind == "configmaps" else "Secret",
        "metadata": {"name": remote_config_name(o, kind, meta["name"]), "namespace": rns, "labels": labels},
    }
    if meta.get("annotations"):
        body["metadata"]["annotations"] = dict(meta["annotations"])
    for field in ("data", "binaryData") if kind == "configmaps" else ("data",):
        if local.get(field):
            body[field] = copy.deepcopy(local[field])
    if kind == "secrets":  # the API server defaults a Secret's type to Opaque
        body["type"] = local.get("type") or "Opaque"
    if "immutable" in local:
        body["immutable"] = local["immutable"]
    return body


def _apply(world: World, o: Info, r: Info, kind: str, want: Obj) -> bool:
    """Create or update the remote copy; False when nothing changed (or it is not ours)."""
    meta = want["metadata"]
    current = r.cluster.get(kind, meta["namespace"], meta["name"])
    if current is None:
        ok = _create(r.cluster, kind, want)
        if ok:
            what = f"{kind[:-1]} {meta['namespace']}/{meta['name']}"
            world.record(r.name, f"{what} reflected from {o.cluster_name}")
        return ok
    fields = ("data", "binaryData", "type", "immutable")
    same = all(current.get(f) == want.get(f) for f in fields if f in want or f in current) and all(
        (current["metadata"].get(k) or {}) == (meta.get(k) or {}) for k in ("labels", "annotations")
    )
    if same or current.get("immutable"):
        return False
    for f in fields:
        current.pop(f, None)
        if f in want:
            current[f] = copy.deepcopy(want[f])
    current["metadata"]["labels"] = dict(meta["labels"])
    current["metadata"]["annotations"] = dict(meta.get("annotations") or {})
    current["metadata"].pop("resourceVersion", None)
    r.cluster.update(current)
    return True


def _reflect_one(base: Reflection, world: World, o: Info, r: Info, kind: str, local: Obj, rns: str) -> bool:
    """One local object; True when the remote side changed."""
    remote_cluster = _remote_cluster(o, r)
    if kind == "secrets" and local.get("type") == SA_TOKEN:
        message = (
            f'Reflection to cluster "{remote_cluster}" disabled for secrets holding service account tokens'
        )
        _event(o, r, kind, local, "Normal", "ReflectionDisabled", message)
        return False
    want = _forge(base, o, r, kind, local, rns)
    current = r.cluster.get(kind, rns, want["metadata"]["name"])
    if current is not None and not _origin(current):
        _event(
            o,
            r,
            kind,
            local,
            "Warning",
            "FailedReflection",
            f'Error reflecting object to cluster "{remote_cluster}": remote object already exists',
        )
        return False  # fmt: skip
    if not _apply(world, o, r, kind, want):
        return False
    fresh = o.cluster.get(kind, local["metadata"]["namespace"], local["metadata"]["name"]) or local
    _event(o, r, kind, fresh, "Normal", "SuccessfulReflection",
           f'Successfully reflected object to cluster "{remote_cluster}"')  # fmt: skip
    return True


def reflect_configuration(base: Reflection, world: World, infos: dict[str, Info], now: float) -> bool:
    """Reflect every ConfigMap and Secret of the offloaded namespaces; remove copies nobody wants."""
    changed = False
    desired: dict[tuple[str, str, str], set[str]] = {}  # (remote cluster, kind, remote ns) -> names
    for o in infos.values():
        for ns, r, rns in base.offloaded_to(infos, o):
            if not r.cluster.namespace_exists(rns):
                continue
            for kind, _singular in _KINDS:
                names = desired.setdefault((r.name, kind, rns), set())
                for local in o.cluster.list(kind, ns):
                    rname = remote_config_name(o, kind, local["metadata"]["name"])
                    tkey = f"cfg/{o.cluster_id}/{rns}/{kind}/{rname}"
                    if not base._after(world, r.cluster, tkey, "reflection", now):
                        if r.cluster.get(kind, rns, rname) is not None:
                            names.add(rname)  # keep an already reflected copy while the timer restarts
                        continue
                    if local.get("type") != SA_TOKEN:
                        names.add(rname)
                    changed |= _reflect_one(base, world, o, r, kind, local, rns)
    for r in infos.values():
        for kind, _singular in _KINDS:
            for obj in r.cluster.list(kind):
                meta = obj["metadata"]
                origin = _origin(obj)
                if not origin or meta.get("deletionTimestamp"):
                    continue
                if not any(i.cluster_id == origin for i in infos.values()):
                    continue  # not a reflection of a cluster we know (e.g. Liqo's own objects)
                tkey = f"uncfg/{origin}/{meta['namespace']}/{kind}/{meta['name']}"
                if meta["name"] in desired.get((r.name, kind, meta["namespace"]), set()):
                    base._timers(r.cluster).pop(tkey, None)  # wanted again: no pending removal
                    continue
                if (r.name, kind, meta["namespace"]) not in desired and not _reflected_here(obj, r):
                    continue
                if not base._after(world, r.cluster, tkey, "reflection", now):
                    continue
                r.cluster.delete(kind, meta["namespace"], meta["name"])
                base._clear(r.cluster, tkey)
                base._clear(r.cluster, f"cfg/{origin}/{meta['namespace']}/{kind}/{meta['name']}")
                world.record(r.name, f"{kind[:-1]} {meta['namespace']}/{meta['name']} unreflected")
                changed = True
    return changed


def _reflected_here(obj: Obj, r: Info) -> bool:
    """A copy the reflection made into r (destination label = r's id) in a namespace no longer offloaded."""
    labels = obj["metadata"].get("labels") or {}
    dest = labels.get("offloading.liqo.io/destination") or labels.get("virtualkubelet.liqo.io/destination")
    return dest == r.cluster_id

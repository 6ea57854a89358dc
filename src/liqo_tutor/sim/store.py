"""The simulated clusters' state: World, Cluster, object store, resource kinds, watch events, persistence."""

from __future__ import annotations

import builtins
import hashlib
import heapq
import ipaddress
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from liqo_tutor.sim.store_base import clone, now_iso, parse_iso

__all__ = [
    "ApiError",
    "Cluster",
    "ClusterSpec",
    "Column",
    "Controller",
    "Obj",
    "PodRef",
    "ResourceKind",
    "WatchEvent",
    "World",
    "clone",
    "now_iso",
    "parse_iso",
]

Obj = dict[str, Any]

_EVENT_LOG_MAX = 20000


class ApiError(Exception):
    """An error the API server renders as a Kubernetes `Status` (code, reason, message)."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> Obj:
        out: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    json_path: str | None = None
    priority: int = 0
    description: str = ""
    format: str = ""


@dataclass(frozen=True)
class ResourceKind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    row: Callable[[Obj], list[Any]] | None = None
    subresources: tuple[str, ...] = ("status",)
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    singular: str = ""
    crd: bool = False

    @property
    def key(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()


@dataclass(frozen=True)
class PodRef:
    """A pod somewhere in the world, as seen by the network."""

    cluster: str
    namespace: str
    name: str


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    k8s_version: str = "v1.30.0"
    service_subnet: str = "10.96.0.0/16"
    pod_subnet: str = "10.244.0.0/16"
    nodes: tuple[tuple[str, str], ...] = ()
    api_port: int = 0
    image: str = ""

    def to_json(self) -> Obj:
        return {
            "name": self.name,
            "k8s_version": self.k8s_version,
            "service_subnet": self.service_subnet,
            "pod_subnet": self.pod_subnet,
            "nodes": [list(n) for n in self.nodes],
            "api_port": self.api_port,
            "image": self.image,
        }

    @classmethod
    def from_json(cls, data: Obj) -> ClusterSpec:
        return cls(
            name=data["name"],
            k8s_version=data.get("k8s_version", "v1.30.0"),
            service_subnet=data.get("service_subnet", "10.96.0.0/16"),
            pod_subnet=data.get("pod_subnet", "10.244.0.0/16"),
            nodes=tuple((str(n[0]), str(n[1])) for n in data.get("nodes", [])),
            api_port=int(data.get("api_port", 0)),
            image=data.get("image", ""),
        )


@dataclass(frozen=True)
class WatchEvent:
    rv: int
    type: str  # ADDED MODIFIED DELETED
    key: str
    obj: Obj
    old: Obj | None = None


class Controller(Protocol):
    def reconcile(self, world: World, now: float) -> bool: ...


AdmissionHook = Callable[["Cluster", ResourceKind, Obj, "Obj | None"], None]


def _plural_kind_message(kind: ResourceKind) -> str:
    return kind.key


def _meta(obj: Obj) -> Obj:
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise ApiError(400, "BadRequest", "metadata must be an object")
    return meta


def _spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Cluster:
    """One simulated cluster: its objects (by kind key, then (namespace, name)) and its watch log."""

    def __init__(self, world: World, spec: ClusterSpec) -> None:
        self.world = world
        self.name = spec.name
        self.spec = spec
        self.objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self.rv = 1
        self.private: dict[str, Any] = {}  # controllers' bookkeeping, persisted
        self.crd_kinds: dict[str, ResourceKind] = {}
        self._log: list[WatchEvent] = []
        self._log_start = self.rv  # events with rv > _log_start are retained
        # kind_for's answers, for the crd_kinds they were found with (dropped when a CRD comes or goes)
        self._kind_cache: dict[str, ResourceKind | None] = {}

    # --- kinds -------------------------------------------------------------------------------
    def kinds(self) -> list[ResourceKind]:
        from liqo_tutor.sim.kinds import BUILTIN_KINDS

        return list(BUILTIN_KINDS) + list(self.crd_kinds.values())

    def kind_for(self, key_or_plural_or_kind: str) -> ResourceKind | None:
        try:
            return self._kind_cache[key_or_plural_or_kind]
        except KeyError:
            found = self._find_kind(key_or_plural_or_kind)
            self._kind_cache[key_or_plural_or_kind] = found
            return found

    def _find_kind(self, want: str) -> ResourceKind | None:
        kinds = self.kinds()
        for k in kinds:
            if want == k.key:
                return k
        low = want.lower()
        for k in kinds:
            if low in (k.plural, k.singular_name, k.kind.lower()) or low in k.short_names:
                return k
        return None

    def _kind(self, key: str) -> ResourceKind:
        kind = self.kind_for(key)
        if kind is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return kind

    # --- reads -------------------------------------------------------------------------------
    def get(self, key: str, namespace: str | None, name: str) -> Obj | None:
        kind = self._kind(key)
        found = self.objects.get(kind.key, {}).get((namespace or "" if kind.namespaced else "", name))
        return clone(found) if found is not None else None

    def list(self, key: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> list[Obj]:
        kind = self._kind(key)
        out = []
        for (ns, _name), obj in sorted(self.objects.get(kind.key, {}).items()):
            if namespace and kind.namespaced and ns != namespace:
                continue
            if labels:
                have = obj.get("metadata", {}).get("labels") or {}
                if any(have.get(k) != v for k, v in labels.items()):
                    continue
            out.append(clone(obj))
        return out

    def namespace_exists(self, name: str) -> bool:
        return ("", name) in self.objects.get("namespaces", {})

    # --- writes ------------------------------------------------------------------------------
    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def _emit(self, etype: str, kind: ResourceKind, obj: Obj, old: Obj | None) -> None:
        self._log.append(
            WatchEvent(int(obj["metadata"]["resourceVersion"]), etype, kind.key, clone(obj), old)
        )
        if len(self._log) > _EVENT_LOG_MAX:
            drop = len(self._log) - _EVENT_LOG_MAX // 2
            self._log_start = self._log[drop - 1].rv
            del self._log[:drop]
        self.world.changed()

    def _check_namespace(self, kind: ResourceKind, namespace: str, creating: bool, name: str = "") -> None:
        if not kind.namespaced:
            return
        if not namespace:
            raise ApiError(400, "BadRequest", "the server could not find the requested resource")
        ns = self.objects.get("namespaces", {}).get(("", namespace))
        if ns is None:
            raise ApiError(
                404,
                "NotFound",
                f'namespaces "{namespace}" not found',
                {"name": namespace, "kind": "namespaces"},
            )
        if creating and ns.get("metadata", {}).get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f'{kind.key} "{name}" is forbidden: unable to create new content in namespace '
                f"{namespace} because it is being terminated",
                {"name": namespace, "kind": kind.plural, "group": kind.group},
            )

    def not_found(self, kind: ResourceKind, name: str) -> ApiError:
        details: dict[str, Any] = {"name": name, "kind": kind.plural}
        if kind.group:
            details["group"] = kind.group
        return ApiError(404, "NotFound", f'{kind.key} "{name}" not found', details)

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        kind = self._kind_of_obj(obj)
        obj = clone(obj)
        obj["apiVersion"] = kind.api_version
        obj["kind"] = kind.kind
        meta = _meta(obj)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + self.world.random_suffix(5)
        name = meta.get("name")
        if not name:
            raise ApiError(
                422,
                "Invalid",
                f'{kind.kind} "" is invalid: metadata.name: Required value: name or generateName is required',
                {
                    "kind": kind.kind,
                    "causes": [
                        {
                            "reason": "FieldValueRequired",
                            "message": "Required value: name or generateName is required",
                            "field": "metadata.name",
                        }
                    ],
                },
            )
        namespace = meta.get("namespace", "") if kind.namespaced else ""
        if not kind.namespaced:
            meta.pop("namespace", None)
        self._check_namespace(kind, namespace, creating=True, name=name)
        bucket = self.objects.setdefault(kind.key, {})
        if (namespace, name) in bucket:
            details: dict[str, Any] = {"name": name, "kind": kind.plural}
            if kind.group:
                details["group"] = kind.group
            raise ApiError(409, "AlreadyExists", f'{kind.key} "{name}" already exists', details)
        for hook in self.world.admission:
            hook(self, kind, obj, None)
        meta["uid"] = str(uuid.UUID(int=self.world.rng_int(128), version=4))
        meta["creationTimestamp"] = now_iso()
        meta.pop("resourceVersion", None)
        meta.pop("deletionTimestamp", None)
        if kind.namespaced:
            meta["namespace"] = namespace
        meta["generation"] = 1
        if dry_run:
            meta["resourceVersion"] = str(self.rv)
            return obj
        meta["resourceVersion"] = str(self._next_rv())
        bucket[(namespace, name)] = obj
        self._emit("ADDED", kind, obj, None)
        if kind.key == "customresourcedefinitions.apiextensions.k8s.io":
            self._sync_crd(obj)
        return clone(obj)

    def _kind_of_obj(self, obj: Obj) -> ResourceKind:
        api_version = obj.get("apiVersion", "")
        kind_name = obj.get("kind", "")
        group, _, version = api_version.rpartition("/")
        for k in self.kinds():
            if k.kind == kind_name and k.group == group and k.version == version:
                return k
        for k in self.kinds():
            if k.kind == kind_name and k.group == group:
                return k
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def update(self, obj: Obj, *, dry_run: bool = False, subresource: str = "") -> Obj:
        kind = self._kind_of_obj(obj)
        obj = clone(obj)
        meta = _meta(obj)
        name = meta.get("name", "")
        namespace = meta.get("namespace", "") if kind.namespaced else ""
        self._check_namespace(kind, namespace, creating=False)
        bucket = self.objects.setdefault(kind.key, {})
        current = bucket.get((namespace, name))
        if current is None:
            raise self.not_found(kind, name)
        cmeta = current["metadata"]
        want_rv = meta.get("resourceVersion")
        if want_rv and want_rv != cmeta["resourceVersion"]:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind.key} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
                {"name": name, "kind": kind.plural, **({"group": kind.group} if kind.group else {})},
            )
        if subresource == "status":
            new = clone(current)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
        else:
            new = obj
            if "status" in kind.subresources or "status" not in new:
                if "status" in current:
                    new["status"] = clone(current["status"])
                else:
                    new.pop("status", None)
        nmeta = _meta(new)
        for immutable in ("uid", "creationTimestamp", "namespace", "name"):
            if immutable in cmeta:
                nmeta[immutable] = cmeta[immutable]
        if cmeta.get("deletionTimestamp"):
            nmeta["deletionTimestamp"] = cmeta["deletionTimestamp"]
        else:
            nmeta.pop("deletionTimestamp", None)
        new["apiVersion"] = kind.api_version
        new["kind"] = kind.kind
        for hook in self.world.admission:
            hook(self, kind, new, current)
        generation = int(cmeta.get("generation", 1))
        if subresource != "status" and _spec_part(new) != _spec_part(current):
            generation += 1
        nmeta["generation"] = generation
        if new == current or (dry_run is False and _same_ignoring_rv(new, current)):
            return clone(current)
        if dry_run:
            return new
        nmeta["resourceVersion"] = str(self._next_rv())
        if nmeta.get("deletionTimestamp") and not nmeta.get("finalizers") and not _ns_finalizers(kind, new):
            del bucket[(namespace, name)]
            self._emit("DELETED", kind, new, current)
            self._after_delete(kind, new)
            return clone(new)
        bucket[(namespace, name)] = new
        self._emit("MODIFIED", kind, new, current)
        if kind.key == "customresourcedefinitions.apiextensions.k8s.io":
            self._sync_crd(new)
        return clone(new)

    def update_status(self, key: str, namespace: str | None, name: str, status: dict[str, Any]) -> Obj:
        kind = self._kind(key)
        current = self.objects.get(kind.key, {}).get((namespace or "" if kind.namespaced else "", name))
        if current is None:
            raise self.not_found(kind, name)
        new = clone(current)
        new["status"] = clone(status)
        new["metadata"].pop("resourceVersion", None)
        return self.update(new, subresource="status")

    def delete(
        self,
        key: str,
        namespace: str | None,
        name: str,
        *,
        dry_run: bool = False,
        propagation: str = "Background",
    ) -> Obj | None:
        kind = self._kind(key)
        ns = namespace or "" if kind.namespaced else ""
        self._check_namespace(kind, ns, creating=False)
        bucket = self.objects.get(kind.key, {})
        current = bucket.get((ns, name))
        if current is None:
            return None
        if dry_run:
            return clone(current)
        meta = current["metadata"]
        if meta.get("finalizers") or _ns_finalizers(kind, current):
            if not meta.get("deletionTimestamp"):
                new = clone(current)
                new["metadata"]["deletionTimestamp"] = now_iso()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                if kind.key == "namespaces":
                    new.setdefault("status", {})["phase"] = "Terminating"
                new["metadata"]["resourceVersion"] = str(self._next_rv())
                bucket[(ns, name)] = new
                self._emit("MODIFIED", kind, new, current)
                return clone(new)
            return clone(current)
        del bucket[(ns, name)]
        gone = clone(current)
        gone["metadata"]["resourceVersion"] = str(self._next_rv())
        self._emit("DELETED", kind, gone, current)
        if propagation == "Orphan":
            self._orphan(meta.get("uid", ""))
        self._after_delete(kind, gone)
        return clone(gone)

    def _orphan(self, uid: str) -> None:
        for bucket in list(self.objects.values()):
            for obj in list(bucket.values()):
                refs = obj["metadata"].get("ownerReferences") or []
                if any(r.get("uid") == uid for r in refs):
                    new = clone(obj)
                    new["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    if not new["metadata"]["ownerReferences"]:
                        del new["metadata"]["ownerReferences"]
                    new["metadata"].pop("resourceVersion", None)
                    self.update(new)

    def _after_delete(self, kind: ResourceKind, obj: Obj) -> None:
        if kind.key == "customresourcedefinitions.apiextensions.k8s.io":
            self._unsync_crd(obj)

    def finalize_namespace(self, name: str) -> None:
        """Drop the `kubernetes` spec finalizer of a terminating namespace (namespace controller)."""
        current = self.objects.get("namespaces", {}).get(("", name))
        if current is None:
            return
        new = clone(current)
        new.setdefault("spec", {})["finalizers"] = []
        new["metadata"].pop("resourceVersion", None)
        self.update(new)

    # --- CRDs --------------------------------------------------------------------------------
    def _sync_crd(self, crd: Obj) -> None:
        from liqo_tutor.sim.kinds import kind_from_crd

        kind = kind_from_crd(crd)
        if kind is None:
            return
        old = [k for k, v in self.crd_kinds.items() if v.plural == kind.plural and v.group == kind.group]
        for k in old:
            del self.crd_kinds[k]
        self.crd_kinds[kind.key] = kind
        self._kind_cache.clear()
        status = crd.get("status") or {}
        if not any(c.get("type") == "Established" for c in status.get("conditions") or []):
            crd_stored = self.objects["customresourcedefinitions.apiextensions.k8s.io"][("", _meta_name(crd))]
            t = now_iso()
            spec_names = crd.get("spec", {}).get("names", {})
            crd_stored["status"] = {
                "acceptedNames": clone(spec_names),
                "conditions": [
                    {
                        "type": "NamesAccepted",
                        "status": "True",
                        "reason": "NoConflicts",
                        "message": "no conflicts found",
                        "lastTransitionTime": t,
                    },
                    {
                        "type": "Established",
                        "status": "True",
                        "reason": "InitialNamesAccepted",
                        "message": "the initial names have been accepted",
                        "lastTransitionTime": t,
                    },
                ],
                "storedVersions": [
                    v["name"] for v in crd.get("spec", {}).get("versions", []) if v.get("storage")
                ],
            }

    def _unsync_crd(self, crd: Obj) -> None:
        spec = crd.get("spec", {})
        key = f"{spec.get('names', {}).get('plural', '')}.{spec.get('group', '')}"
        kind = self.crd_kinds.pop(key, None)
        if kind is None:
            return
        self._kind_cache.clear()
        for ns, name in list(self.objects.get(key, {})):
            obj = self.objects[key].pop((ns, name))
            obj["metadata"]["resourceVersion"] = str(self._next_rv())
            self._emit("DELETED", kind, obj, None)
        self.objects.pop(key, None)

    # --- watch -------------------------------------------------------------------------------
    def events_since(self, rv: int) -> builtins.list[WatchEvent]:
        """Events with resourceVersion > rv; ApiError 410 when rv is older than the retained log."""
        if rv < self._log_start:
            raise ApiError(410, "Expired", f"too old resource version: {rv} ({self._log_start + 1})")
        if not self._log or self._log[-1].rv <= rv:
            return []
        lo, hi = 0, len(self._log)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._log[mid].rv <= rv:
                lo = mid + 1
            else:
                hi = mid
        return self._log[lo:]

    # --- persistence -------------------------------------------------------------------------
    def to_json(self) -> Obj:
        return {
            "spec": self.spec.to_json(),
            "rv": self.rv,
            "private": self.private,
            "objects": {key: list(bucket.values()) for key, bucket in self.objects.items() if bucket},
        }

    @classmethod
    def from_json(cls, world: World, data: Obj) -> Cluster:
        cluster = cls(world, ClusterSpec.from_json(data["spec"]))
        cluster.rv = int(data.get("rv", 1))
        cluster._log_start = cluster.rv
        cluster.private = data.get("private", {})
        crd_key = "customresourcedefinitions.apiextensions.k8s.io"
        objects = data.get("objects", {})
        for crd in objects.get(crd_key, []):
            cluster.objects.setdefault(crd_key, {})[("", _meta_name(crd))] = crd
            cluster._sync_crd(crd)
        for key, items in objects.items():
            if key == crd_key:
                continue
            bucket = cluster.objects.setdefault(key, {})
            for obj in items:
                bucket[(obj["metadata"].get("namespace", ""), _meta_name(obj))] = obj
        return cluster


def _meta_name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _ns_finalizers(kind: ResourceKind, obj: Obj) -> bool:
    return kind.key == "namespaces" and bool((obj.get("spec") or {}).get("finalizers"))


def _same_ignoring_rv(a: Obj, b: Obj) -> bool:
    """a == b but for metadata.resourceVersion (shallow copies of the two top levels: nothing changes)."""

    def without_rv(obj: Obj) -> Obj:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return obj
        return {**obj, "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"}}

    return without_rv(a) == without_rv(b)


class World:
    """Every simulated cluster, the controllers, pending wake-ups and the network resolvers."""

    def __init__(self, seed: str = "liqo-tutor") -> None:
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.clusters: dict[str, Cluster] = {}
        self.controllers: list[Controller] = []
        self.admission: list[AdmissionHook] = []
        self.resolvers: list[Callable[[Cluster, str], PodRef | None]] = []
        self.records: list[tuple[float, str, str]] = []
        self.private: dict[str, Any] = {"seed": seed, "counter": 0, "node_ips": {}}
        self._wakes: list[float] = []
        self.generation = 0  # bumped on every change; watchers compare it
        self.settled = -1  # the generation the last complete reconcile left (nothing more to do there)

    # --- randomness, deterministic per world ---------------------------------------------------
    def rng_int(self, bits: int) -> int:
        self.private["counter"] = int(self.private.get("counter", 0)) + 1
        digest = hashlib.sha256(f"{self.private.get('seed')}/{self.private['counter']}".encode()).digest()
        return int.from_bytes(digest, "big") >> (256 - bits)

    def random_suffix(self, n: int) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        value = self.rng_int(64)
        out = []
        for _ in range(n):
            value, idx = divmod(value, len(alphabet))
            out.append(alphabet[idx])
        return "".join(out)

    # --- clusters ---------------------------------------------------------------------------
    def add_cluster(self, spec: ClusterSpec) -> Cluster:
        from liqo_tutor.sim.kinds import seed_cluster

        with self.lock:
            if spec.name in self.clusters:
                raise ApiError(409, "AlreadyExists", f'cluster "{spec.name}" already exists')
            cluster = Cluster(self, spec)
            self.clusters[spec.name] = cluster
            seed_cluster(self, cluster)
            self.changed()
            return cluster

    def remove_cluster(self, name: str) -> None:
        with self.lock:
            self.clusters.pop(name, None)
            ips = self.private.get("node_ips", {})
            for node in [n for n, c in ips.items() if c[0] == name]:
                del ips[node]
            self.changed()

    def allocate_node_ip(self, cluster: str, node: str) -> str:
        ips: dict[str, list[Any]] = self.private.setdefault("node_ips", {})
        key = f"{cluster}/{node}"
        if key in ips:
            return str(ips[key][1])
        used = {v[1] for v in ips.values()}
        n = 2
        while f"172.18.0.{n}" in used:
            n += 1
        ips[key] = [cluster, f"172.18.0.{n}"]
        return f"172.18.0.{n}"

    # --- controllers and time -----------------------------------------------------------------
    def register(self, controller: Controller) -> None:
        self.controllers.append(controller)

    def add_admission(self, hook: AdmissionHook) -> None:
        """Mutating/validating hook run on create and update (defaulting, IP allocation, webhooks)."""
        self.admission.append(hook)

    def reconcile(self) -> None:
        with self.lock:
            now = time.time()
            self._wakes = [t for t in self._wakes if t > now]
            heapq.heapify(self._wakes)
            for _ in range(50):
                changed = False
                for controller in list(self.controllers):
                    try:
                        if controller.reconcile(self, now):
                            changed = True
                    except ApiError:
                        changed = changed  # a conflict/race with a user request: retry next round
                if not changed:
                    self.settled = self.generation
                    break

    def wake_at(self, t: float) -> None:
        with self.lock:
            if t in self._wakes:
                return  # already asked for (controllers ask again at every reconcile)
            heapq.heappush(self._wakes, t)
            self.cond.notify_all()

    def next_wake(self) -> float | None:
        with self.lock:
            return self._wakes[0] if self._wakes else None

    def changed(self) -> None:
        with self.lock:
            self.generation += 1
            self.cond.notify_all()

    # --- network ----------------------------------------------------------------------------
    def add_route_resolver(self, fn: Callable[[Cluster, str], PodRef | None]) -> None:
        self.resolvers.append(fn)

    def resolve_ip(self, from_cluster: Cluster, ip: str) -> PodRef | None:
        with self.lock:
            for pod in from_cluster.objects.get("pods", {}).values():
                status = pod.get("status") or {}
                if status.get("podIP") == ip and not (pod.get("spec") or {}).get("hostNetwork"):
                    node = from_cluster.objects.get("nodes", {}).get(("", pod["spec"].get("nodeName")))
                    labels = (node or {}).get("metadata", {}).get("labels") or {}
                    if labels.get("liqo.io/type") == "virtual-node":
                        continue  # runs in another cluster: the route resolvers (Liqo) reach it
                    meta = pod["metadata"]
                    return PodRef(from_cluster.name, meta["namespace"], meta["name"])
            for fn in self.resolvers:
                found = fn(from_cluster, ip)
                if found is not None:
                    return found
            return None

    def record(self, cluster: str, what: str) -> None:
        with self.lock:
            self.records.append((time.time(), cluster, what))

    # --- persistence --------------------------------------------------------------------------
    def to_json(self) -> Obj:
        with self.lock:
            return clone(
                {
                    "version": 1,
                    "private": self.private,
                    "clusters": {name: c.to_json() for name, c in self.clusters.items()},
                    "records": [list(r) for r in self.records],
                    "wakes": sorted(self._wakes),
                }
            )

    @classmethod
    def from_json(cls, data: Obj) -> World:
        world = cls()
        data = clone(data)
        world.private = data.get("private", world.private)
        for name, cdata in data.get("clusters", {}).items():
            world.clusters[name] = Cluster.from_json(world, cdata)
        world.records = [(float(r[0]), str(r[1]), str(r[2])) for r in data.get("records", [])]
        world._wakes = [float(t) for t in data.get("wakes", [])]
        heapq.heapify(world._wakes)
        return world


def ip_in_subnet(ip: str, subnet: str) -> bool:
    return ipaddress.ip_address(ip) in ipaddress.ip_network(subnet, strict=False)

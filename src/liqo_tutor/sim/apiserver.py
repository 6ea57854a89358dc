"""HTTP front of one simulated cluster: discovery, OpenAPI stubs, REST verbs, watch, tables, logs."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from liqo_tutor.sim import jsonpath
from liqo_tutor.sim.kinds import since
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind, World

__all__ = [
    "ApiServerHandle",
    "apply_json_patch",
    "field_selector_matches",
    "label_selector_matches",
    "merge_patch",
    "serve_cluster",
    "strategic_merge",
]


# --- selectors --------------------------------------------------------------------------------


def _split_selector(text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return [p for p in parts if p]


_SET_RE = re.compile(r"^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$")


def parse_label_selector(text: str) -> list[tuple[str, str, list[str]]]:
    reqs: list[tuple[str, str, list[str]]] = []
    for part in _split_selector(text or ""):
        m = _SET_RE.match(part)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",") if v.strip()]))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k.strip(), "!=", [v.strip()]))
        elif "==" in part:
            k, v = part.split("==", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif "=" in part:
            k, v = part.split("=", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif part.startswith("!"):
            reqs.append((part[1:].strip(), "!", []))
        else:
            if not re.fullmatch(r"[A-Za-z0-9._/\-]+", part):
                raise ApiError(400, "BadRequest", f"unable to parse requirement: {part}")
            reqs.append((part, "exists", []))
    return reqs


def label_selector_matches(text: str, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    for key, op, values in parse_label_selector(text):
        have = labels.get(key)
        if op == "=" and have != values[0]:
            return False
        if op == "!=" and have == values[0]:
            return False
        if op == "in" and have not in values:
            return False
        if op == "notin" and have in values:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!" and key in labels:
            return False
    return True


def field_selector_matches(text: str, obj: Obj) -> bool:
    for part in _split_selector(text or ""):
        if "!=" in part:
            path, want = part.split("!=", 1)
            negate = True
        else:
            path, _, want = part.replace("==", "=").partition("=")
            negate = False
        value: Any = obj
        for step in path.strip().split("."):
            value = value.get(step) if isinstance(value, dict) else None
        have = "" if value is None else str(value)
        if (have == want.strip()) == negate:
            return False
    return True


# --- patches ----------------------------------------------------------------------------------

_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "volumeDevices": "devicePath",
    "readinessGates": "conditionType",
}
_PRIMITIVE_MERGE = {"finalizers"}


def _merge_key(field_name: str, items: list[Any]) -> str | None:
    if field_name == "ports":
        if any(isinstance(i, dict) and "containerPort" in i for i in items):
            return "containerPort"
        return "port"
    return _MERGE_KEYS.get(field_name)


def strategic_merge(original: Any, patch: Any) -> Any:
    """A faithful subset of strategic-merge-patch: maps merge, keyed lists merge, $patch directives."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    out = copy.deepcopy(original)
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            if isinstance(out.get(name), list):
                out[name] = [v for v in out[name] if v not in (value or [])]
            continue
        if value is None:
            out.pop(key, None)
            continue
        current = out.get(key)
        if isinstance(value, dict):
            merged = strategic_merge(current if isinstance(current, dict) else {}, value)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list):
            out[key] = _merge_list(key, current if isinstance(current, list) else [], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_list(name: str, current: list[Any], patch: list[Any]) -> list[Any]:
    if name in _PRIMITIVE_MERGE:
        result = list(current)
        for v in patch:
            if v not in result:
                result.append(v)
        return result
    key = _merge_key(name, current + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return [i for i in copy.deepcopy(patch) if not (isinstance(i, dict) and i.get("$patch") == "delete")]
    result = copy.deepcopy(current)
    for item in patch:
        directive = item.get("$patch")
        idx = next(
            (i for i, c in enumerate(result) if isinstance(c, dict) and c.get(key) == item.get(key)), None
        )
        if directive == "delete":
            if idx is not None:
                del result[idx]
            continue
        if directive == "replace":
            result = [i for i in patch if i.get("$patch") != "replace"]
            break
        if idx is None:
            result.append(strategic_merge({}, item))
        else:
            result[idx] = strategic_merge(result[idx], item)
    return result


def merge_patch(original: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def apply_json_patch(doc: Any, ops: list[Any]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test)."""
    doc = copy.deepcopy(doc)

    def parent(path: str) -> tuple[Any, str]:
        parts = _pointer(path)
        if not parts:
            raise ApiError(422, "Invalid", "the patch path must not be empty")
        target = doc
        for p in parts[:-1]:
            target = target[int(p)] if isinstance(target, list) else target[p]
        return target, parts[-1]

    def get(path: str) -> Any:
        target = doc
        for p in _pointer(path):
            target = target[int(p)] if isinstance(target, list) else target[p]
        return target

    try:
        for op in ops:
            kind, path = op.get("op"), op.get("path", "")
            if kind in ("add", "replace"):
                tgt, last = parent(path)
                if isinstance(tgt, list):
                    if last == "-":
                        tgt.append(copy.deepcopy(op.get("value")))
                    elif kind == "add":
                        tgt.insert(int(last), copy.deepcopy(op.get("value")))
                    else:
                        tgt[int(last)] = copy.deepcopy(op.get("value"))
                else:
                    if kind == "replace" and last not in tgt:
                        raise KeyError(last)
                    tgt[last] = copy.deepcopy(op.get("value"))
            elif kind == "remove":
                tgt, last = parent(path)
                if isinstance(tgt, list):
                    del tgt[int(last)]
                else:
                    del tgt[last]
            elif kind in ("move", "copy"):
                value = copy.deepcopy(get(op.get("from", "")))
                if kind == "move":
                    src, last = parent(op.get("from", ""))
                    if isinstance(src, list):
                        del src[int(last)]
                    else:
                        del src[last]
                tgt, last = parent(path)
                if isinstance(tgt, list):
                    tgt.insert(len(tgt) if last == "-" else int(last), value)
                else:
                    tgt[last] = value
            elif kind == "test":
                if get(path) != op.get("value"):
                    raise ApiError(
                        422,
                        "Invalid",
                        f"the server rejected our request due to an error in our "
                        f"request: testing value {path} failed",
                    )
            else:
                raise ApiError(400, "BadRequest", f"Unexpected kind: {kind}")
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(
            422, "Invalid", f"the server rejected our request due to an error in our request: {exc}"
        ) from None
    return doc


# --- Kubernetes protobuf (kubectl >= 1.33 sends typed creates as protobuf) --------------------

_S, _I, _B, _RS, _MAP = "s", "i", "b", "rs", "map"
_META: dict[int, Any] = {
    1: ("name", _S),
    2: ("generateName", _S),
    3: ("namespace", _S),
    11: ("labels", _MAP),
    12: ("annotations", _MAP),
    14: ("finalizers", _RS),
}
_SELECTOR: dict[int, Any] = {
    1: ("matchLabels", _MAP),
    2: ("matchExpressions", [{1: ("key", _S), 2: ("operator", _S), 3: ("values", _RS)}]),
}
_CONTAINER: dict[int, Any] = {
    1: ("name", _S),
    2: ("image", _S),
    3: ("command", _RS),
    4: ("args", _RS),
    5: ("workingDir", _S),
    6: ("ports", [{1: ("name", _S), 2: ("hostPort", _I), 3: ("containerPort", _I), 4: ("protocol", _S)}]),
    7: ("env", [{1: ("name", _S), 2: ("value", _S)}]),
    14: ("imagePullPolicy", _S),
    16: ("stdin", _B),
    17: ("stdinOnce", _B),
    18: ("tty", _B),
}
_POD_SPEC: dict[int, Any] = {
    2: ("containers", [_CONTAINER]),
    3: ("restartPolicy", _S),
    6: ("dnsPolicy", _S),
    7: ("nodeSelector", _MAP),
    8: ("serviceAccountName", _S),
    10: ("nodeName", _S),
}
_TEMPLATE: dict[int, Any] = {1: ("metadata", _META), 2: ("spec", _POD_SPEC)}
_SERVICE_PORT: dict[int, Any] = {
    1: ("name", _S),
    2: ("protocol", _S),
    3: ("port", _I),
    4: ("targetPort", "intstr"),
    5: ("nodePort", _I),
}
_PROTO_KINDS: dict[str, dict[int, Any]] = {
    "Namespace": {1: ("metadata", _META), 2: ("spec", {1: ("finalizers", _RS)})},
    "ConfigMap": {1: ("metadata", _META), 2: ("data", _MAP), 3: ("binaryData", "bmap"), 4: ("immutable", _B)},
    "Secret": {1: ("metadata", _META), 2: ("data", "bmap"), 3: ("type", _S), 4: ("stringData", _MAP)},
    "ServiceAccount": {1: ("metadata", _META)},
    "Pod": {1: ("metadata", _META), 2: ("spec", _POD_SPEC)},
    "Deployment": {
        1: ("metadata", _META),
        2: ("spec", {1: ("replicas", _I), 2: ("selector", _SELECTOR), 3: ("template", _TEMPLATE)}),
    },
    "Service": {
        1: ("metadata", _META),
        2: (
            "spec",
            {1: ("ports", [_SERVICE_PORT]), 2: ("selector", _MAP), 3: ("clusterIP", _S), 4: ("type", _S)},
        ),
    },
}


def _pb_fields(data: bytes) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    i = 0

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    while i < len(data):
        key = varint()
        num, wire = key >> 3, key & 7
        if wire == 0:
            out.append((num, wire, varint()))
        elif wire == 2:
            n = varint()
            out.append((num, wire, data[i : i + n]))
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _pb_decode(data: bytes, schema: dict[int, Any]) -> Obj:
    import base64

    out: Obj = {}
    for num, _wire, value in _pb_fields(data):
        if num not in schema:
            continue
        name, typ = schema[num]
        if typ == _S:
            if value:
                out[name] = value.decode()
        elif typ == _I:
            if value:
                out[name] = value
        elif typ == _B:
            if value:
                out[name] = True
        elif typ == _RS:
            out.setdefault(name, []).append(value.decode())
        elif typ in (_MAP, "bmap"):
            entry = {n: v for n, _w, v in _pb_fields(value)}
            raw = entry.get(2, b"")
            out.setdefault(name, {})[entry.get(1, b"").decode()] = (
                base64.b64encode(raw).decode() if typ == "bmap" else raw.decode()
            )
        elif typ == "intstr":
            entry = {n: v for n, _w, v in _pb_fields(value)}
            out[name] = entry.get(3, b"").decode() if entry.get(1) == 1 else entry.get(2, 0)
        elif isinstance(typ, list):
            out.setdefault(name, []).append(_pb_decode(value, typ[0]))
        elif isinstance(typ, dict):
            sub = _pb_decode(value, typ)
            if sub:
                out[name] = sub
    return out


def decode_protobuf(raw: bytes) -> Obj:
    """A k8s protobuf envelope (`k8s\\0` + runtime.Unknown) of one of the common built-in kinds, as JSON."""
    if not raw.startswith(b"k8s\x00"):
        raise ApiError(400, "BadRequest", "the object provided is unrecognized")
    envelope = {n: v for n, _w, v in _pb_fields(raw[4:])}
    type_meta = {n: v for n, _w, v in _pb_fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, b"").decode(), type_meta.get(2, b"").decode()
    schema = _PROTO_KINDS.get(kind)
    if schema is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the simulated API server cannot decode {kind} from protobuf; send JSON",
        )
    obj = _pb_decode(envelope.get(2, b""), schema)
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj


# --- discovery --------------------------------------------------------------------------------


def _groups(cluster: Cluster) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for k in cluster.kinds():
        if k.group:
            versions = groups.setdefault(k.group, [])
            if k.version not in versions:
                versions.append(k.version)
    return groups


def _api_group(name: str, versions: list[str]) -> Obj:
    return {
        "name": name,
        "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{name}/{versions[0]}", "version": versions[0]},
    }


def _resource_list(cluster: Cluster, group: str, version: str) -> Obj | None:
    kinds = [k for k in cluster.kinds() if k.group == group and k.version == version]
    if not kinds:
        return None
    resources: list[Obj] = []
    for k in kinds:
        entry: Obj = {
            "name": k.plural,
            "singularName": k.singular_name,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        entry["storageVersionHash"] = hashlib.sha256(k.key.encode()).hexdigest()[:11]
        resources.append(entry)
        for sub in k.subresources:
            sub_kind = {"log": "Pod", "scale": "Scale", "binding": "Binding", "eviction": "Eviction"}.get(
                sub, k.kind
            )
            verbs = ["get"] if sub in ("log", "proxy") else ["get", "patch", "update"]
            if sub in ("binding", "eviction", "token"):
                verbs = ["create"]
            if sub in ("exec", "attach", "portforward"):
                verbs = ["create", "get"]
            resources.append(
                {
                    "name": f"{k.plural}/{sub}",
                    "singularName": "",
                    "namespaced": k.namespaced,
                    "kind": sub_kind,
                    "verbs": verbs,
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _openapi_v3_root(cluster: Cluster) -> Obj:
    paths: Obj = {}
    seen: set[tuple[str, str]] = set()
    for k in cluster.kinds():
        if (k.group, k.version) in seen:
            continue
        seen.add((k.group, k.version))
        gv = f"apis/{k.group}/{k.version}" if k.group else f"api/{k.version}"
        digest = (
            hashlib.sha256(
                json.dumps(
                    sorted(x.kind for x in cluster.kinds() if (x.group, x.version) == (k.group, k.version))
                ).encode()
            )
            .hexdigest()[:32]
            .upper()
        )
        paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
    return {"paths": paths}


def _openapi_v3_gv(cluster: Cluster, group: str, version: str) -> Obj | None:
    kinds = [k for k in cluster.kinds() if k.group == group and k.version == version]
    if not kinds:
        return None
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: Obj = {}
    params = [
        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}},
    ]
    for k in kinds:
        gvk = {"group": k.group, "kind": k.kind, "version": k.version}
        path = (
            f"{prefix}/namespaces/{{namespace}}/{k.plural}/{{name}}"
            if k.namespaced
            else f"{prefix}/{k.plural}/{{name}}"
        )
        paths[path] = {
            "get": {
                "operationId": f"read{k.kind}",
                "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": gvk,
                "responses": {},
            },
            "patch": {
                "operationId": f"patch{k.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params,
                "responses": {},
            },
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": cluster.spec.k8s_version},
        "paths": paths,
        "components": {"schemas": {}},
    }


def _pb_field(num: int, payload: bytes) -> bytes:
    return bytes([(num << 3) | 2, len(payload)]) + payload


def _openapi_v2_pb(version: str) -> bytes:
    info = _pb_field(1, b"Kubernetes") + _pb_field(2, version.encode())
    return _pb_field(1, b"2.0") + _pb_field(2, info)


def _version_info(cluster: Cluster) -> Obj:
    git = cluster.spec.k8s_version
    m = re.match(r"v?(\d+)\.(\d+)", git)
    major, minor = (m.group(1), m.group(2)) if m else ("1", "30")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": hashlib.sha1(git.encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": "2024-04-17T17:27:03Z",
        "goVersion": "go1.22.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


# --- tables -----------------------------------------------------------------------------------


def _cell_from_path(obj: Obj, column_type: str, path: str) -> Any:
    try:
        found = jsonpath.evaluate(obj, path)
    except jsonpath.JsonPathError:
        return None
    if not found:
        return None
    value = found[0]
    if column_type == "date":
        return since(value) if isinstance(value, str) else None
    if column_type == "string" and not isinstance(value, str):
        return (
            json.dumps(value, separators=(",", ":"))
            if isinstance(value, (dict, list))
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    return value


def table_row_cells(kind: ResourceKind, obj: Obj) -> list[Any]:
    if kind.row is not None:
        return kind.row(obj)
    cells: list[Any] = [obj.get("metadata", {}).get("name", "")]
    for col in kind.columns:
        cells.append(_cell_from_path(obj, col.type, col.json_path or ""))
    return cells


def _column_definitions(kind: ResourceKind) -> list[Obj]:
    cols = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": "Name must be unique within a namespace.",
            "priority": 0,
        }
    ]
    for col in kind.columns:
        cols.append(
            {
                "name": col.name,
                "type": "string" if kind.row is not None and col.type == "date" else col.type,
                "format": col.format,
                "description": col.description or col.name,
                "priority": col.priority,
            }
        )
    return cols


def _partial(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def make_table(kind: ResourceKind, objs: list[Obj], rv: str, include: str, headers: bool = True) -> Obj:
    rows = []
    for obj in objs:
        row: Obj = {"cells": table_row_cells(kind, obj)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = _partial(obj)
        rows.append(row)
    table: Obj = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": _column_definitions(kind) if headers else None,
        "rows": rows,
    }
    return table


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class ApiServerHandle:
    server: ThreadingHTTPServer
    thread: threading.Thread
    port: int
    url: str
    cluster: str
    _stopping: threading.Event = field(default_factory=threading.Event)

    def shutdown(self) -> None:
        self._stopping.set()
        world: World = self.server.world  # type: ignore[attr-defined]
        world.changed()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    world: World
    cluster_name: str
    stopping: threading.Event


@dataclass
class _Target:
    kind: ResourceKind
    namespace: str
    name: str
    sub: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    _pending: tuple[int, Any] | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    # -- helpers --
    @property
    def world(self) -> World:
        return self.server.world

    def cluster(self) -> Cluster:
        cluster = self.world.clusters.get(self.server.cluster_name)
        if cluster is None:
            raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        return cluster

    def _send_json(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, code: int, text: str, ctype: str = "text/plain") -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        if raw.startswith(b"k8s\x00"):
            return decode_protobuf(raw)
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            try:
                import yaml

                return yaml.safe_load(raw)
            except Exception as exc:  # noqa: BLE001 - any parse failure is a bad request
                raise ApiError(400, "BadRequest", f"the object provided is unrecognized: {exc}") from None

    def _query(self) -> dict[str, str]:
        parsed = urllib.parse.urlsplit(self.path)
        return {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}

    def _segments(self) -> list[str]:
        path = urllib.parse.urlsplit(self.path).path
        return [urllib.parse.unquote(s) for s in path.strip("/").split("/") if s]

    def _dispatch(self, method: str) -> None:
        try:
            if method != "GET":
                self._drain_if_needed(method)
            self._route(method)
        except ApiError as err:
            self._send_json(err.code, err.status())
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception as exc:  # noqa: BLE001 - a simulator bug must not kill the listener
            self._send_json(500, ApiError(500, "InternalError", f"Internal error occurred: {exc!r}").status())

    def _drain_if_needed(self, method: str) -> None:
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # -- routing --
    def _route(self, method: str) -> None:
        seg = self._segments()
        with self.world.lock:
            cluster = self.cluster()
        if method == "GET" and self._route_static(seg, cluster):
            return
        if not seg or seg[0] not in ("api", "apis"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if seg[0] == "api":
            if len(seg) < 2:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            group, version, rest = "", seg[1], seg[2:]
        else:
            if len(seg) < 3:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            group, version, rest = seg[1], seg[2], seg[3:]
        target = self._target(cluster, group, version, rest)
        if target is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        query = self._query()
        if method == "GET":
            self._get(cluster, target, query)
            return
        self._pending = None
        if method == "POST":
            self._post(cluster, target, query)
        elif method == "PUT":
            self._put(cluster, target, query)
        elif method == "PATCH":
            self._patch(cluster, target, query)
        elif method == "DELETE":
            self._delete(cluster, target, query)
        # controllers run before the answer goes out, so the next request already sees their work
        self.world.reconcile()
        if self._pending is not None:
            self._send_json(*self._pending)

    def _reply(self, code: int, body: Any) -> None:
        self._pending = (code, body)

    def _route_static(self, seg: list[str], cluster: Cluster) -> bool:
        path = "/" + "/".join(seg)
        with self.world.lock:
            if path == "/version":
                self._send_json(200, _version_info(cluster))
            elif path in ("/healthz", "/livez", "/readyz"):
                self._send_text(200, "ok")
            elif path == "/api":
                self._send_json(
                    200,
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}
                        ],
                    },
                )
            elif path == "/apis":
                groups = _groups(cluster)
                self._send_json(
                    200,
                    {
                        "kind": "APIGroupList",
                        "apiVersion": "v1",
                        "groups": [_api_group(g, v) for g, v in groups.items()],
                    },
                )
            elif len(seg) == 2 and seg[0] == "apis":
                versions = _groups(cluster).get(seg[1])
                if not versions:
                    return False
                self._send_json(200, {"kind": "APIGroup", "apiVersion": "v1", **_api_group(seg[1], versions)})
            elif (len(seg) == 2 and seg[0] == "api") or (len(seg) == 3 and seg[0] == "apis"):
                group, version = ("", seg[1]) if seg[0] == "api" else (seg[1], seg[2])
                listing = _resource_list(cluster, group, version)
                if listing is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                self._send_json(200, listing)
            elif path == "/openapi/v2":
                # an (almost) empty protobuf openapi_v2.Document: kubectl then knows no client-side schema
                data = _openapi_v2_pb(cluster.spec.k8s_version)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif path == "/openapi/v3":
                self._send_json(200, _openapi_v3_root(cluster))
            elif seg[:2] == ["openapi", "v3"] and len(seg) >= 4:
                rest = seg[2:]
                group, version = (
                    ("", rest[1]) if rest[0] == "api" else (rest[1], rest[2] if len(rest) > 2 else "")
                )
                doc = _openapi_v3_gv(cluster, group, version)
                if doc is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                self._send_json(200, doc)
            else:
                return False
        return True

    def _target(self, cluster: Cluster, group: str, version: str, rest: list[str]) -> _Target | None:
        namespace = ""
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        if not rest:
            return None
        with self.world.lock:
            kind = next(
                (
                    k
                    for k in cluster.kinds()
                    if k.group == group and k.version == version and k.plural == rest[0]
                ),
                None,
            )
        if kind is None:
            return None
        if namespace and not kind.namespaced:
            return None
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else ""
        if sub and sub not in kind.subresources:
            return None
        return _Target(kind, namespace, name, sub)

    # -- verbs --
    def _want_table(self) -> bool:
        return "as=Table" in (self.headers.get("Accept") or "")

    def _get(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        if t.name and t.sub == "log":
            self._logs(cluster, t, q)
            return
        if t.name and t.sub in ("exec", "attach", "portforward", "proxy"):
            raise ApiError(400, "BadRequest", "Upgrade request required")
        if t.name:
            with self.world.lock:
                if t.kind.namespaced and not cluster.namespace_exists(t.namespace):
                    raise ApiError(
                        404,
                        "NotFound",
                        f'namespaces "{t.namespace}" not found',
                        {"name": t.namespace, "kind": "namespaces"},
                    )
                obj = cluster.get(t.kind.key, t.namespace or None, t.name)
                rv = str(cluster.rv)
            if obj is None:
                raise cluster.not_found(t.kind, t.name)
            if self._want_table():
                self._send_json(200, make_table(t.kind, [obj], rv, q.get("includeObject", "Metadata")))
            else:
                self._send_json(200, obj)
            return
        if q.get("watch") in ("true", "1"):
            self._watch(cluster, t, q)
            return
        with self.world.lock:
            items = self._select(cluster, t, q)
            rv = str(cluster.rv)
        if self._want_table():
            self._send_json(200, make_table(t.kind, items, rv, q.get("includeObject", "Metadata")))
        else:
            self._send_json(
                200,
                {
                    "kind": f"{t.kind.kind}List",
                    "apiVersion": t.kind.api_version,
                    "metadata": {"resourceVersion": rv},
                    "items": items,
                },
            )

    def _select(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> list[Obj]:
        items = cluster.list(t.kind.key, t.namespace or None)
        ls, fs = q.get("labelSelector", ""), q.get("fieldSelector", "")
        return [o for o in items if self._matches(o, ls, fs)]

    @staticmethod
    def _matches(obj: Obj, ls: str, fs: str) -> bool:
        return label_selector_matches(ls, obj.get("metadata", {}).get("labels")) and field_selector_matches(
            fs, obj
        )

    def _watch(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        ls, fs = q.get("labelSelector", ""), q.get("fieldSelector", "")
        timeout = float(q.get("timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        table = self._want_table()
        include = q.get("includeObject", "Metadata")
        initial: list[Obj] = []
        with self.world.lock:
            rv_param = q.get("resourceVersion", "")
            if rv_param in ("", "0") or q.get("sendInitialEvents") == "true":
                initial = self._select(cluster, t, q)
                last = cluster.rv
            else:
                try:
                    last = int(rv_param)
                except ValueError:
                    raise ApiError(400, "BadRequest", f"invalid resource version: {rv_param}") from None
                cluster.events_since(last)  # 410 Gone when too old
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        headers_sent = False

        def emit(etype: str, obj: Obj) -> None:
            nonlocal headers_sent
            payload = obj
            if table and etype != "BOOKMARK":
                payload = make_table(
                    t.kind,
                    [obj],
                    obj["metadata"].get("resourceVersion", ""),
                    include,
                    headers=not headers_sent,
                )
                headers_sent = True
            line = json.dumps({"type": etype, "object": payload}).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        try:
            for obj in initial:
                emit("ADDED", obj)
            if q.get("sendInitialEvents") == "true":
                emit(
                    "BOOKMARK",
                    {
                        "kind": t.kind.kind,
                        "apiVersion": t.kind.api_version,
                        "metadata": {
                            "resourceVersion": str(last),
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        },
                    },
                )
            while not self.server.stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                with self.world.cond:
                    live = self.world.clusters.get(self.server.cluster_name)
                    if live is not cluster:
                        break
                    try:
                        events = cluster.events_since(last)
                    except ApiError as err:
                        emit("ERROR", err.status())
                        break
                    if not events:
                        self.world.cond.wait(min(remaining, 1.0))
                        continue
                    events = list(events)
                for ev in events:
                    last = ev.rv
                    if ev.key != t.kind.key:
                        continue
                    ns = ev.obj.get("metadata", {}).get("namespace", "")
                    if t.namespace and ns != t.namespace:
                        continue
                    now_match = self._matches(ev.obj, ls, fs)
                    old_match = ev.old is not None and self._matches(ev.old, ls, fs)
                    if ev.type == "MODIFIED":
                        if now_match and old_match:
                            emit("MODIFIED", ev.obj)
                        elif now_match:
                            emit("ADDED", ev.obj)
                        elif old_match:
                            emit("DELETED", ev.obj)
                    elif now_match:
                        emit(ev.type, ev.obj)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _logs(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        with self.world.lock:
            if not cluster.namespace_exists(t.namespace):
                raise ApiError(
                    404,
                    "NotFound",
                    f'namespaces "{t.namespace}" not found',
                    {"name": t.namespace, "kind": "namespaces"},
                )
            pod = cluster.get("pods", t.namespace, t.name)
            if pod is None:
                raise cluster.not_found(t.kind, t.name)
            containers = [c.get("name", "") for c in pod.get("spec", {}).get("containers") or []]
            container = q.get("container", "")
            if not container:
                if len(containers) != 1:
                    raise ApiError(
                        400,
                        "BadRequest",
                        f"a container name must be specified for pod {t.name}, "
                        f"choose one of: [{' '.join(containers)}]",
                    )
                container = containers[0]
            elif container not in containers:
                raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {t.name}")
            statuses = {s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []}
            state = (statuses.get(container) or {}).get("state") or {
                "waiting": {"reason": "ContainerCreating"}
            }
            if "waiting" in state and not (statuses.get(container) or {}).get("lastState", {}).get(
                "terminated"
            ):
                reason = state["waiting"].get("reason", "ContainerCreating")
                detail = {
                    "ErrImagePull": "image can't be pulled",
                    "ImagePullBackOff": "trying and failing to pull image",
                }.get(reason, reason)
                raise ApiError(
                    400,
                    "BadRequest",
                    f'container "{container}" in pod "{t.name}" is waiting to start: {detail}',
                )
            text = pod_log(cluster, t.namespace, t.name, container)
        tail = q.get("tailLines")
        if tail is not None and tail.lstrip("-").isdigit():
            lines = text.splitlines(keepends=True)
            n = int(tail)
            text = "".join(lines[-n:]) if n > 0 else ""
        self._send_text(200, text)

    def _post(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        body = self._body()
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the object provided is unrecognized")
        if t.name:
            raise ApiError(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
            )
        body.setdefault("apiVersion", t.kind.api_version)
        body.setdefault("kind", t.kind.kind)
        meta = body.setdefault("metadata", {})
        if t.kind.namespaced:
            if meta.get("namespace") and meta["namespace"] != t.namespace:
                raise ApiError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            meta["namespace"] = t.namespace
        self._check_body_kind(t, body)
        with self.world.lock:
            created = cluster.create(body, dry_run=q.get("dryRun") == "All")
        self._reply(201, created)

    @staticmethod
    def _check_body_kind(t: _Target, body: Obj) -> None:
        if body.get("kind") != t.kind.kind:
            raise ApiError(
                400,
                "BadRequest",
                f"the API version in the data ({body.get('apiVersion')}) does not "
                f"match the expected API version ({t.kind.api_version})",
            )

    def _put(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        body = self._body()
        if not isinstance(body, dict) or not t.name:
            raise ApiError(400, "BadRequest", "the object provided is unrecognized")
        body.setdefault("apiVersion", t.kind.api_version)
        body.setdefault("kind", t.kind.kind)
        meta = body.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != t.name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({meta['name']}) does not match the name on the URL ({t.name})",
            )
        meta["name"] = t.name
        if t.kind.namespaced:
            meta["namespace"] = t.namespace
        with self.world.lock:
            if t.sub == "finalize" and t.kind.key == "namespaces":
                current = cluster.get("namespaces", None, t.name)
                if current is None:
                    raise cluster.not_found(t.kind, t.name)
                current.setdefault("spec", {})["finalizers"] = (body.get("spec") or {}).get(
                    "finalizers"
                ) or []
                current["metadata"].pop("resourceVersion", None)
                updated = cluster.update(current)
            else:
                updated = cluster.update(body, dry_run=q.get("dryRun") == "All", subresource=t.sub)
        self._reply(200, updated)

    def _patch(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        body = self._body()
        if not t.name:
            raise ApiError(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
            )
        with self.world.lock:
            if t.kind.namespaced and not cluster.namespace_exists(t.namespace):
                raise ApiError(
                    404,
                    "NotFound",
                    f'namespaces "{t.namespace}" not found',
                    {"name": t.namespace, "kind": "namespaces"},
                )
            current = cluster.get(t.kind.key, t.namespace or None, t.name)
            if current is None:
                raise cluster.not_found(t.kind, t.name)
            if ctype == "application/strategic-merge-patch+json":
                if t.kind.crd:
                    raise ApiError(
                        415,
                        "UnsupportedMediaType",
                        "strategic merge patch is not supported for custom resources",
                    )
                new = strategic_merge(current, body)
            elif ctype == "application/merge-patch+json":
                new = merge_patch(current, body)
            elif ctype == "application/json-patch+json":
                if not isinstance(body, list):
                    raise ApiError(400, "BadRequest", "json patch must be a list")
                new = apply_json_patch(current, body)
            else:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types "
                    f"include: application/json-patch+json, application/merge-patch+json, "
                    f'application/apply-patch+yaml; got "{ctype}"',
                )
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch produced something that is not an object")
            new.setdefault("metadata", {})
            patched_rv = (
                (body or {}).get("metadata", {}).get("resourceVersion") if isinstance(body, dict) else None
            )
            new["metadata"]["resourceVersion"] = patched_rv or current["metadata"].get("resourceVersion")
            new["metadata"]["name"] = t.name
            if t.kind.namespaced:
                new["metadata"]["namespace"] = t.namespace
            updated = cluster.update(new, dry_run=q.get("dryRun") == "All", subresource=t.sub)
        self._reply(200, updated)

    def _delete(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        body = self._body() or {}
        dry = q.get("dryRun") == "All" or "All" in (body.get("dryRun") or [])
        propagation = body.get("propagationPolicy") or q.get("propagationPolicy") or "Background"
        with self.world.lock:
            if not t.name:
                items = self._select(cluster, t, q)
                for obj in items:
                    cluster.delete(
                        t.kind.key,
                        t.namespace or None,
                        obj["metadata"]["name"],
                        dry_run=dry,
                        propagation=propagation,
                    )
                rv = str(cluster.rv)
                self._reply(
                    200,
                    {
                        "kind": f"{t.kind.kind}List",
                        "apiVersion": t.kind.api_version,
                        "metadata": {"resourceVersion": rv},
                        "items": items,
                    },
                )
                return
            gone = cluster.delete(
                t.kind.key, t.namespace or None, t.name, dry_run=dry, propagation=propagation
            )
            if gone is None:
                raise cluster.not_found(t.kind, t.name)
        self._reply(200, gone)


def pod_log(cluster: Cluster, namespace: str, name: str, container: str) -> str:
    logs: dict[str, str] = cluster.private.get("logs", {})
    return logs.get(f"{namespace}/{name}/{container}", "")


def serve_cluster(world: World, cluster: Cluster, host: str = "127.0.0.1", port: int = 0) -> ApiServerHandle:
    """Start the API listener of `cluster` in a daemon thread; `port=0` picks a free port."""
    server = _Server((host, port), _Handler)
    server.world = world
    server.cluster_name = cluster.name
    handle_stop = threading.Event()
    server.stopping = handle_stop
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.2},
        name=f"apiserver-{cluster.name}",
        daemon=True,
    )
    thread.start()
    bound = int(server.server_address[1])
    return ApiServerHandle(
        server=server,
        thread=thread,
        port=bound,
        url=f"http://{host}:{bound}",
        cluster=cluster.name,
        _stopping=handle_stop,
    )

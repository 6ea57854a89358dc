"""HTTP front of one simulated cluster: discovery, OpenAPI stubs, REST verbs, watch, tables, logs."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from liqo_tutor.sim import scale
from liqo_tutor.sim.discovery import (
    api_group,
    groups,
    openapi_v3_gv,
    openapi_v3_root,
    resource_list,
    version_info,
)
from liqo_tutor.sim.helpers import live
from liqo_tutor.sim.lookup import existing
from liqo_tutor.sim.patches import apply_json_patch, merge_patch, strategic_merge
from liqo_tutor.sim.protobuf import decode_protobuf, openapi_v2_pb
from liqo_tutor.sim.selection import field_selector_matches, label_selector_matches
from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind, WatchEvent, World
from liqo_tutor.sim.tables import make_table

__all__ = [
    "ApiServerHandle",
    "apply_json_patch",
    "field_selector_matches",
    "label_selector_matches",
    "merge_patch",
    "serve_cluster",
    "strategic_merge",
]


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
    disable_nagle_algorithm = True  # head and body are two writes: no 40 ms delayed-ACK stall between them
    server: _Server
    _pending: tuple[int, Any] | None = None
    _raw: bytes | None = None

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
        self._send_bytes(code, json.dumps(body).encode())

    def _send_bytes(self, code: int, data: bytes) -> None:
        """A JSON answer already encoded."""
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

    def _raw_body(self) -> bytes:
        """The request body: Content-Length bytes, or HTTP/1.1 chunks (`kubectl replace --raw -f` streams)."""
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers, then the blank line
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _body(self) -> Any:
        raw, self._raw = (self._raw if self._raw is not None else self._raw_body()), None
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
        """Read the whole body first: an error answered before it was read must not leave its bytes to be
        taken for the next request on this keep-alive connection."""
        self._raw = self._raw_body()

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
        if target.name and target.sub in ("exec", "attach", "portforward") and method in ("GET", "POST"):
            self._stream(cluster, target)
            return
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

    def _stream(self, cluster: Cluster, t: _Target) -> None:
        """exec, attach, port-forward: the connection switches protocol (sim/streams)."""
        from liqo_tutor.sim.streams import portforward, remotecommand

        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        self.close_connection = True
        if t.sub == "portforward":
            portforward.serve_portforward(self, self.world, cluster, t.namespace, t.name)
        else:
            remotecommand.serve_remotecommand(self, self.world, cluster, t.namespace, t.name, t.sub, query)

    def _reply(self, code: int, body: Any) -> None:
        self._pending = (code, body)

    def _route_static(self, seg: list[str], cluster: Cluster) -> bool:
        path = "/" + "/".join(seg)
        with self.world.lock:
            if path == "/version":
                self._send_json(200, version_info(cluster))
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
                self._send_json(
                    200,
                    {
                        "kind": "APIGroupList",
                        "apiVersion": "v1",
                        "groups": [api_group(g, v) for g, v in groups(cluster).items()],
                    },
                )
            elif len(seg) == 2 and seg[0] == "apis":
                versions = groups(cluster).get(seg[1])
                if not versions:
                    return False
                self._send_json(200, {"kind": "APIGroup", "apiVersion": "v1", **api_group(seg[1], versions)})
            elif (len(seg) == 2 and seg[0] == "api") or (len(seg) == 3 and seg[0] == "apis"):
                group, version = ("", seg[1]) if seg[0] == "api" else (seg[1], seg[2])
                listing = resource_list(cluster, group, version)
                if listing is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                self._send_json(200, listing)
            elif path == "/openapi/v2":
                # an (almost) empty protobuf openapi_v2.Document: kubectl then knows no client-side schema
                data = openapi_v2_pb(cluster.spec.k8s_version)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif path == "/openapi/v3":
                self._send_json(200, openapi_v3_root(cluster))
            elif seg[:2] == ["openapi", "v3"] and len(seg) >= 4:
                rest = seg[2:]
                group, version = (
                    ("", rest[1]) if rest[0] == "api" else (rest[1], rest[2] if len(rest) > 2 else "")
                )
                doc = openapi_v3_gv(cluster, group, version)
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
        if t.name and t.sub == "scale":
            with self.world.lock:
                self._send_json(200, scale.get_scale(cluster, t.kind, t.namespace, t.name))
            return
        if t.name:
            with self.world.lock:
                obj = existing(cluster, t.kind, t.namespace, t.name)
                rv = str(cluster.rv)
            if self._want_table():
                self._send_json(200, make_table(t.kind, [obj], rv, q.get("includeObject", "Metadata")))
            else:
                self._send_json(200, obj)
            return
        if q.get("watch") in ("true", "1"):
            self._watch(cluster, t, q)
            return
        # The stored objects themselves, encoded while the lock keeps them still: no copy of each.
        with self.world.lock:
            items = self._select(cluster, t, q, copy=False)
            rv = str(cluster.rv)
            if self._want_table():
                body: Obj = make_table(t.kind, items, rv, q.get("includeObject", "Metadata"))
            else:
                body = {
                    "kind": f"{t.kind.kind}List",
                    "apiVersion": t.kind.api_version,
                    "metadata": {"resourceVersion": rv},
                    "items": items,
                }
            data = json.dumps(body).encode()
        self._send_bytes(200, data)

    def _select(self, cluster: Cluster, t: _Target, q: dict[str, str], *, copy: bool = True) -> list[Obj]:
        """The objects of `t` that the request's selectors match; `copy=False`: the stored objects
        themselves, to be read under the world's lock and never changed."""
        ns = t.namespace or None
        items = cluster.list(t.kind.key, ns) if copy else live(cluster, t.kind.key, ns)
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
        initial, last = self._watch_start(cluster, t, q)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        headers_sent = False

        def emit(etype: str, obj: Obj) -> None:
            nonlocal headers_sent
            payload = obj
            if table and etype != "BOOKMARK":
                rv = obj["metadata"].get("resourceVersion", "")
                payload = make_table(t.kind, [obj], rv, include, headers=not headers_sent)
                headers_sent = True
            line = json.dumps({"type": etype, "object": payload}).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        try:
            for obj in initial:
                emit("ADDED", obj)
            if q.get("sendInitialEvents") == "true":
                end = {"resourceVersion": str(last), "annotations": {"k8s.io/initial-events-end": "true"}}
                emit("BOOKMARK", {"kind": t.kind.kind, "apiVersion": t.kind.api_version, "metadata": end})
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
                    etype = self._seen_as(ev, t, ls, fs)
                    if etype:
                        emit(etype, ev.obj)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _watch_start(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> tuple[list[Obj], int]:
        """(objects to send as ADDED first, the resourceVersion to watch from); 410 Gone when too old."""
        with self.world.lock:
            rv_param = q.get("resourceVersion", "")
            if rv_param in ("", "0") or q.get("sendInitialEvents") == "true":
                return self._select(cluster, t, q), cluster.rv
            try:
                last = int(rv_param)
            except ValueError:
                raise ApiError(400, "BadRequest", f"invalid resource version: {rv_param}") from None
            cluster.events_since(last)
            return [], last

    @classmethod
    def _seen_as(cls, ev: WatchEvent, t: _Target, ls: str, fs: str) -> str:
        """How a watcher of `t` with these selectors sees a change: ADDED, MODIFIED, DELETED or nothing."""
        if ev.key != t.kind.key:
            return ""
        if t.namespace and ev.obj.get("metadata", {}).get("namespace", "") != t.namespace:
            return ""
        now_match = cls._matches(ev.obj, ls, fs)
        old_match = ev.old is not None and cls._matches(ev.old, ls, fs)
        if ev.type != "MODIFIED":
            return str(ev.type) if now_match else ""
        if now_match:
            return "MODIFIED" if old_match else "ADDED"
        return "DELETED" if old_match else ""

    def _logs(self, cluster: Cluster, t: _Target, q: dict[str, str]) -> None:
        with self.world.lock:
            pod = existing(cluster, t.kind, t.namespace, t.name)
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
        full = len(text)
        tail = q.get("tailLines")
        if tail is not None and tail.lstrip("-").isdigit():
            lines = text.splitlines(keepends=True)
            n = int(tail)
            text = "".join(lines[-n:]) if n > 0 else ""
        if q.get("follow") in ("true", "1"):
            self._follow_logs(cluster, t, container, text, full)
            return
        self._send_text(200, text)

    def _follow_logs(self, cluster: Cluster, t: _Target, container: str, text: str, offset: int) -> None:
        """`kubectl logs -f`: chunked text as the container writes it, until it ends (sim/streams/logs.py)."""
        from liqo_tutor.sim.streams.logs import follow

        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True

        def chunk(data: str) -> None:
            raw = data.encode()
            if raw:
                self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
                self.wfile.flush()

        try:
            chunk(text)
            for piece in follow(
                self.world,
                cluster.name,
                t.namespace,
                t.name,
                container,
                start=offset,
                gone=self.server.stopping,
            ):
                chunk(piece)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

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
        if t.sub == "scale":
            with self.world.lock:
                self._reply(200, scale.update_scale(cluster, t.kind, t.namespace, t.name, lambda old: body,
                                                    dry_run=q.get("dryRun") == "All"))
            return
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
        dry = q.get("dryRun") == "All"
        with self.world.lock:
            if t.sub == "scale":
                def change(old: Obj) -> Obj:
                    return _patched(ctype, old, body, smp=True)

                scaled = scale.update_scale(cluster, t.kind, t.namespace, t.name, change, dry_run=dry)
                self._reply(200, scaled)
                return
            current = existing(cluster, t.kind, t.namespace, t.name)
            new = _patched(ctype, current, body, smp=not t.kind.crd)
            new.setdefault("metadata", {})
            patched_rv = (
                (body or {}).get("metadata", {}).get("resourceVersion") if isinstance(body, dict) else None
            )
            new["metadata"]["resourceVersion"] = patched_rv or current["metadata"].get("resourceVersion")
            new["metadata"]["name"] = t.name
            if t.kind.namespaced:
                new["metadata"]["namespace"] = t.namespace
            updated = cluster.update(new, dry_run=dry, subresource=t.sub)
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



def _patched(ctype: str, current: Obj, body: Any, *, smp: bool) -> Obj:
    """`current` with the request's patch applied, by its content type (strategic, merge, JSON patch);
    `smp`: whether the type takes a strategic merge patch (built-in types and Scale; not custom resources)."""
    if ctype == "application/strategic-merge-patch+json":
        if not smp:
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
    return new


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

"""`kubectl port-forward`: SPDY streams (`portforward.k8s.io`) carrying TCP to a pod's port.

Per forwarded connection the client opens an `error` and a `data` stream with the same `requestID`
and the pod `port` (kubelet pkg/kubelet/cri/streaming/portforward/httpstream.go). Whatever the
pod's image serves on that port answers HTTP requests on the data stream; nothing listening gives
the kubelet's error on the error stream.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from liqo_tutor.sim import images
from liqo_tutor.sim.lookup import existing_pod
from liqo_tutor.sim.store import ApiError, Cluster, Obj, World
from liqo_tutor.sim.streams.spdy import SpdySession, SpdyStream
from liqo_tutor.sim.streams.upgrade import close_on_teardown, upgrade

__all__ = ["serve_portforward"]

_REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}


def _read_request(stream: SpdyStream, pending: bytes) -> tuple[str, str, dict[str, str], bytes] | None:
    """(method, path, headers, rest) of the next HTTP request on the stream; None at its end."""
    while b"\r\n\r\n" not in pending:
        chunk = stream.read()
        if not chunk:
            return None
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    parts = lines[0].split(" ")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip()] = v.strip()
    length = int({k.lower(): v for k, v in headers.items()}.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = stream.read()
        if not chunk:
            break
        rest += chunk
    return (parts[0] if parts else "GET"), (parts[1] if len(parts) > 1 else "/"), headers, rest[length:]


class _Forwarder:
    def __init__(self, world: World, cluster: Cluster, pod: Obj, session: SpdySession) -> None:
        self.world, self.cluster, self.pod, self.session = world, cluster, pod, session
        self.errors: dict[str, SpdyStream] = {}
        self.lock = threading.Lock()

    def on_stream(self, stream: SpdyStream) -> None:
        kind = stream.headers.get("streamtype", "")
        request = stream.headers.get("requestid", "")
        if kind == "error":
            with self.lock:
                self.errors[request] = stream
        elif kind == "data":
            threading.Thread(target=self._serve, args=(stream,), name="portforward", daemon=True).start()

    def _server(self, port: int) -> images.Behaviour | None:
        with self.world.lock:
            found = images.pod_server(
                self.world,
                self.cluster.name,
                self.pod["metadata"]["namespace"],
                self.pod["metadata"]["name"],
                port,
            )
        return found[0] if found else None

    def _serve(self, stream: SpdyStream) -> None:
        port = int(stream.headers.get("port", "0") or 0)
        beh = self._server(port)
        if beh is None or beh.serve is None:
            with self.lock:
                error = self.errors.get(stream.headers.get("requestid", ""))
            if error is not None:
                uid = self.pod["metadata"].get("uid", "")
                error.write(
                    f"error forwarding port {port} to pod {uid}, uid : failed to connect to localhost:{port} "
                    f"inside namespace: connect: connection refused".encode()
                )
                error.close()
            stream.close()
            return
        pending = b""
        while True:
            req = _read_request(stream, pending)
            if req is None:
                break
            method, path, headers, pending = req
            with self.world.lock:
                resp = beh.serve(port, method, path, headers, self.pod)
            if resp.status == 0:  # no HTTP/1 (gRPC, redis): the server's bytes, then it closes
                stream.write(resp.body.encode())
                break
            body = resp.body.encode()
            head = (
                f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, '')}\r\n"
                f"Content-Type: {resp.content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            stream.write(head.encode() + (b"" if method == "HEAD" else body))
        stream.close()


def serve_portforward(
    handler: BaseHTTPRequestHandler, world: World, cluster: Cluster, ns: str, name: str
) -> None:
    """POST/GET pods/NAME/portforward: the pod must be running; then serve streams until the client leaves."""
    with world.lock:
        pod = existing_pod(cluster, ns, name)
        if (pod.get("status") or {}).get("phase") != "Running":
            raise ApiError(400, "BadRequest", f"pod {name} is not running")
    up = upgrade(handler, portforward=True)
    assert up.transport is not None
    holder: list[_Forwarder] = []
    session = SpdySession(up.transport, lambda s: holder[0].on_stream(s))
    holder.append(_Forwarder(world, cluster, pod, session))
    done = close_on_teardown(handler, world, cluster.name)
    try:
        session.serve()
    finally:
        done.set()
        session.close()

"""Switching an API request to a stream: WebSocket (RFC 6455) or SPDY/3.1, as client-go negotiates them.

client-go tries WebSocket first for exec/attach (kubectl >= 1.30, subprotocol v5.channel.k8s.io) and
port-forward (kubectl >= 1.31, SPDY tunnelled in WebSocket: SPDY/3.1+portforward.k8s.io), falling back
to a SPDY/3.1 upgrade (`X-Stream-Protocol-Version`) when the upgrade is refused (tools/remotecommand
fallback.go, tools/portforward fallback_dialer.go).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler
from typing import Protocol

from liqo_tutor.sim.store import ApiError, World
from liqo_tutor.sim.streams.spdy import SocketTransport, Transport
from liqo_tutor.sim.streams.websocket import OP_BINARY, WebSocket, accept_key

__all__ = ["Upgraded", "WsTransport", "close_on_teardown", "upgrade"]

REMOTECOMMAND = ("v5.channel.k8s.io", "v4.channel.k8s.io")
PORTFORWARD_WS = "SPDY/3.1+portforward.k8s.io"
PORTFORWARD_SPDY = "portforward.k8s.io"


class _Handler(Protocol):
    headers: object


class Upgraded:
    """The switched connection: `ws` set for WebSocket, `transport` for SPDY (direct or tunnelled)."""

    def __init__(self, protocol: str, ws: WebSocket | None, transport: Transport | None) -> None:
        self.protocol = protocol
        self.ws = ws
        self.transport = transport


class WsTransport:
    """SPDY bytes carried in WebSocket binary messages (client-go tunneling_connection.go)."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self._buf = b""

    def read(self, n: int) -> bytes:
        while len(self._buf) < n:
            msg = self.ws.recv()
            if msg is None:
                raise EOFError("tunnel closed")
            if msg[0] == OP_BINARY:
                self._buf += msg[1]
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def write(self, data: bytes) -> None:
        if not self.ws.send(data):
            raise OSError("tunnel closed")

    def close(self) -> None:
        self.ws.close()


def _values(handler: BaseHTTPRequestHandler, name: str) -> list[str]:
    out: list[str] = []
    for raw in handler.headers.get_all(name) or []:
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def upgrade(handler: BaseHTTPRequestHandler, portforward: bool) -> Upgraded:
    """Answer 101 for a protocol both sides speak, or raise the ApiError the API server would."""
    kind = (handler.headers.get("Upgrade") or "").strip().lower()
    if kind == "websocket":
        offered = _values(handler, "Sec-WebSocket-Protocol")
        wanted = (PORTFORWARD_WS,) if portforward else REMOTECOMMAND
        chosen = next((p for p in wanted if p in offered), None)
        if chosen is None:
            raise ApiError(400, "BadRequest", f"unable to upgrade: unsupported subprotocols {offered}")
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header(
            "Sec-WebSocket-Accept", accept_key(handler.headers.get("Sec-WebSocket-Key") or "")
        )
        handler.send_header("Sec-WebSocket-Protocol", chosen)
        handler.end_headers()
        handler.wfile.flush()
        ws = WebSocket(handler.rfile, handler.connection)
        return Upgraded(chosen, ws, WsTransport(ws) if portforward else None)
    if kind.startswith("spdy/3.1"):
        offered = _values(handler, "X-Stream-Protocol-Version")
        wanted = (PORTFORWARD_SPDY,) if portforward else ("v4.channel.k8s.io",)
        chosen = next((p for p in wanted if p in offered), None)
        if chosen is None:
            raise ApiError(400, "BadRequest", f"unable to upgrade: unable to negotiate protocol: {offered}")
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Upgrade", "SPDY/3.1")
        handler.send_header("X-Stream-Protocol-Version", chosen)
        handler.end_headers()
        handler.wfile.flush()
        return Upgraded(chosen, None, SocketTransport(handler.rfile, handler.connection))
    raise ApiError(400, "BadRequest", "Upgrade request required")


def close_on_teardown(handler: BaseHTTPRequestHandler, world: World, cluster_name: str) -> threading.Event:
    """Drop the upgraded connection when its cluster is deleted or its API server stops.

    Returns the event to set once the session ended by itself (the watcher then leaves).
    """
    done = threading.Event()
    stopping: threading.Event | None = getattr(handler.server, "stopping", None)

    def watch() -> None:
        while not done.wait(0.5):
            if (stopping is not None and stopping.is_set()) or world.clusters.get(cluster_name) is None:
                try:
                    handler.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return

    threading.Thread(target=watch, name="stream-teardown", daemon=True).start()
    return done

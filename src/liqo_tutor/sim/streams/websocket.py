"""A minimal RFC 6455 WebSocket server endpoint over an upgraded HTTP/1.1 connection.

Enough for kubectl's clients (gorilla/websocket): masked client frames, fragmented messages,
ping/pong, close; the server sends unmasked binary messages.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import struct
import threading

from liqo_tutor.sim.streams.sockio import read_exact

__all__ = ["OP_BINARY", "OP_CLOSE", "OP_PING", "OP_PONG", "OP_TEXT", "WebSocket", "accept_key"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.strip().encode() + _GUID).digest()).decode()


class WebSocket:
    """One server-side WebSocket: `recv()` returns whole data messages, control frames are answered."""

    def __init__(self, rfile: io.BufferedIOBase, sock: socket.socket) -> None:
        self._rfile = rfile
        self._sock = sock
        self._wlock = threading.Lock()
        self.closed = False

    def _read_exact(self, n: int) -> bytes:
        return read_exact(self._rfile, n)

    def _read_frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = self._read_exact(2)
        fin, opcode = bool(b0 & 0x80), b0 & 0x0F
        masked, length = bool(b1 & 0x80), b1 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read_exact(8))
        mask = self._read_exact(4) if masked else b""
        payload = self._read_exact(length)
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return fin, opcode, payload

    def recv(self) -> tuple[int, bytes] | None:
        """The next data message (opcode, payload); None once the peer closed or the connection broke."""
        opcode_first = 0
        parts: list[bytes] = []
        try:
            while True:
                fin, opcode, payload = self._read_frame()
                if opcode == OP_PING:
                    self._send_frame(OP_PONG, payload)
                    continue
                if opcode == OP_PONG:
                    continue
                if opcode == OP_CLOSE:
                    if not self.closed:
                        self.close(payload[:2] if len(payload) >= 2 else b"\x03\xe8")
                    return None
                if opcode != OP_CONT:
                    opcode_first = opcode
                parts.append(payload)
                if fin:
                    return opcode_first, b"".join(parts)
        except (EOFError, OSError, ValueError):
            self.closed = True
            return None

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self._wlock:
            self._sock.sendall(head + payload)

    def send(self, payload: bytes, opcode: int = OP_BINARY) -> bool:
        """Send one message; False when the connection is gone."""
        if self.closed:
            return False
        try:
            self._send_frame(opcode, payload)
            return True
        except OSError:
            self.closed = True
            return False

    def close(self, code: bytes = b"\x03\xe8") -> None:
        """Send a close frame (1000, normal closure by default); the caller then drops the TCP connection."""
        if self.closed:
            return
        try:
            self._send_frame(OP_CLOSE, code)
        except OSError:
            pass
        self.closed = True

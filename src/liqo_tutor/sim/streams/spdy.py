"""The server side of a SPDY/3.1 session as kubectl's client (moby/spdystream) speaks it.

Only what `kubectl exec/attach/port-forward` use: streams opened by the client (SYN_STREAM, answered
with SYN_REPLY), DATA with FIN for half-close, RST_STREAM, PING echo, GOAWAY. Header blocks are zlib
streams primed with the SPDY/3 dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1); no flow control,
like spdystream.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Protocol

from liqo_tutor.sim.streams.sockio import read_exact

__all__ = ["SPDY_DICTIONARY", "SocketTransport", "SpdySession", "SpdyStream", "Transport"]

_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language "
    "accept-ranges age allow authorization cache-control connection content-base content-encoding "
    "content-language content-length content-location content-md5 content-range content-type date etag "
    "expect expires from host if-match if-modified-since if-none-match if-range if-unmodified-since "
    "last-modified location max-forwards pragma proxy-authenticate proxy-authorization range referer "
    "retry-after server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate "
    "method get status|200 OK|version HTTP/1.1 url public set-cookie keep-alive origin"
)
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    words: list[str] = []
    for chunk in _WORDS.split("|"):
        words.extend([chunk] if " " in chunk and chunk[0].isdigit() else chunk.split())
    return b"".join(struct.pack("!I", len(w)) + w.encode() for w in words) + _TAIL.encode()


SPDY_DICTIONARY = _dictionary()

_SYN_STREAM, _SYN_REPLY, _RST_STREAM, _SETTINGS, _PING, _GOAWAY, _HEADERS, _WINDOW_UPDATE = (
    1,
    2,
    3,
    4,
    6,
    7,
    8,
    9,
)
_FLAG_FIN = 0x01


class Transport(Protocol):
    """A byte pipe under the session: a hijacked TCP connection or a WebSocket tunnel."""

    def read(self, n: int) -> bytes: ...  # exactly n bytes, or raise EOFError

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class SpdyStream:
    """One client-opened stream: headers, a blocking reader (b"" at FIN), a writer."""

    def __init__(self, session: SpdySession, stream_id: int, headers: dict[str, str]) -> None:
        self.session = session
        self.id = stream_id
        self.headers = headers
        self._buf = bytearray()
        self._eof = False
        self._cond = threading.Condition()
        self.write_closed = False

    def _feed(self, data: bytes, fin: bool) -> None:
        with self._cond:
            self._buf += data
            if fin:
                self._eof = True
            self._cond.notify_all()

    def read(self, n: int = 65536, timeout: float | None = None) -> bytes:
        """Up to n bytes; b"" at end of stream. With a timeout, b"" also when nothing came in time."""
        with self._cond:
            if not self._buf and not self._eof:
                self._cond.wait_for(lambda: bool(self._buf) or self._eof, timeout)
            data = bytes(self._buf[:n])
            del self._buf[:n]
            return data

    @property
    def at_eof(self) -> bool:
        with self._cond:
            return self._eof and not self._buf

    def write(self, data: bytes) -> None:
        for i in range(0, len(data), 16384):
            self.session.send_data(self.id, data[i : i + 16384], False)

    def close(self) -> None:
        """Half-close our side (an empty DATA frame with FIN)."""
        if not self.write_closed:
            self.write_closed = True
            self.session.send_data(self.id, b"", True)


class SpdySession:
    """Reads frames in `serve()` until the peer goes away; `on_stream` hears of each new stream."""

    def __init__(self, transport: Transport, on_stream: Callable[[SpdyStream], None]) -> None:
        self._t = transport
        self._on_stream = on_stream
        self._inflate = zlib.decompressobj(zdict=SPDY_DICTIONARY)
        self._deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, 15, zdict=SPDY_DICTIONARY)
        self._wlock = threading.Lock()
        self.streams: dict[int, SpdyStream] = {}
        self.closed = threading.Event()

    # -- writing --
    def _send(self, frame: bytes) -> None:
        if self.closed.is_set():
            return
        try:
            with self._wlock:
                self._t.write(frame)
        except (OSError, EOFError):
            self.closed.set()

    def _control(self, ftype: int, flags: int, payload: bytes) -> bytes:
        return struct.pack("!HHI", 0x8003, ftype, (flags << 24) | len(payload)) + payload

    def send_data(self, stream_id: int, data: bytes, fin: bool) -> None:
        flags = _FLAG_FIN if fin else 0
        self._send(struct.pack("!II", stream_id & 0x7FFFFFFF, (flags << 24) | len(data)) + data)

    def _header_block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack("!I", len(headers))
        for k, v in headers.items():
            raw += struct.pack("!I", len(k)) + k.encode() + struct.pack("!I", len(v)) + v.encode()
        with self._wlock:
            return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def reset(self, stream_id: int, status: int = 5) -> None:
        """RST_STREAM (5 = CANCEL)."""
        self._send(self._control(_RST_STREAM, 0, struct.pack("!II", stream_id, status)))

    def goaway(self) -> None:
        last = max(self.streams, default=0)
        self._send(self._control(_GOAWAY, 0, struct.pack("!II", last, 0)))

    def close(self) -> None:
        if not self.closed.is_set():
            self.goaway()
            self.closed.set()
        for stream in list(self.streams.values()):
            stream._feed(b"", True)
        try:
            self._t.close()
        except OSError:
            pass

    # -- reading --
    def _headers(self, block: bytes) -> dict[str, str]:
        raw = self._inflate.decompress(block)
        (count,) = struct.unpack_from("!I", raw, 0)
        pos, out = 4, {}
        for _ in range(count):
            (klen,) = struct.unpack_from("!I", raw, pos)
            key = raw[pos + 4 : pos + 4 + klen].decode()
            pos += 4 + klen
            (vlen,) = struct.unpack_from("!I", raw, pos)
            out[key.lower()] = raw[pos + 4 : pos + 4 + vlen].decode().split("\x00")[0]
            pos += 4 + vlen
        return out

    def serve(self) -> None:
        """The read loop; returns when the peer closed the connection or sent GOAWAY."""
        try:
            while not self.closed.is_set():
                head = self._t.read(8)
                word, flags_len = struct.unpack("!II", head)
                flags, length = flags_len >> 24, flags_len & 0xFFFFFF
                payload = self._t.read(length) if length else b""
                if word & 0x80000000:
                    if not self._control_frame((word & 0xFFFF), flags, payload):
                        break
                else:
                    stream = self.streams.get(word & 0x7FFFFFFF)
                    if stream is not None:
                        stream._feed(payload, bool(flags & _FLAG_FIN))
        except (EOFError, OSError, struct.error, zlib.error):
            pass
        finally:
            self.closed.set()
            for stream in list(self.streams.values()):
                stream._feed(b"", True)

    def _control_frame(self, ftype: int, flags: int, payload: bytes) -> bool:
        if ftype == _SYN_STREAM:
            (sid,) = struct.unpack_from("!I", payload, 0)
            sid &= 0x7FFFFFFF
            stream = SpdyStream(self, sid, self._headers(payload[10:]))
            self.streams[sid] = stream
            self._send(self._control(_SYN_REPLY, 0, struct.pack("!I", sid) + self._header_block({})))
            if flags & _FLAG_FIN:
                stream._feed(b"", True)
            self._on_stream(stream)
        elif ftype == _RST_STREAM:
            (sid,) = struct.unpack_from("!I", payload, 0)
            gone = self.streams.get(sid & 0x7FFFFFFF)
            if gone is not None:
                gone._feed(b"", True)
                gone.write_closed = True
        elif ftype == _PING:
            self._send(self._control(_PING, 0, payload[:4]))
        elif ftype == _GOAWAY:
            return False
        elif ftype == _HEADERS:
            self._headers(payload[4:])  # keep the shared zlib context in step
        return True  # SETTINGS, WINDOW_UPDATE: nothing to do without flow control


class SocketTransport:
    """The hijacked HTTP connection itself."""

    def __init__(self, rfile: io.BufferedIOBase, sock: socket.socket) -> None:
        self._rfile = rfile
        self._sock = sock

    def read(self, n: int) -> bytes:
        return read_exact(self._rfile, n)

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

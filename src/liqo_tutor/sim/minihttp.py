"""HTTP/1.1 for the simulated tools: one kept-alive socket per server, nothing else imported.

The tools talk to the playground's own servers (the API servers and the daemon's control API, both
`http.server` on 127.0.0.1 answering with Content-Length, chunks only for streams). `urllib.request`
pulls in `http.client`, `email`, `ssl` and proxy handling: about 30 ms of CPU per tool start on the
playground's busiest path, more than most tool calls spend talking. A kept-alive connection also
spares the server a new thread per request (ThreadingHTTPServer starts one per connection).
"""

from __future__ import annotations

import socket

__all__ = ["Connection", "HttpError", "Response", "request"]

_MAX_LINE = 65536
_MAX_HEADERS = 200
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux


class HttpError(OSError):
    """The peer broke the protocol or closed the connection mid-answer."""


class Response:
    """A whole answer: status code, reason, headers (lower-case names), body."""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


class _Stale(Exception):
    """A reused connection was closed by the server before it answered: send again on a new one."""


def _split(base: str) -> tuple[str, str, int]:
    scheme, sep, rest = base.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise HttpError(f"unsupported protocol scheme {scheme!r}")
    hostport = rest.split("/", 1)[0]
    default = 443 if scheme == "https" else 80
    if hostport.startswith("["):  # [v6]:port
        host, _, tail = hostport[1:].partition("]")
        port = int(tail[1:]) if tail.startswith(":") else default
    elif hostport.count(":") == 1:
        host, _, raw = hostport.partition(":")
        port = int(raw) if raw else default
    else:
        host, port = hostport, default
    return scheme, host, port


class Connection:
    """Requests to one `scheme://host:port`, in turn, over a connection kept open between them."""

    def __init__(self, base: str) -> None:
        self.scheme, self.host, self.port = _split(base)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._host_header = f"{host}:{self.port}"
        self._sock: socket.socket | None = None
        self._reader: _Reader | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._reader = None

    def _open(self, timeout: float) -> tuple[socket.socket, _Reader]:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.scheme == "https":
            import ssl

            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self._sock, self._reader = sock, _Reader(sock)
        return sock, self._reader

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Response:
        """Send one request and read its whole answer; OSError (ConnectionRefusedError, TimeoutError,
        HttpError, ...) when the server cannot be reached or the answer is cut."""
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host_header}"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        for _attempt in range(2):
            reused = self._sock is not None
            if self._sock is None or self._reader is None:
                sock, reader = self._open(timeout)
            else:
                sock, reader = self._sock, self._reader
                sock.settimeout(timeout)
            try:
                try:
                    sock.sendall(payload)
                except (BrokenPipeError, ConnectionResetError):
                    if not reused:
                        raise
                    raise _Stale() from None
                response = reader.response(method, stale_ok=reused)
            except _Stale:
                self.close()
                continue
            except BaseException:
                self.close()
                raise
            if response.headers.get("connection", "").lower() == "close" or reader.eof:
                self.close()
            return response
        raise HttpError("the server closed the connection")


class _Reader:
    """Buffered reads of answers from one socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = b""
        self.eof = False

    def _fill(self) -> bool:
        if _QUICKACK is not None:  # ACK at once: a server with Nagle on holds its next write until then
            self._sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        data = self._sock.recv(65536)
        if not data:
            self.eof = True
            return False
        self._buf += data
        return True

    def _line(self) -> bytes:
        while True:
            at = self._buf.find(b"\n")
            if at >= 0:
                line, self._buf = self._buf[: at + 1], self._buf[at + 1 :]
                return line
            if len(self._buf) > _MAX_LINE:
                raise HttpError("header line too long")
            if not self._fill():
                line, self._buf = self._buf, b""
                return line

    def _exact(self, size: int) -> bytes:
        while len(self._buf) < size:
            if not self._fill():
                raise HttpError(f"answer cut after {len(self._buf)} of {size} bytes")
        data, self._buf = self._buf[:size], self._buf[size:]
        return data

    def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_line = self._line()
            if not size_line:
                raise HttpError("chunked answer cut")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self._line().strip():  # trailers, then the blank line
                    pass
                return b"".join(parts)
            parts.append(self._exact(size))
            self._line()  # the CRLF after each chunk

    def _rest(self) -> bytes:
        while self._fill():
            pass
        data, self._buf = self._buf, b""
        return data

    def response(self, method: str, stale_ok: bool) -> Response:
        try:
            status_line = self._line()
        except (ConnectionResetError, BrokenPipeError):
            if stale_ok:
                raise _Stale() from None
            raise
        if not status_line:
            if stale_ok:
                raise _Stale()
            raise HttpError("the server closed the connection without an answer")
        parts = status_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise HttpError(f"malformed status line {status_line[:80]!r}")
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            raise HttpError("too many headers")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunks()
        elif "content-length" in headers:
            body = self._exact(int(headers["content-length"]))
        else:
            body = self._rest()
        return Response(status, reason, headers, body)


_POOL: dict[str, list[Connection]] = {}


def request(
    base: str,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Response:
    """One request to `base` (scheme://host:port) on an idle kept-alive connection of this process, or
    a new one; a connection is used by one request at a time (threads each get their own)."""
    idle = _POOL.setdefault(base, [])
    try:
        conn = idle.pop()
    except IndexError:
        conn = Connection(base)
    response = conn.request(method, target, body, headers, timeout)
    if conn.is_open:
        idle.append(conn)
    return response

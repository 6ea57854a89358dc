"""Reading a hijacked HTTP connection: the one exact-length read of the SPDY and WebSocket framings."""

from __future__ import annotations

import io

__all__ = ["read_exact"]


def read_exact(rfile: io.BufferedIOBase, n: int) -> bytes:
    """`n` bytes from `rfile`; EOFError when the peer closes before they all came."""
    data = b""
    while len(data) < n:
        chunk = rfile.read(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data

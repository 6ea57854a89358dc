"""The remotecommand streams of exec/attach (stdin, stdout, stderr, error, resize) over either transport.

WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`): every binary message starts with its channel byte
(0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5 adds 255 = close, followed by the closed channel).
SPDY/3.1 (`v4.channel.k8s.io` ...): one stream per channel, named by its `streamtype` header.
The error channel carries a metav1.Status; exit codes as cause `ExitCode` (k8s.io/apimachinery
pkg/util/remotecommand constants, client-go tools/remotecommand v4.go errorDecoderV4).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from liqo_tutor.sim.streams.spdy import SpdySession, SpdyStream
from liqo_tutor.sim.streams.websocket import OP_BINARY, WebSocket

__all__ = ["Channels", "InputBuffer", "SpdyChannels", "WsChannels", "exit_status"]

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def exit_status(code: int, argv: list[str] | None = None) -> dict[str, object]:
    """The Status the kubelet writes on the error channel when a command ends with `code`."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    what = f"error executing command [{' '.join(argv or [])}], exit code {code}"
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: {what}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


class InputBuffer:
    """Bytes from the client's stdin; `read` blocks until data, end of input, or the timeout."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._eof = False
        self._cond = threading.Condition()

    def feed(self, data: bytes) -> None:
        with self._cond:
            self._buf += data
            self._cond.notify_all()

    def end(self) -> None:
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def read(self, timeout: float | None = None) -> bytes | None:
        """Available bytes; b"" at end of input; None when the timeout passed with nothing."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._buf) or self._eof, timeout):
                return None
            data = bytes(self._buf)
            self._buf.clear()
            return data


class Channels:
    """What a process sees of its client: stdin (or None), stdout/stderr writers, terminal resizes."""

    def __init__(self) -> None:
        self.stdin: InputBuffer | None = None
        self.on_resize: Callable[[int, int], None] = lambda _w, _h: None
        self.gone = threading.Event()  # the client went away

    def _resize_json(self, data: bytes) -> None:
        for line in data.decode(errors="replace").splitlines():
            try:
                size = json.loads(line)
                self.on_resize(int(size.get("Width", 0)), int(size.get("Height", 0)))
            except (ValueError, AttributeError):
                continue

    def write_out(self, data: bytes) -> None:
        raise NotImplementedError

    def write_err(self, data: bytes) -> None:
        raise NotImplementedError

    def finish(self, status: dict[str, object]) -> None:
        """Report the end (the Status on the error channel) and close every stream."""
        raise NotImplementedError


# What starting the process costs a real node (the CRI's exec) before its first byte: client-go's
# websocket executor starts reading before it has created its streams, discards a message for a stream
# it does not know yet, and fails with "closed all streams" when the connection ends before then
# (tools/remotecommand/websocket.go, readDemuxLoop / setStream). A command answered in the same instant
# the connection opens would race that on a busy machine; a real one never does.
_EXEC_START = 0.1


class WsChannels(Channels):
    def __init__(self, ws: WebSocket, stdin: bool, protocol: str) -> None:
        super().__init__()
        self.ws = ws
        self.v5 = protocol.startswith("v5.")
        self.stdin = InputBuffer() if stdin else None
        self._ready_at = time.monotonic() + _EXEC_START
        self._reader = threading.Thread(target=self._read_loop, name="ws-channels", daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        while True:
            msg = self.ws.recv()
            if msg is None:
                break
            opcode, payload = msg
            if opcode != OP_BINARY or not payload:
                continue
            channel, data = payload[0], payload[1:]
            if channel == STDIN and self.stdin is not None:
                self.stdin.feed(data)
            elif channel == RESIZE:
                self._resize_json(data)
            elif channel == CLOSE and self.v5 and data[:1] == bytes([STDIN]) and self.stdin is not None:
                self.stdin.end()
        if self.stdin is not None:
            self.stdin.end()
        self.gone.set()

    def _started(self) -> None:
        wait = self._ready_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def write_out(self, data: bytes) -> None:
        self._started()
        if data and not self.ws.send(bytes([STDOUT]) + data):
            self.gone.set()

    def write_err(self, data: bytes) -> None:
        self._started()
        if data and not self.ws.send(bytes([STDERR]) + data):
            self.gone.set()

    def finish(self, status: dict[str, object]) -> None:
        self._started()
        self.ws.send(bytes([ERROR]) + json.dumps(status).encode())
        self.ws.close()


class SpdyChannels(Channels):
    """Waits for the streams the client announced (by the request's stdin/stdout/stderr/tty flags)."""

    def __init__(self, session: SpdySession, expected: set[str]) -> None:
        super().__init__()
        self.session = session
        self.expected = expected
        self.streams: dict[str, SpdyStream] = {}
        self._cond = threading.Condition()

    def add(self, stream: SpdyStream) -> None:
        with self._cond:
            self.streams[stream.headers.get("streamtype", "")] = stream
            self._cond.notify_all()

    def wait_ready(self, timeout: float) -> bool:
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self.expected <= set(self.streams) or self.session.closed.is_set(), timeout
            )
        if not ok or not self.expected <= set(self.streams):
            return False
        threading.Thread(target=self._watch_session, name="spdy-gone", daemon=True).start()
        if "stdin" in self.streams:
            self.stdin = InputBuffer()
            threading.Thread(target=self._pump_stdin, name="spdy-stdin", daemon=True).start()
        if "resize" in self.streams:
            threading.Thread(target=self._pump_resize, name="spdy-resize", daemon=True).start()
        return True

    def _watch_session(self) -> None:
        self.session.closed.wait()
        self.gone.set()

    def _pump_stdin(self) -> None:
        stream, buf = self.streams["stdin"], self.stdin
        assert buf is not None
        while True:
            data = stream.read()
            if not data:
                break
            buf.feed(data)
        buf.end()
        if self.session.closed.is_set():
            self.gone.set()

    def _pump_resize(self) -> None:
        stream = self.streams["resize"]
        pending = b""
        while True:
            data = stream.read()
            if not data:
                return
            pending += data
            if b"\n" in pending:
                lines, _, pending = pending.rpartition(b"\n")
                self._resize_json(lines)

    def _write(self, kind: str, data: bytes) -> None:
        stream = self.streams.get(kind)
        if stream is not None and data:
            stream.write(data)
        if self.session.closed.is_set():
            self.gone.set()

    def write_out(self, data: bytes) -> None:
        self._write("stdout", data)

    def write_err(self, data: bytes) -> None:
        self._write("stderr", data)

    def finish(self, status: dict[str, object]) -> None:
        error = self.streams.get("error")
        if error is not None:
            error.write(json.dumps(status).encode())
        for kind in ("stdout", "stderr", "error", "stdin", "resize"):
            stream = self.streams.get(kind)
            if stream is not None:
                stream.close()
        self.session.close()

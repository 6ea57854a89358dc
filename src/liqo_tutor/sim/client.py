"""Talking to the playground daemon: start it when needed, control calls, stop it for good."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim import minihttp

if TYPE_CHECKING:  # the tools that call the daemon do not load the store (nor subprocess)
    import subprocess

    from liqo_tutor.sim.store import ClusterSpec

__all__ = ["Control", "ControlError", "DaemonError", "connect", "ensure_daemon", "pid_alive", "stop"]

START_TIMEOUT = 10.0
# Children spawned by this process: kept so that they can be reaped (no zombie, no ResourceWarning).
_SPAWNED: list[subprocess.Popen[bytes]] = []


class DaemonError(RuntimeError):
    """The daemon could not be started or does not answer."""


class ControlError(RuntimeError):
    """The daemon answered a control call with an error."""

    def __init__(self, code: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


def pid_alive(pid: int) -> bool:
    """A zombie (exited, not yet reaped) counts as gone."""
    _reap()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _is_daemon(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid_alive(pid)
    return b"liqo_tutor.sim.daemon" in cmdline


def _reap() -> None:
    for proc in list(_SPAWNED):
        if proc.poll() is not None:
            _SPAWNED.remove(proc)


class Control:
    """Client of one daemon's control API (JSON over HTTP on 127.0.0.1)."""

    def __init__(self, simdir: Path, pid: int, port: int) -> None:
        self.simdir = simdir
        self.pid = pid
        self.port = port

    def _call(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            resp = minihttp.request(f"http://127.0.0.1:{self.port}", method, path, data, headers, timeout)
            if 200 <= resp.status < 300:
                return json.loads(resp.body or b"null")
        except (OSError, ValueError) as exc:
            raise DaemonError(f"playground daemon on port {self.port} does not answer: {exc}") from None
        try:
            payload = json.loads(resp.body or b"{}")
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        message, reason = str(payload.get("error", resp.reason)), str(payload.get("reason", ""))
        raise ControlError(resp.status, message, reason)

    def health(self, timeout: float = 2.0) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/health", timeout=timeout)
        return result

    def clusters(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/clusters")
        return result

    def cluster(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.clusters() if c["name"] == name), None)

    def create_cluster(self, spec: ClusterSpec, *, kind: dict[str, Any] | None = None) -> dict[str, Any]:
        """Add the cluster and open its API listener; `kind` is kept as the cluster's kind metadata."""
        result: dict[str, Any] = self._call("POST", "/clusters", {"spec": spec.to_json(), "kind": kind or {}})
        return result

    def delete_cluster(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/clusters/{name}")
        return result

    def load_image(self, cluster: str, image: str, image_id: str = "", size: int = 0) -> dict[str, Any]:
        body = {"cluster": cluster, "image": image, "id": image_id, "size": size}
        result: dict[str, Any] = self._call("POST", "/images/load", body)
        return result

    def node_images(self, cluster: str, node: str, image: str = "", digest: str = "",
                    size: int = 0) -> list[str]:
        """The images on one node (normalized refs), after marking `image` pulled there if given."""
        body = {"cluster": cluster, "node": node, "image": image, "digest": digest, "size": size}
        result: dict[str, list[str]] = self._call("POST", "/images/node", body)
        return list(result["images"])

    def shutdown(self) -> None:
        self._call("POST", "/shutdown", {}, timeout=5.0)


def _info(simdir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((simdir / "daemon.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def connect(simdir: Path) -> Control | None:
    """The live daemon of `simdir`, or None (never starts one)."""
    simdir = Path(simdir)
    info = _info(simdir)
    if info is None:
        return None
    try:
        pid, port = int(info["pid"]), int(info["control_port"])
    except (KeyError, TypeError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    control = Control(simdir, pid, port)
    try:
        control.health()
    except (DaemonError, ControlError):
        return None
    return control


def _log_tail(simdir: Path, lines: int = 5) -> str:
    try:
        text = (simdir / "daemon.log").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def ensure_daemon(simdir: Path, timeout: float = START_TIMEOUT) -> Control:
    """Reuse the live daemon of `simdir` or start one detached; raises DaemonError if none answers."""
    simdir = Path(simdir).resolve()
    found = connect(simdir)
    if found is not None:
        return found
    simdir.mkdir(parents=True, exist_ok=True)
    import subprocess

    with (simdir / "daemon.log").open("ab") as logfile:
        proc = subprocess.Popen(
            [sys.executable, "-m", "liqo_tutor.sim.daemon", "--dir", str(simdir)],
            start_new_session=True, stdin=subprocess.DEVNULL, stdout=logfile, stderr=logfile,
            close_fds=True, cwd=str(simdir),
        )
    _SPAWNED.append(proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # A spawn that lost the lock race exits at once; the winner's daemon.json shows up anyway.
        found = connect(simdir)
        if found is not None:
            return found
        time.sleep(0.02)
    tail = _log_tail(simdir)
    raise DaemonError(f"the playground daemon did not start within {timeout:g}s"
                      + (f"; {simdir / 'daemon.log'} ends with:\n{tail}" if tail else ""))


def _lock_holder(simdir: Path) -> int | None:
    """Pid written into daemon.lock by a daemon that may still be starting (no daemon.json yet)."""
    try:
        text = (simdir / "daemon.lock").read_text().strip()
        pid = int(text)
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) and _is_daemon(pid) else None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.02)
    return not pid_alive(pid)


def stop(simdir: Path, timeout: float = 5.0) -> None:
    """Shut the daemon of `simdir` down (state saved) and wait for its pid to vanish; SIGKILL last."""
    simdir = Path(simdir)
    pids: set[int] = set()
    info = _info(simdir)
    if info is not None:
        try:
            pid = int(info["pid"])
            if pid_alive(pid) and _is_daemon(pid):
                pids.add(pid)
                try:
                    Control(simdir, pid, int(info["control_port"])).shutdown()
                except (DaemonError, ControlError, KeyError, ValueError):
                    os.kill(pid, signal.SIGTERM)
        except (KeyError, TypeError, ValueError, ProcessLookupError):
            pass
    holder = _lock_holder(simdir)
    if holder is not None and holder not in pids:
        pids.add(holder)
        try:
            os.kill(holder, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in pids:
        if _wait_gone(pid, timeout):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        if not _wait_gone(pid, 1.0):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            _wait_gone(pid, 2.0)
    for proc in list(_SPAWNED):
        import subprocess  # loaded already: this process spawned `proc`

        try:
            proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            continue
    _reap()

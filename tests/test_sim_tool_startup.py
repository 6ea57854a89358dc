"""What a simulated tool process loads, and the small HTTP client the tools talk to the playground with.

Every simulated kind/liqoctl/docker/helm call is a process start on the tutorial's path; these tests pin
the structure that keeps it cheap (no timing: that is `make bench`'s job): which modules a call imports
(`python -X importtime`, the real entry point `python -m liqo_tutor.sim.tools`), and that the tools'
HTTP client keeps one connection open, survives a server that drops it, and reads every answer shape the
playground's servers send (Content-Length, chunked, error statuses).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from liqo_tutor.sim import ensure_bin, faults, minihttp, sim_env
from liqo_tutor.sim.client import stop
from liqo_tutor.sim.kclient import ApiError, KubeClient, Target
from liqo_tutor.sim.tools import __main__ as entry

# Never in any simulated tool: the core, the server side of the playground, the heavy HTTP stack.
NEVER = (
    "pydantic",
    "typer",
    "rich",
    "liqo_tutor.cli",
    "liqo_tutor.engine",
    "liqo_tutor.sim.apiserver",
    "liqo_tutor.sim.daemon",
    "liqo_tutor.sim.controllers",
    "http.server",
    "http.client",
    "urllib.request",
    "email",
    "ssl",
)


def _imported(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime -m liqo_tutor.sim.tools ARGV` and return what it imported."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "liqo_tutor.sim.tools", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in res.stderr.splitlines()
        if line.startswith("import time:") and "self [us]" not in line
    }
    return res, modules


def _loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.fixture
def tool_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    simdir = tmp_path / "sim"
    ensure_bin(simdir)
    env = {**os.environ, **sim_env(simdir), "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "kc"),
           "LIQO_TUTOR_SIM_SPEED": "0"}
    env.pop(faults.ENV, None)
    try:
        yield env
    finally:
        stop(simdir)


@pytest.mark.parametrize(
    ("argv", "also_never"),
    [
        (["liqoctl", "version", "--client"], ("liqo_tutor.sim.faults", "liqo_tutor.sim.store", "traceback", "yaml",
                                              "secrets", "uuid", "liqo_tutor.sim.tools.liqoctl.info",
                                              "liqo_tutor.sim.tools.liqoctl.status",
                                              "liqo_tutor.sim.tools.liqoctl.peer_v1")),
        (["docker", "version"], ("yaml", "liqo_tutor.sim.store", "liqo_tutor.sim.kclient")),
        (["helm", "version"], ("liqo_tutor.sim.faults", "liqo_tutor.sim.store")),
        (["kind", "version"], ()),
    ],
)
def test_a_tool_call_imports_only_what_it_needs(
    argv: list[str], also_never: tuple[str, ...], tool_env: dict[str, str], tmp_path: Path
) -> None:
    res, modules = _imported(argv, tool_env, tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"liqo_tutor.sim.tools.{argv[0]}" in modules  # the measurement sees the tool's own module
    loaded = [name for name in (*NEVER, *also_never) if _loaded(modules, name)]
    assert loaded == [], f"`{' '.join(argv)}` imports {loaded}"


def test_fault_rules_are_read_only_when_set(tool_env: dict[str, str], tmp_path: Path) -> None:
    """The fault module loads for a call only when LIQO_TUTOR_SIM_FAULTS is set, and then still applies."""
    assert entry.FAULTS_ENV == faults.ENV
    env = {**tool_env, faults.ENV: "liqoctl version:fail"}
    res, modules = _imported(["liqoctl", "version", "--client"], env, tmp_path)
    assert "liqo_tutor.sim.faults" in modules
    assert res.returncode != 0


def test_tools_talk_to_the_api_server_without_the_stdlib_http_stack(
    tool_env: dict[str, str], tmp_path: Path, kubectl_bin: str
) -> None:
    """kind (control API of the daemon) and helm (a cluster's API server) over the tools' own client; the
    REAL kubectl then sees what helm's install left (the release's Secret)."""
    kc = str(tmp_path / "kc-a")
    res, modules = _imported(["kind", "create", "cluster", "--name", "a", "--kubeconfig", kc], tool_env, tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "liqo_tutor.sim.minihttp" in modules
    assert [n for n in ("http.client", "urllib.request") if _loaded(modules, n)] == []
    res, modules = _imported(["helm", "list", "-A", "--kubeconfig", kc], tool_env, tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.startswith("NAME")
    assert "liqo_tutor.sim.kclient" in modules
    assert [n for n in ("http.client", "urllib.request") if _loaded(modules, n)] == []
    nodes = subprocess.run([kubectl_bin, "--kubeconfig", kc, "get", "nodes", "-o", "name"], env=tool_env,
                           capture_output=True, text=True, timeout=60)
    assert nodes.returncode == 0 and "node/a-control-plane" in nodes.stdout.split()


# -- the HTTP client ---------------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: list[int] = []
    close_after_answer = False

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.close_after_answer:  # drops the connection without saying so in a header
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b'{"a":', b' "chunked"}'):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/missing":
            self._answer(404, b'{"kind":"Status","reason":"NotFound","message":"nope"}')
            return
        self._answer(200, json.dumps({"path": self.path}).encode())

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(201, self.rfile.read(length))


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"connections": [], "disable_nagle_algorithm": True})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", handler
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("nagle", [False, True])
def test_requests_share_one_kept_alive_connection(server: tuple[str, type[_Recorder]], nagle: bool) -> None:
    """Also against a server that leaves Nagle on (an older playground daemon): answers stay whole."""
    base, handler = server
    handler.disable_nagle_algorithm = not nagle
    for i in range(5):
        resp = minihttp.request(base, "GET", f"/x/{i}")
        assert resp.status == 200 and json.loads(resp.body) == {"path": f"/x/{i}"}
    body = json.dumps({"n": 1}).encode()
    resp = minihttp.request(base, "POST", "/p", body, {"Content-Type": "application/json"})
    assert resp.status == 201 and resp.body == body
    assert len(handler.connections) == 1


def test_a_connection_the_server_dropped_is_replaced(server: tuple[str, type[_Recorder]]) -> None:
    base, handler = server
    handler.close_after_answer = True
    for i in range(3):
        assert json.loads(minihttp.request(base, "GET", f"/y/{i}").body) == {"path": f"/y/{i}"}
    assert len(handler.connections) == 3


def test_chunked_and_error_answers_are_read_whole(server: tuple[str, type[_Recorder]]) -> None:
    base, _ = server
    assert json.loads(minihttp.request(base, "GET", "/chunked").body) == {"a": "chunked"}
    missing = minihttp.request(base, "GET", "/missing")
    assert missing.status == 404 and json.loads(missing.body)["reason"] == "NotFound"
    assert json.loads(minihttp.request(base, "GET", "/after").body) == {"path": "/after"}  # still in sync


def test_kube_client_errors_keep_client_go_shapes(server: tuple[str, type[_Recorder]]) -> None:
    base, _ = server
    kc = KubeClient(Target(base, None, None, "ctx", "user"))
    with pytest.raises(ApiError) as missing:
        kc.request("GET", "/missing")
    assert (missing.value.code, missing.value.reason, missing.value.message) == (404, "NotFound", "nope")
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = KubeClient(Target(f"http://127.0.0.1:{port}", None, None, "ctx", "user"))
    with pytest.raises(ApiError) as down:
        refused.request("GET", "/api/v1/namespaces")
    assert down.value.code == 0
    assert down.value.message == (
        f'Get "http://127.0.0.1:{port}/api/v1/namespaces": dial tcp 127.0.0.1:{port}: connect: connection refused'
    )

"""kubectl's streaming API against the simulated API server, with the REAL kubectl, oldest and newest here.

kubectl >= 1.30 speaks WebSocket (v5.channel.k8s.io; port-forward tunnels SPDY in WebSocket from 1.31),
older ones SPDY/3.1 only (client-go tools/remotecommand websocket.go, spdy.go, fallback.go;
tools/portforward). Sequences from kubectl's run.go (wait Running, attach, wait completed, delete),
exec.go and logs.go; exit codes as client-go v4.go decodes the error channel's Status.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from stream_helpers import VERSIONS, Playground, playground, version_id

URL = "http://flights-service.liqo-demo:7999/schedule"
CURL = ["curl", "-s", "-H", "accept: application/json", URL]


pytestmark = pytest.mark.skipif(not VERSIONS, reason="real kubectl not found (run `make install`)")


@pytest.fixture(params=VERSIONS, ids=version_id)
def pg(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Playground]:
    yield from playground(tmp_path, str(request.param))


def test_exec_runs_commands_with_exit_codes(pg: Playground) -> None:
    """exec into the flights-service pod (through its Deployment), exit codes as kubectl reports them."""
    ls = pg.kubectl("exec", "-n", "liqo-demo", "deploy/flights-service", "--", "ls")
    assert ls.returncode == 0, ls.stderr
    assert {"bin", "etc", "usr"} <= set(ls.stdout.split())
    pod = pg.kubectl("get", "pods", "-n", "liqo-demo", "-o", "jsonpath={.items[0].metadata.name}").stdout
    host = pg.kubectl("exec", "-n", "liqo-demo", pod, "--", "hostname")
    assert host.stdout == pod + "\n"
    failed = pg.kubectl("exec", "-n", "liqo-demo", pod, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert failed.returncode == 3
    assert failed.stdout == "out\n"
    assert "command terminated with exit code 3" in failed.stderr
    missing = pg.kubectl("exec", "-n", "liqo-demo", pod, "--", "nosuchprogram")
    assert missing.returncode != 0
    assert 'exec: "nosuchprogram": executable file not found in $PATH' in missing.stderr
    piped = subprocess.run(pg.argv("exec", "-i", "-n", "liqo-demo", pod, "--", "cat"), input="fed through stdin\n",
                           capture_output=True, text=True, timeout=60, env=pg.env, check=False)  # fmt: skip
    assert piped.stdout == "fed through stdin\n"
    nopod = pg.kubectl("exec", "-n", "liqo-demo", "nosuchpod", "--", "ls")
    assert nopod.returncode == 1
    assert 'pods "nosuchpod" not found' in nopod.stderr


def test_run_rm_i_prints_output_returns_code_and_deletes(pg: Playground) -> None:
    """`kubectl run --rm -i`: attach (no log fallback), the command's output and exit code, pod deleted."""
    out = pg.kubectl("run", "c", "--rm", "-i", "--restart=Never", "--image=curlimages/curl", "--", *CURL)
    assert out.returncode == 0, out.stderr
    assert "couldn't attach" not in out.stderr and "falling back" not in out.stderr
    body = out.stdout.split('pod "c" deleted')[0]
    assert isinstance(json.loads(body), list)
    assert pg.pod_gone("c")
    failed = pg.kubectl("run", "f", "--rm", "-i", "--restart=Never", "--image=busybox", "--",
                        "sh", "-c", "echo before; exit 4")  # fmt: skip
    assert failed.returncode == 4
    assert failed.stdout.startswith("before\n")
    assert pg.pod_gone("f")
    wrong = pg.kubectl("run", "w", "--rm", "-i", "--restart=Never", "--image=busybox", "--",
                       "sh", "-c", f"curl {URL}")  # fmt: skip
    assert wrong.returncode == 127  # busybox has no curl
    assert "sh: curl: not found" in wrong.stdout + wrong.stderr


def test_logs_follow_streams_until_the_container_ends(pg: Playground) -> None:
    """`kubectl logs -f` shows output as it is written and returns when the container ends."""
    run = subprocess.Popen(pg.argv("run", "t", "-i", "--restart=Never", "--image=busybox", "--", "sh"),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=pg.env)  # fmt: skip
    logs: subprocess.Popen[str] | None = None
    try:
        assert run.stdin is not None
        pg.wait_for(
            "pod t running",
            lambda: pg.kubectl("get", "pod", "t", "-o", "jsonpath={.status.phase}").stdout == "Running",
        )
        run.stdin.write("echo one\n")
        run.stdin.flush()
        pg.wait_for("first line logged", lambda: "one" in pg.kubectl("logs", "t").stdout)
        logs = subprocess.Popen(pg.argv("logs", "-f", "t"), stdout=subprocess.PIPE, text=True, env=pg.env)
        assert logs.stdout is not None
        assert logs.stdout.readline() == "one\n"
        run.stdin.write("echo two\n")
        run.stdin.flush()
        assert logs.stdout.readline() == "two\n"
        assert logs.poll() is None  # still following: the container runs
        run.stdin.write("exit 2\n")
        run.stdin.flush()
        assert logs.wait(timeout=20) == 0
        assert run.wait(timeout=20) == 2
        status = pg.kubectl(
            "get", "pod", "t", "-o", "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}"
        )
        assert status.stdout == "2"
    finally:
        for proc in (run, logs):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_port_forward_service_serves_schedule(pg: Playground) -> None:
    """`kubectl port-forward svc/flights-service PORT:7999` serves /schedule on localhost."""
    port = _free_port()
    proc = subprocess.Popen(pg.argv("port-forward", "-n", "liqo-demo", "svc/flights-service", f"{port}:7999"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=pg.env)  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{port} -> 7999")
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/schedule", headers={"accept": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=20) as resp:
            assert isinstance(json.loads(resp.read()), list)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing", timeout=20)
            raise AssertionError("a wrong path must not be served")
        except urllib.error.HTTPError as err:
            assert err.code == 404
    finally:
        proc.kill()
        proc.wait()


def test_port_forward_to_a_port_nothing_serves_fails(pg: Playground) -> None:
    port = _free_port()
    proc = subprocess.Popen(pg.argv("port-forward", "-n", "liqo-demo", "deploy/flights-service", f"{port}:8080"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=pg.env)  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{port} -> 8080")
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/schedule", timeout=20)
    finally:
        proc.kill()
        proc.wait()


def test_streams_end_when_the_cluster_goes(pg: Playground) -> None:
    """Deleting the cluster ends port-forwards and shells attached to it (nothing left running)."""
    port = _free_port()
    forward = subprocess.Popen(pg.argv("port-forward", "-n", "liqo-demo", "svc/flights-service", f"{port}:7999"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=pg.env)  # fmt: skip
    shell = subprocess.Popen(pg.argv("exec", "-i", "-n", "liqo-demo", "deploy/flights-service", "--", "sh"),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=pg.env)  # fmt: skip
    try:
        assert forward.stdout is not None and shell.stdin is not None and shell.stdout is not None
        assert forward.stdout.readline().startswith("Forwarding from")
        shell.stdin.write("echo alive\n")
        shell.stdin.flush()
        assert shell.stdout.readline() == "alive\n"
        pg.world.remove_cluster("london")
        pg.handle.shutdown()
        assert forward.wait(timeout=20) != 0  # "lost connection to pod"
        shell.wait(timeout=20)  # ended (SPDY clients see a clean end of stream, WebSocket ones an error)
    finally:
        for proc in (forward, shell):
            if proc.poll() is None:
                proc.kill()
                proc.wait()

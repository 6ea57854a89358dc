"""The seed's interactive consume through a pseudo-terminal, with the REAL kubectl (oldest and newest here).

`kubectl run consumer --rm -i --tty --image dwdraju/alpine-curl-jq -- /bin/sh`, then the curl | jq line,
then `exit` (seed service-offloading.md "Check the cross-cluster services"): kubectl's run.go waits for
the pod, attaches with a tty (client-go tools/remotecommand, resize channel), and deletes the pod.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from stream_helpers import VERSIONS, Playground, playground, version_id

pytestmark = pytest.mark.skipif(not VERSIONS, reason="real kubectl not found (run `make install`)")

SEED = ["run", "consumer", "--rm", "-i", "--tty", "--image", "dwdraju/alpine-curl-jq", "--", "/bin/sh"]
CURL_JQ = "curl -s -H 'accept: application/json' http://flights-service.liqo-demo:7999/schedule | jq ."


@pytest.fixture(params=VERSIONS, ids=version_id)
def pg(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Playground]:
    yield from playground(tmp_path, str(request.param))


def _json_between(text: str, start: str, end: str) -> object:
    body = text.replace("\r\n", "\n").split(start, 1)[1].rsplit(end, 1)[0]
    return json.loads(body)


def _consume(argv: list[str], env: dict[str, str]) -> tuple[str, int]:
    """Drive the seed's shell like a person at a terminal: prompt, curl | jq, a wrong command, exit."""
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=60, dimensions=(40, 132))
    try:
        child.expect_exact("If you don't see a command prompt, try pressing enter.")
        child.expect_exact("/ # ")
        child.sendline(CURL_JQ)
        child.expect_exact(CURL_JQ + "\r\n")  # echoed by the terminal
        child.expect_exact("/ # ")
        flights = child.before
        child.sendline("nosuchcommand; echo status=$?")
        child.expect_exact("status=127")
        wrong = child.before
        child.expect_exact("/ # ")
        child.sendline("exit")
        child.expect(pexpect.EOF)
        tail = child.before
    finally:
        child.close(force=True)
    assert "/bin/sh: nosuchcommand: not found" in wrong
    data = json.loads(flights.replace("\r\n", "\n"))
    assert isinstance(data, list)
    return tail, int(child.exitstatus or 0)


def test_seed_interactive_consume(pg: Playground) -> None:
    tail, _code = _consume(pg.argv(*SEED), pg.env)
    assert 'pod "consumer" deleted' in tail
    assert pg.pod_gone("consumer")


def test_tty_editing_and_exit_status(pg: Playground) -> None:
    """Backspace edits the line as a cooked pty does; `exit 3` ends the pod with 3 (restart Never)."""
    argv = pg.argv("run", "t", "--rm", "-it", "--restart=Never", "--image=busybox", "--", "sh")
    child = pexpect.spawn(argv[0], argv[1:], env=pg.env, encoding="utf-8", timeout=60)
    try:
        child.expect_exact("/ # ")
        child.send("echo helx\x7flo\r")
        child.expect_exact("hello\r\n/ # ")
        child.sendline("exit 3")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 3
    assert pg.pod_gone("t")


@pytest.mark.slow
def test_playground_after_offload_curl_and_consume(tmp_path: Path) -> None:
    """In the tutorial's playground after `offload`: the curl one-liner and the seed's shell, both clusters."""
    if not VERSIONS:
        pytest.skip("no kubectl")
    cli = [sys.executable, "-m", "liqo_tutor"]
    env = dict(os.environ)
    ran = subprocess.run([*cli, "run", "--to", "offload", "--simulate", "--workdir", str(tmp_path), "--no-color"],
                         capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        assert ran.returncode == 0, ran.stdout + ran.stderr
        exported = subprocess.run([*cli, "env", "--simulate", "--workdir", str(tmp_path)],
                                  capture_output=True, text=True, timeout=60, env=env, check=True).stdout  # fmt: skip
        for line in exported.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value.strip("'\"")
        for kubectl in VERSIONS:
            for kubeconfig in (env["KUBECONFIG"], env["KUBECONFIG_NEWYORK"]):
                out = subprocess.run(
                    [kubectl, "--kubeconfig", kubeconfig, "run", "c", "--rm", "-i", "--restart=Never",
                     "--image=curlimages/curl", "--", "curl", "-s", "-H", "accept: application/json",
                     "http://flights-service.liqo-demo:7999/schedule"],
                    capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL,
                )  # fmt: skip
                assert out.returncode == 0, out.stderr
                assert "falling back" not in out.stderr
                assert isinstance(json.loads(out.stdout.split('pod "c" deleted')[0]), list)
            tail, _ = _consume([kubectl, "--kubeconfig", env["KUBECONFIG_NEWYORK"], *SEED], env)
            assert 'pod "consumer" deleted' in tail
    finally:
        subprocess.run([*cli, "teardown", "--simulate", "--workdir", str(tmp_path), "--no-color"],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ))  # fmt: skip
        shutil.rmtree(tmp_path, ignore_errors=True)

"""Fault injection (LIQO_TUTOR_SIM_FAULTS) on the simulated tools, and docker:down."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqo_tutor.sim import ensure_bin, faults, sim_env
from liqo_tutor.sim.client import connect, stop
from liqo_tutor.sim.tools.common import DOCKER_DOWN


class Play:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.simdir = root / "sim"
        ensure_bin(self.simdir)
        self.env = {**os.environ, **sim_env(self.simdir), "HOME": str(root), "KUBECONFIG": str(root / "kc"),
                    "LIQO_TUTOR_SIM_SPEED": "0"}
        self.env.pop("LIQO_TUTOR_SIM_FAULTS", None)

    def run(self, *argv: str, faults: str = "", timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        env = {**self.env, "LIQO_TUTOR_SIM_FAULTS": faults}
        return subprocess.run(list(argv), cwd=self.root, env=env, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)


@pytest.fixture
def play(tmp_path: Path) -> Iterator[Play]:
    p = Play(tmp_path)
    try:
        yield p
    finally:
        stop(p.simdir)


def test_parse_rules() -> None:
    rules = faults.parse("kind create:fail, liqoctl peer:fail-once,kubectl apply:hang,"
                         "liqoctl offload:garbage,kind create:slow=3,docker:down")
    assert [(r.tool, r.words, r.mode) for r in rules] == [
        ("kind", ("create",), "fail"), ("liqoctl", ("peer",), "fail-once"), ("kubectl", ("apply",), "hang"),
        ("liqoctl", ("offload",), "garbage"), ("kind", ("create",), "slow"), ("docker", (), "down"),
    ]
    assert rules[4].seconds == 3.0
    assert faults.parse("") == [] and faults.parse(None) == []
    for bad in ("kind create", "kind:explode", "helm:fail", "kind:slow=x", "kind:fail=2", "kind:down"):
        with pytest.raises(faults.FaultSyntaxError) as info:
            faults.parse(f"kubectl:fail,{bad}")
        assert info.value.rule == bad


def test_match_words_in_order_among_non_flag_words() -> None:
    rules = faults.parse("kind create cluster:fail")
    assert faults.match(rules, "kind", ["create", "--name", "x", "cluster"]) is not None
    assert faults.match(rules, "kind", ["cluster", "create"]) is None
    assert faults.match(rules, "kind", ["create", "--cluster"]) is None
    assert faults.match(rules, "liqoctl", ["create", "cluster"]) is None
    assert faults.match(faults.parse("kubectl:fail"), "kubectl", ["get", "pods"]) is not None
    assert faults.match(faults.parse("kubectl apply:fail"), "kubectl", ["run", "x", "--", "apply"]) is None


def test_invalid_rules_exit_2_naming_the_rule(play: Play) -> None:
    res = play.run("kind", "get", "clusters", faults="kind get:oops")
    assert res.returncode == 2
    assert res.stderr.decode().count("\n") == 1 and "'kind get:oops'" in res.stderr.decode()
    assert play.run("kubectl", "version", "--client", faults="kubectl:").returncode == 2


def test_fail_changes_nothing_and_uses_the_tool_format(play: Play) -> None:
    res = play.run("kind", "create", "cluster", "--name", "f", faults="kind create:fail")
    assert (res.returncode, res.stdout) == (1, b"")
    assert res.stderr.decode().startswith("ERROR: failed to create cluster: ")
    assert connect(play.simdir) is None
    assert play.run("kind", "get", "clusters").stdout == b""
    other = play.run("kind", "version", faults="kind create:fail")
    assert other.returncode == 0, "a rule only hits the calls it names"
    lq = play.run("liqoctl", "peer", "--remote-kubeconfig", "x", faults="liqoctl peer:fail")
    assert lq.returncode == 1 and lq.stderr.decode().startswith("ERRO: ")
    dk = play.run("docker", "pull", "curlimages/curl", faults="docker pull:fail")
    assert dk.returncode == 1 and dk.stderr.decode().startswith("Error response from daemon: ")


def test_fail_once_then_works(play: Play) -> None:
    rule = "kind create:fail-once"
    first = play.run("kind", "create", "cluster", "--name", "once", faults=rule)
    assert first.returncode == 1 and first.stderr.startswith(b"ERROR: ")
    second = play.run("kind", "create", "cluster", "--name", "once", faults=rule)
    assert second.returncode == 0, second.stderr
    assert play.run("kind", "get", "clusters").stdout == b"once\n"


def test_garbage_and_slow(play: Play) -> None:
    junk = play.run("liqoctl", "offload", "namespace", "x", faults="liqoctl offload:garbage")
    assert junk.returncode == 0 and junk.stdout and not junk.stdout.endswith(b"\n")
    with pytest.raises(UnicodeDecodeError):
        junk.stdout.decode()
    slow = play.run("kind", "version", faults="kind version:slow=0.1")
    assert (slow.returncode, slow.stdout) == (0, b"kind v0.29.0 go1.24.2 linux/amd64\n")


def test_hang_until_killed(play: Play) -> None:
    env = {**play.env, "LIQO_TUTOR_SIM_FAULTS": "kind get:hang"}
    proc = subprocess.Popen(["kind", "get", "clusters"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=1.0)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    assert proc.returncode != 0


def test_kubectl_goes_through_python_only_with_faults(play: Play, kubectl_bin: str) -> None:
    failed = play.run("kubectl", "apply", "-f", "x.yaml", faults="kubectl apply:fail")
    assert failed.returncode == 1
    assert failed.stderr.decode().startswith("Error from server (InternalError): ")
    passed = play.run("kubectl", "version", "--client", "-o", "json", faults="kubectl apply:fail")
    assert passed.returncode == 0 and b"clientVersion" in passed.stdout


def test_docker_down(play: Play) -> None:
    down = "docker:down"
    version = play.run("docker", "version", "--format", "{{.Server.Version}}", faults=down)
    assert (version.returncode, version.stdout, version.stderr.decode()) == (1, b"\n", DOCKER_DOWN + "\n")
    client = play.run("docker", "version", "--format", "{{.Client.Version}}", faults=down)
    assert (client.returncode, client.stdout) == (1, b"28.2.2\n")
    info = play.run("docker", "info", "--format", "{{json .}}", faults=down)
    assert info.returncode == 1 and info.stdout.startswith(b'{"ID":""')
    assert play.run("docker", "ps", faults=down).returncode == 1
    assert play.run("docker", "--version", faults=down).returncode == 0

    created = play.run("kind", "create", "cluster", "--name", "d", faults=down)
    text = created.stderr.decode()
    assert created.returncode == 1 and created.stdout == b""
    assert text.startswith("ERROR: failed to create cluster: failed to get docker info: command "
                           "\"docker info --format '{{json .}}'\" failed with error: exit status 1\n\n"
                           "Command Output: {")
    assert text.endswith(DOCKER_DOWN + "\n")
    listed = play.run("kind", "get", "clusters", faults=down)
    assert listed.returncode == 1 and b"Cannot connect to the Docker daemon" in listed.stderr
    deleted = play.run("kind", "delete", "cluster", "--name", "d", faults=down)
    assert deleted.returncode == 1
    assert deleted.stderr.decode().startswith('Deleting cluster "d" ...\nERROR: failed to delete cluster "d": ')
    assert connect(play.simdir) is None


def test_fail_once_counts_per_simdir(play: Play) -> None:
    rule = "docker pull:fail-once"
    assert play.run("docker", "pull", "curlimages/curl", faults=rule).returncode == 1
    assert play.run("docker", "pull", "curlimages/curl", faults=rule).returncode == 0
    assert json.loads((play.simdir / "faults.json").read_text()) == {rule: 2}

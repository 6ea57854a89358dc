"""The playground daemon: one per simdir, persistence across restarts, exit when unused, the bin shims."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
from liqo_tutor.sim.client import connect, ensure_daemon, pid_alive, stop
from liqo_tutor.sim.store import ClusterSpec


@pytest.fixture
def simdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LIQO_TUTOR_SIM_SPEED", "0")
    sd = tmp_path / "sim"
    try:
        yield sd
    finally:
        stop(sd)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)


def _kind(simdir: Path, home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    ensure_bin(simdir)
    env = {**os.environ, **sim_env(simdir), "HOME": str(home), "KUBECONFIG": str(home / "kc")}
    return subprocess.run(["kind", *argv], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=home)


def test_two_spawns_race_to_one_daemon(simdir: Path) -> None:
    simdir.mkdir(parents=True)
    argv = [sys.executable, "-m", "liqo_tutor.sim.daemon", "--dir", str(simdir)]
    procs = [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    try:
        loser = None
        deadline = time.monotonic() + 15
        while loser is None and time.monotonic() < deadline:
            loser = next((p for p in procs if p.poll() is not None), None)
            time.sleep(0.02)
        assert loser is not None, "one of the two daemons must give up at once"
        assert loser.returncode == 1
        assert "another daemon already serves" in loser.communicate()[1]
        winner = next(p for p in procs if p is not loser)
        control = ensure_daemon(simdir)
        assert control.pid == winner.pid
        # Concurrent clients reuse the one daemon.
        pids: list[int] = []
        threads = [threading.Thread(target=lambda: pids.append(ensure_daemon(simdir).pid)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert pids == [winner.pid] * 4
    finally:
        stop(simdir)
        for p in procs:
            p.wait(timeout=10)
            p.communicate()


def test_ensure_daemon_spawns_once_and_exits_after_last_cluster(simdir: Path) -> None:
    first = ensure_daemon(simdir)
    assert ensure_daemon(simdir).pid == first.pid
    info = json.loads((simdir / "daemon.json").read_text())
    assert info["pid"] == first.pid and info["control_port"] == first.port
    ports = [first.create_cluster(ClusterSpec(name=n, nodes=((f"{n}-control-plane", "control-plane"),)))["port"]
             for n in ("a", "b")]
    assert [c["name"] for c in first.clusters()] == ["a", "b"]
    assert all(_listening(p) for p in ports)
    assert first.delete_cluster("a")["nodes"] == ["a-control-plane"]
    assert first.delete_cluster("a") == {"deleted": False, "nodes": []}
    assert pid_alive(first.pid), "one cluster is left: the daemon stays"
    first.delete_cluster("b")
    assert _wait_gone(first.pid), "the daemon outlived its last cluster"
    assert not any(_listening(p) for p in [*ports, first.port])
    assert not (simdir / "daemon.json").exists()
    assert connect(simdir) is None


def test_restart_keeps_state_and_ports(simdir: Path, tmp_path: Path, kubectl_bin: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert _kind(simdir, home, "create", "cluster", "--name", "keep").returncode == 0
    env = {**os.environ, "HOME": str(home), "KUBECONFIG": str(home / "kc")}
    made = subprocess.run([kubectl_bin, "create", "namespace", "persisted"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert made.stdout == "namespace/persisted created\n", made.stderr
    server = yaml.safe_load((home / "kc").read_text())["clusters"][0]["cluster"]["server"]
    port = int(server.rsplit(":", 1)[1])
    pid = json.loads((simdir / "daemon.json").read_text())["pid"]

    stop(simdir)
    assert not pid_alive(pid) and not _listening(port)
    assert "keep" in json.loads((simdir / "state.json").read_text())["clusters"]

    # kind brings a persisted playground back; the kubeconfig written before stays valid.
    listed = _kind(simdir, home, "get", "clusters")
    assert listed.stdout == "keep\n"
    assert _listening(port)
    got = subprocess.run([kubectl_bin, "get", "namespace", "persisted", "-o", "name"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert got.stdout == "namespace/persisted\n", got.stderr


def test_idle_exit_and_sigterm_save_state(simdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQO_TUTOR_SIM_IDLE", "0.5")
    control = ensure_daemon(simdir)
    control.create_cluster(ClusterSpec(name="idle"))
    assert _wait_gone(control.pid), "an unused daemon must exit after LIQO_TUTOR_SIM_IDLE seconds"
    assert "idle" in json.loads((simdir / "state.json").read_text())["clusters"]
    assert not (simdir / "daemon.json").exists()

    monkeypatch.setenv("LIQO_TUTOR_SIM_IDLE", "3600")
    again = ensure_daemon(simdir)
    assert [c["name"] for c in again.clusters()] == ["idle"]
    os.kill(again.pid, signal.SIGTERM)
    assert _wait_gone(again.pid)
    assert not (simdir / "daemon.json").exists()
    assert "idle" in json.loads((simdir / "state.json").read_text())["clusters"]


def test_ensure_bin_writes_idempotent_shims(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    sd = simdir_for(workdir)
    assert sd == workdir / ".liqo-tutor" / "sim"
    bindir = ensure_bin(sd)
    assert bindir == sd.resolve() / "bin"
    mtimes = {}
    for name in ("kind", "liqoctl", "docker", "kubectl"):
        path = bindir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
        assert path.read_text().startswith("#!/bin/sh\n")
        mtimes[name] = path.stat().st_mtime_ns
    assert "-m liqo_tutor.sim.tools kind \"$@\"" in (bindir / "kind").read_text()
    time.sleep(0.01)
    ensure_bin(sd)
    assert {n: (bindir / n).stat().st_mtime_ns for n in mtimes} == mtimes
    env = sim_env(sd, workdir)
    assert env["PATH"].split(os.pathsep)[0] == str(bindir)
    assert env["LIQO_TUTOR_SIM_DIR"] == str(sd.resolve())


def test_kubectl_shim_execs_the_real_kubectl_or_says_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               kubectl_bin: str) -> None:
    sd = tmp_path / "with"
    bindir = ensure_bin(sd)
    text = (bindir / "kubectl").read_text()
    assert "liqo_tutor.sim" in text and "/kubectl" in text.split("exec ", 1)[1].split()[0]
    env = {**os.environ, **sim_env(sd), "HOME": str(tmp_path)}
    res = subprocess.run(["kubectl", "version", "--client", "-o", "json"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0 and "clientVersion" in json.loads(res.stdout)

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    if (Path(sys.executable).parent / "kubectl").exists():
        pytest.skip("a kubectl sits next to the interpreter")
    bare = ensure_bin(tmp_path / "without")
    res = subprocess.run([str(bare / "kubectl"), "get", "pods"], capture_output=True, text=True, timeout=10,
                         env={"PATH": str(empty)})
    assert res.returncode == 127 and "kubectl: not found" in res.stderr


def _daemon_of(simdir: Path) -> tuple[int, int]:
    info = json.loads((simdir / "daemon.json").read_text())
    return int(info["pid"]), int(info["control_port"])


def test_daemon_stops_when_its_directory_is_deleted(tmp_path: Path, kubectl_bin: str) -> None:
    """rm -rf of a workdir whose playground is up: its daemon goes within 10 s, ports closed."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    simdir = simdir_for(workdir)
    try:
        assert _kind(simdir, workdir, "create", "cluster", "--name", "doomed").returncode == 0
        env = {**os.environ, "HOME": str(workdir), "KUBECONFIG": str(workdir / "kc")}
        nodes = subprocess.run([kubectl_bin, "get", "nodes", "-o", "name"], env=env, capture_output=True,
                               text=True, timeout=60)
        assert nodes.stdout == "node/doomed-control-plane\n", nodes.stderr
        server = yaml.safe_load((workdir / "kc").read_text())["clusters"][0]["cluster"]["server"]
        api_port = int(server.rsplit(":", 1)[1])
        pid, control_port = _daemon_of(simdir)
        assert pid_alive(pid)

        shutil.rmtree(workdir)
        assert _wait_gone(pid, timeout=10), "the daemon outlived its deleted directory"
        assert not _listening(api_port) and not _listening(control_port)
    finally:
        if simdir.exists():
            stop(simdir)


def test_daemon_stops_when_its_directory_is_replaced(tmp_path: Path) -> None:
    """Deleted and made again at the same path (a new scratch dir): the old daemon goes, a new one serves."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    simdir = simdir_for(workdir)
    try:
        assert _kind(simdir, workdir, "create", "cluster", "--name", "first").returncode == 0
        old_pid, _ = _daemon_of(simdir)
        shutil.rmtree(workdir)
        workdir.mkdir()
        assert _wait_gone(old_pid, timeout=10), "the daemon of the deleted directory is still running"
        listed = _kind(simdir, workdir, "get", "clusters")
        assert listed.returncode == 0 and listed.stderr.strip() == "No kind clusters found."
        assert _kind(simdir, workdir, "create", "cluster", "--name", "second").returncode == 0
        new_pid, _ = _daemon_of(simdir)
        assert new_pid != old_pid and pid_alive(new_pid)
    finally:
        stop(simdir)

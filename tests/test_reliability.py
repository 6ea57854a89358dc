"""Resume, idempotency, teardown from partial states, diagnostics, the run lock, default timeouts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from liqo_tutor import loader, verbs
from liqo_tutor.errors import ToolTimeout
from liqo_tutor.lock import Busy, RunLock
from liqo_tutor.results import CommandResult
from liqo_tutor.timeouts import default_timeout
from reliability_helpers import (
    assert_clean,
    failure_line,
    sim_clusters,
    stop_playground,
    teardown_clean,
    tutor,
)

MUTATING = ("kind create", "liqoctl install", "liqoctl peer", "kubectl create namespace", "kubectl apply",
            "liqoctl offload")


@pytest.fixture
def workdir(tmp_path: Path, kubectl_bin: str) -> Iterator[Path]:
    wd = tmp_path / "tutorial"
    wd.mkdir()
    yield wd
    stop_playground(wd)


def commands(out: str) -> list[str]:
    return [line[2:] for line in out.splitlines() if line.startswith("$ ")]


def sim_kind(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LIQO_TUTOR_SIM_DIR=str(workdir / ".liqo-tutor" / "sim"))
    return subprocess.run([sys.executable, "-m", "liqo_tutor.sim.tools", "kind", *args], env=env,
                          capture_output=True, text=True, timeout=60, cwd=workdir)


@pytest.mark.slow
def test_run_twice_then_a_cluster_deleted_by_hand_is_recreated(workdir: Path) -> None:
    first = tutor(workdir, "run", "--simulate")
    assert first.returncode == 0, first.stdout + first.stderr

    again = tutor(workdir, "run", "--simulate")
    assert again.returncode == 0, again.stdout + again.stderr
    for step in ("provision", "peer", "offload"):
        assert f"-> {step}: skipped" in again.stdout and "its checks hold live" in again.stdout
    # consume changes nothing (probe pods): consuming again is its live verification.
    assert "-> consume: skipped" in again.stdout and "verified live by probing again" in again.stdout
    ran = commands(again.stdout)
    assert not [c for c in ran if c.startswith(MUTATING)], ran  # verified, nothing redone
    assert any(c.startswith("kubectl wait") for c in ran)  # ...and verified on the live clusters

    # The state file is a hint, the clusters are the truth.
    assert sim_kind(workdir, "delete", "cluster", "--name", "newyork").returncode == 0
    healed = tutor(workdir, "run", "--simulate")
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert "kind create cluster --name newyork" in healed.stdout
    assert "kind create cluster --name london" not in healed.stdout
    assert sorted(sim_clusters(workdir)) == ["london", "newyork"]
    teardown_clean(workdir)
    again = tutor(workdir, "teardown", "--simulate")  # twice: absence is never an error
    assert again.returncode == 0 and "nothing left behind" in again.stdout


@pytest.mark.slow
def test_teardown_from_partial_states_and_diagnostics(workdir: Path) -> None:
    # Nothing at all.
    teardown_clean(workdir)

    # One cluster: newyork could not be created.
    res = tutor(workdir, "run", "--simulate", faults="kind create newyork:fail")
    assert res.returncode == 1 and "kind create cluster --name newyork" in failure_line(res.stdout)
    assert sim_clusters(workdir) == ["london"]
    teardown_clean(workdir)

    # Liqo half installed: newyork's install fails; the failure is diagnosed on both clusters.
    res = tutor(workdir, "run", "--simulate", faults="liqoctl install newyork:fail")
    assert res.returncode == 1
    m = re.search(r"^\s+diagnostics:\s+(\S+)$", res.stdout, re.M)
    assert m, res.stdout
    folder = workdir / m.group(1)
    assert re.fullmatch(r"provision-\d{8}-\d{6}", folder.name) and folder.parent.name == "diagnostics"
    summary = (folder / "summary.txt").read_text()
    assert "liqoctl install kind --cluster-id newyork" in summary
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.txt"))
    assert {f.split("/")[0] for f in files} == {"summary.txt", "london", "newyork"}
    pods = next(p for p in (folder / "london").iterdir() if "pods-n-liqo" in p.name).read_text()
    assert "kubectl get pods -n liqo -o wide" in pods
    token = yaml.safe_load((workdir / "liqo_kubeconf_london").read_text())["users"][0]["user"]["token"]
    for path in folder.rglob("*.txt"):
        assert token not in path.read_text(), f"secret in {path}"
    teardown_clean(workdir)


@pytest.mark.slow
def test_clusters_it_did_not_create_are_left_alone(workdir: Path) -> None:
    made = sim_kind(workdir, "create", "cluster", "--name", "london", "--kubeconfig", str(workdir / "mine"))
    assert made.returncode == 0, made.stderr
    res = tutor(workdir, "run", "--simulate", "--to", "provision")
    assert res.returncode == 1 and "was not created by liqo-tutor" in res.stdout + res.stderr
    down = tutor(workdir, "teardown", "--simulate")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "london" in sim_clusters(workdir) and "left alone" in down.stdout
    assert sim_kind(workdir, "delete", "cluster", "--name", "london").returncode == 0
    (workdir / "mine").unlink()
    assert_clean(workdir)


def test_teardown_lists_what_it_cannot_remove(tmp_path: Path, kubectl_bin: str) -> None:
    """A kube context of our cluster in the user's kubeconfig is listed, never edited; exit 1."""
    wd = tmp_path / "w"
    (wd / ".liqo-tutor").mkdir(parents=True)
    (wd / ".liqo-tutor" / "state.json").write_text(json.dumps({
        "format": 1, "tutorial": "service-offloading", "clusters_created": ["london"], "steps": {},
        "kubeconfigs": [], "undo": []}))
    home_kc = Path(os.environ["KUBECONFIG"])
    home_kc.parent.mkdir(parents=True, exist_ok=True)
    home_kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "kind-london",
        "clusters": [{"name": "kind-london", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "kind-london", "context": {"cluster": "kind-london", "user": "kind-london"}}],
        "users": [{"name": "kind-london", "user": {"token": "abcdefabcdef"}}]}))
    try:
        res = tutor(wd, "teardown", "--simulate")
        assert res.returncode == 1, res.stdout + res.stderr
        assert "could not remove: context kind-london in" in res.stdout
        assert "kubectl config delete-context kind-london" in res.stdout
        assert "abcdefabcdef" not in res.stdout + res.stderr
        assert "kind-london" in home_kc.read_text()  # listed, not touched
    finally:
        stop_playground(wd)


def test_teardown_sets_a_corrupt_state_file_aside(tmp_path: Path, kubectl_bin: str) -> None:
    wd = tmp_path / "w"
    (wd / ".liqo-tutor").mkdir(parents=True)
    (wd / ".liqo-tutor" / "state.json").write_text("{truncated")
    try:
        res = tutor(wd, "teardown", "--simulate")
        assert res.returncode == 0, res.stdout + res.stderr
        assert "set aside as state.json.corrupt-" in res.stdout
        assert len(list((wd / ".liqo-tutor").glob("state.json.corrupt-*"))) == 1
    finally:
        stop_playground(wd)


def test_run_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with RunLock(tmp_path, "liqo-tutor run"):
        with pytest.raises(Busy) as exc:
            RunLock(tmp_path, "liqo-tutor teardown").acquire()
        assert "already working" in exc.value.message and f"pid {os.getpid()}" in exc.value.message
        assert exc.value.exit_code == 1
    with RunLock(tmp_path, "liqo-tutor run"):  # released: can be taken again
        pass


def test_default_timeouts_per_kind_of_command_and_yaml_override(tmp_path: Path) -> None:
    assert default_timeout("kind create cluster --name {cluster} --wait 5m") == 600
    assert default_timeout("liqoctl install kind {id_flag} {cluster}") == 720  # its --timeout 10m + margin
    assert default_timeout("liqoctl peer --remote-kubeconfig {kubeconfig@newyork}") == 660
    assert default_timeout("liqoctl unpeer out-of-band {provider}") == 180
    assert default_timeout("kubectl apply -f x.yaml") == 120
    assert default_timeout("some-other-tool do") == 120

    src = Path(loader.__file__).parent / "data" / "steps" / "service-offloading.yaml"
    data = yaml.safe_load(src.read_text())
    offload = next(s for s in data["steps"] if s["id"] == "offload")
    for action in offload["actions"]:
        action.pop("timeout", None)
        if "apply" in action.get("run", ""):
            action["timeout"] = "7s"
    steps = tmp_path / "steps"
    steps.mkdir()
    (steps / "service-offloading.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "manifests").symlink_to(src.resolve().parent.parent / "manifests")  # never a silent fallback
    tut = loader.load("service-offloading", steps)
    by_command = {
        verbs.get(a.kind).command(a.spec).split(" {")[0]: a.timeout
        for a in tut.step("offload").actions  # type: ignore[union-attr]
    }
    assert by_command["kubectl apply -f"] == 7  # the YAML wins
    assert by_command["kubectl create namespace"] == 120  # default for kubectl
    assert by_command["liqoctl offload namespace"] == 120  # default for liqoctl offload


def test_timeout_message_names_the_command_and_the_elapsed_time() -> None:
    result = CommandResult(("liqoctl", "peer"), -15, "", "", 0.0, 12.34, "liqoctl peer --kubeconfig kc")
    message = ToolTimeout(result, 10.0).message
    assert message == "`liqoctl peer --kubeconfig kc` did not finish within 10s: stopped after 12.3s"

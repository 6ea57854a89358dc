"""End to end: the real CLI, as subprocesses, through the simulated playground and the real kubectl."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability_helpers import sim_processes

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "liqo_tutor"]
REPO = Path(__file__).resolve().parents[1]


def tutor(
    workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [*CLI, *args],
        cwd=workdir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def workdir(tmp_path: Path, kubectl_bin: str) -> Iterator[Path]:
    wd = tmp_path / "tutorial"
    wd.mkdir()
    yield wd
    # Never leave a playground behind, whatever the test did.
    subprocess.run(
        [*CLI, "teardown", "--simulate"], cwd=wd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    from liqo_tutor.sim.client import stop

    stop(wd / ".liqo-tutor" / "sim")


def assert_clean(workdir: Path) -> None:
    assert not list(workdir.glob("liqo_kubeconf_*")), "kubeconfig files left behind"
    assert sim_processes(workdir) == [], "playground processes left behind"


def test_full_tutorial_then_status_teardown_and_step_order(workdir: Path) -> None:
    run = tutor(workdir, "run", "service-offloading", "--simulate")
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    for step in ("provision", "peer", "offload", "consume"):
        assert step in out.lower()
    # The commands are shown as a person types them, and the tutorial's claims are verified.
    assert "kind create cluster --name london" in out
    assert "liqoctl peer --remote-kubeconfig" in out
    assert "--gw-server-service-type NodePort" in out
    assert "liqoctl offload namespace liqo-demo" in out
    assert "No resources found in liqo-demo namespace." in out or "no pod" in out.lower()

    status = tutor(workdir, "status", "--simulate", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert {k: data["steps"][k] for k in ("provision", "peer", "offload", "consume")} == dict.fromkeys(
        ("provision", "peer", "offload", "consume"), "done"
    )
    assert sorted((c["name"], c["exists"]) for c in data["clusters"]) == [("london", True), ("newyork", True)]

    # The playground answers the very commands the tutorial prints.
    env = dict(os.environ)
    for line in tutor(workdir, "env", "--simulate").stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = subprocess.run(
                ["sh", "-c", f"printf %s {value}"], capture_output=True, text=True
            ).stdout
    svc = subprocess.run(
        ["kubectl", "get", "services", "-n", "liqo-demo", "--kubeconfig", env["KUBECONFIG_NEWYORK"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert svc.returncode == 0 and "flights-service" in svc.stdout, svc.stderr
    pods = subprocess.run(
        ["kubectl", "get", "pods", "-n", "liqo-demo", "--kubeconfig", env["KUBECONFIG_NEWYORK"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pods.stdout == "" and pods.stderr.strip() == "No resources found in liqo-demo namespace."

    down = tutor(workdir, "teardown", "--simulate")
    assert down.returncode == 0, down.stdout + down.stderr
    assert_clean(workdir)

    peer = tutor(workdir, "step", "peer", "--simulate")
    assert peer.returncode == 1
    assert "provision" in peer.stdout + peer.stderr
    assert "Traceback" not in peer.stdout + peer.stderr


def test_steps_one_by_one(workdir: Path) -> None:
    for step in ("provision", "peer", "offload", "consume"):
        res = tutor(workdir, "step", step, "--simulate")
        assert res.returncode == 0, f"step {step}: {res.stdout}{res.stderr}"
    again = tutor(workdir, "run", "--simulate")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "skipped" in again.stdout.lower()


def test_wrong_namespace_in_yaml_fails_at_the_check(workdir: Path, tmp_path: Path) -> None:
    steps = tmp_path / "steps"
    shutil.copytree(REPO / "steps", steps)
    tutorial = steps / "service-offloading.yaml"
    text = tutorial.read_text()
    # The deliberate mistake: the app goes to another namespace than the one offloaded.
    marker = "apply -f {manifests}/app.yaml -n {namespace}"
    assert marker in text, "the tutorial no longer applies the app with this command; update the test"
    tutorial.write_text(text.replace(marker, "apply -f {manifests}/app.yaml -n default"))
    res = tutor(workdir, "run", "--simulate", "--steps-dir", str(steps))
    assert res.returncode == 1, res.stdout + res.stderr
    combined = res.stdout + res.stderr
    assert "Traceback" not in combined
    assert "offload" in combined.lower()

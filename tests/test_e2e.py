"""End to end: the real CLI, as subprocesses, through the simulated playground and the real kubectl."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import lines_cli
from reliability_helpers import steps_copy

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


@dataclass
class Stepped:
    workdir: Path
    env: dict[str, str]
    steps: dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def stepped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stepped]:
    """provision, peer and offload as three `step` commands in one workdir, shared (in file order) by
    test_steps_one_by_one and test_terminal_run_shows_no_poll_lines_and_verbose_does: one playground
    brought up to the consume step serves both."""
    lines_cli.require_kubectl()
    wd = tmp_path_factory.mktemp("stepped") / "tutorial"
    wd.mkdir()
    env = lines_cli.hermetic_env(tmp_path_factory.mktemp("home"), "")
    env.pop("LIQO_TUTOR_SIM_LIQO_VERSION")  # the default line, as the function-scoped tests have it
    steps: dict[str, subprocess.CompletedProcess[str]] = {}
    try:
        for step in ("provision", "peer", "offload"):
            steps[step] = lines_cli.tutor(wd, env, "step", step, "--simulate")
            if steps[step].returncode != 0:
                break
        yield Stepped(wd, env, steps)
    finally:
        lines_cli.cleanup(wd, env)


def _offloaded(stepped: Stepped) -> Path:
    """The shared workdir, its steps up to offload done one by one."""
    for step in ("provision", "peer", "offload"):
        res = stepped.steps.get(step)
        assert res is not None, f"step {step} did not run (an earlier one failed)"
        assert res.returncode == 0, f"step {step}: {res.stdout}{res.stderr}"
    return stepped.workdir


def test_steps_one_by_one(stepped: Stepped) -> None:
    workdir = _offloaded(stepped)
    res = lines_cli.tutor(workdir, stepped.env, "step", "consume", "--simulate")
    assert res.returncode == 0, f"step consume: {res.stdout}{res.stderr}"
    again = lines_cli.tutor(workdir, stepped.env, "run", "--simulate")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "skipped" in again.stdout.lower()


def test_wrong_namespace_in_yaml_fails_at_the_check(workdir: Path, tmp_path: Path) -> None:
    steps = tmp_path / "steps"
    shutil.copytree(REPO / "steps", steps)
    (tmp_path / "manifests").symlink_to(REPO / "manifests")  # a tutorial's manifests sit next to its steps
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


# -- every claim of the tutorial fails when the tutorial is wrong (issue 10) --------------------


def _step(data: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["id"] == step_id)


def test_skipping_uninstall_fails_at_the_uninstall_claim(workdir: Path, tmp_path: Path) -> None:
    """A copy whose uninstall step runs no `liqoctl uninstall`: Liqo's Deployments stay, and the claim
    "uninstall removes Liqo" fails (liqoctl's uninstall removes the Helm release, pkg/liqoctl/uninstall/
    handler.go; without --purge the CRDs and the liqo namespace stay). Also `make demo`'s start:
    `run --restart` in a fresh directory says once that there is nothing to tear down."""

    def edit(data: dict[str, Any]) -> None:
        _step(data, "uninstall")["actions"] = []

    steps = steps_copy(tmp_path / "wrong", edit)
    res = tutor(workdir, "run", "--restart", "--teardown", "--simulate", "--steps-dir", str(steps),
                "--timeout-scale", "0.05")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert out.count("nothing to tear down") == 1 and out.count("# Offloading a Service") == 1, out
    assert "not the case that" not in out.split("== provision")[0], out
    assert "✗ Liqo is uninstalled from london (no Deployment left in liqo)" in out, out
    assert "-> uninstall: failed" in out and "-> unpeer: passed" in out
    assert "Traceback" not in out + res.stderr


def test_service_on_another_port_fails_at_the_7999_claim(workdir: Path, tmp_path: Path) -> None:
    """A copy of manifests/app.yaml whose Service listens on 8000: the Service reflected in newyork
    shows 8000/TCP in kubectl's PORT(S) column (printers.go's service row), not the tutorial's 7999/TCP."""
    steps = steps_copy(tmp_path / "wrong")
    app = tmp_path / "wrong" / "manifests" / "app.yaml"
    text = app.read_text()
    assert "    - port: 7999\n" in text, "manifests/app.yaml changed shape; update the test"
    app.write_text(text.replace("    - port: 7999\n", "    - port: 8000\n"))
    res = tutor(workdir, "run", "--to", "offload", "--simulate", "--steps-dir", str(steps),
                "--timeout-scale", "0.05")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "✓ before offloading, newyork does not see the application" in out
    assert "✗ the Service now exists in newyork" in out, out
    assert "PORT(S) 8000/TCP" in out, out


# -- what a terminal shows: the commands to type and the claims, not the polling (issue 10) -----


def _terminal(workdir: Path, base: dict[str, str], *args: str, speed: str) -> str:
    """The CLI under a pseudo-terminal (rich's live reporter), its output without ANSI sequences."""
    import pexpect

    env = dict(base, LIQO_TUTOR_SIM_SPEED=speed, TERM="xterm-256color", COLUMNS="400")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(CLI[0], [*CLI[1:], *args], cwd=str(workdir), env=env, encoding="utf-8",
                          dimensions=(50, 400), timeout=180)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before or "")


def test_terminal_run_shows_no_poll_lines_and_verbose_does(stepped: Stepped) -> None:
    """The consume step in a terminal: the `kubectl run ... --rm -i` one-liner and the claims; the pod's
    status polls, log reads and deletion appear only with --verbose. (The playground is the one
    test_steps_one_by_one brought up step by step; consume runs again here.)"""
    workdir = _offloaded(stepped)
    quiet = _terminal(workdir, stepped.env, "step", "consume", "--simulate", speed="1")
    assert re.search(r"\$ kubectl run consumer-\w+ --rm -i --restart=Never --image curlimages/curl "
                     r"--kubeconfig liqo_kubeconf_newyork -- curl ", quiet), quiet
    assert "✓ both responses come from one backend" in quiet
    for plumbing in ("kubectl wait pod/consumer-", "kubectl get pod consumer-", "kubectl logs", "kubectl delete pod"):
        assert plumbing not in quiet, quiet
    # Slower pods (speed 6: about 5 s from creation to the end of curl): waited for in several slices.
    loud = _terminal(workdir, stepped.env, "step", "consume", "--simulate", "--verbose", speed="6")
    polls = re.findall(r"\$ kubectl (?:wait pod/|get pod )(consumer-\w+) -n default", loud)
    assert polls and max(polls.count(p) for p in set(polls)) >= 2, loud  # one pod asked repeatedly
    assert "kubectl logs consumer-" in loud and "kubectl delete pod consumer-" in loud
    # The transcript records every command, shown or not.
    transcript = (workdir / ".liqo-tutor" / "transcript.jsonl").read_text()
    assert "jsonpath={.status.phase}" in transcript

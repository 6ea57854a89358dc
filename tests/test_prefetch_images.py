"""prefetch-images (verbs/prefetch_images.py): behind the steps, each cluster's worker node pulls the images its
pods run later, with the commands a person types on kind (`docker exec NODE crictl pull IMAGE`, as kind's
nodes carry crictl); the lesson does not show it, --sequential and your own clusters go without it, and the
run ends it. That a pod then starts without a pull is the playground's part (tests/test_sim_docker_exec.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from liqo_tutor.sim.client import stop
from reliability_helpers import CLI, REPO, sim_processes, steps_copy, tutor


def _pulls(workdir: Path) -> list[dict[str, Any]]:
    entries = [json.loads(x) for x in (workdir / ".liqo-tutor" / "transcript.jsonl").read_text().splitlines()]
    return [e for e in entries if e["argv"][:2] == ["docker", "exec"] and "crictl" in e["argv"]]


def _node_images(workdir: Path, cluster: str, node: str) -> str:
    res = subprocess.run(
        ["kubectl", "get", "node", node, "-o", "jsonpath={.status.images[*].names}",
         "--kubeconfig", str(workdir / f"liqo_kubeconf_{cluster}")],
        env={**os.environ, "PATH": f"{workdir / '.liqo-tutor' / 'sim' / 'bin'}:{os.environ['PATH']}"},
        capture_output=True, text=True, timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def _clean(workdir: Path) -> None:
    tutor(workdir, "teardown", "--simulate", timeout=240)
    stop(workdir / ".liqo-tutor" / "sim")
    assert not [p for p in sim_processes(workdir) if "crictl" in p]


def test_the_lesson_and_the_plan_leave_it_out(tmp_path: Path) -> None:
    shown = tutor(tmp_path, "show", "--line", "v1", "--json")
    assert shown.returncode == 0, shown.stderr
    dry = tutor(tmp_path, "run", "--simulate", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "crictl" not in shown.stdout + dry.stdout
    assert "liqo/flights-service" in (REPO / "steps" / "service-offloading.yaml").read_text()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda a: a.pop("nodes"), "nodes"),
        (lambda a: a.update(images="{app_image} {nope}"), "images: undefined variable {nope}"),
        (lambda a: a.update({"prefetch-images": "docker exec {node} crictl pull {imag}"}), "undefined variable {imag}"),
    ],
    ids=["no-nodes", "unknown-variable-in-images", "unknown-variable-in-the-command"],
)
def test_its_keys_are_checked_when_the_file_is_loaded(tmp_path: Path, edit: Any, expected: str) -> None:
    def change(data: dict[str, Any]) -> None:
        provision = next(s for s in data["steps"] if s["id"] == "provision")
        edit(next(a for a in provision["actions"] if "prefetch-images" in a))

    steps = steps_copy(tmp_path, change)
    res = tutor(tmp_path, "validate", str(steps / "service-offloading.yaml"))
    assert res.returncode == 2, res.stdout + res.stderr
    message = res.stdout + res.stderr
    assert "service-offloading.yaml:" in message and "steps[provision].actions[" in message, message
    assert expected in message, message


def test_each_worker_pulls_the_images_its_cluster_runs_behind_the_steps(tmp_path: Path, kubectl_bin: str) -> None:
    try:
        res = tutor(tmp_path, "run", "--simulate", "--to", "consume", timeout=240)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "crictl" not in res.stdout  # plumbing: only with --verbose
        pulls = _pulls(tmp_path)
        assert sorted((e["argv"][2], e["argv"][-1]) for e in pulls) == [
            ("london-worker", "curlimages/curl"),
            ("london-worker", "liqo/flights-service"),
            ("newyork-worker", "curlimages/curl"),
        ]
        assert all(e["exit_code"] == 0 for e in pulls), pulls
        # The real kubectl's view: the images are on the workers that run the pods, not elsewhere.
        assert "liqo/flights-service" in _node_images(tmp_path, "london", "london-worker")
        assert "curlimages/curl" in _node_images(tmp_path, "newyork", "newyork-worker")
        assert "liqo/flights-service" not in _node_images(tmp_path, "newyork", "newyork-worker")
        assert "curlimages/curl" not in _node_images(tmp_path, "london", "london-control-plane")
    finally:
        _clean(tmp_path)


def test_sequential_runs_the_upstream_order_only(tmp_path: Path, kubectl_bin: str) -> None:
    try:
        res = tutor(tmp_path, "run", "--simulate", "--to", "provision", "--sequential", timeout=240)
        assert res.returncode == 0, res.stdout + res.stderr
        assert _pulls(tmp_path) == []
    finally:
        _clean(tmp_path)


def test_a_pull_that_fails_or_hangs_does_not_fail_the_run_which_ends_it(tmp_path: Path, kubectl_bin: str) -> None:
    """`hang`: the pulls are still running when the run's last step ends; the run stops them (no process
    left) and passes. `fail` on the app image: left to the kubelet, the app still starts."""
    try:
        env = dict(os.environ, LIQO_TUTOR_SIM_FAULTS="docker crictl curlimages/curl:hang,"
                                                       "docker crictl liqo/flights-service:fail")
        res = subprocess.run([*CLI, "run", "--simulate", "--to", "offload"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stdout + res.stderr
        assert not [p for p in sim_processes(tmp_path) if "crictl" in p]
        ends = {e["argv"][-1]: e["exit_code"] for e in _pulls(tmp_path)}
        assert ends["liqo/flights-service"] == 1
        assert ends["curlimages/curl"] != 0  # stopped by the end of the run
    finally:
        _clean(tmp_path)


@pytest.mark.slow
def test_ctrl_c_stops_the_pulls_too(tmp_path: Path, kubectl_bin: str) -> None:
    env = dict(os.environ, LIQO_TUTOR_SIM_FAULTS="docker crictl:hang,liqoctl peer:slow=60")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # see tests/test_interrupts.py
    try:
        proc = subprocess.Popen([*CLI, "run", "--simulate", "--verbose", "--to", "peer"], cwd=tmp_path, env=env,
                                text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        seen, pulls, peering = "", 0, False
        assert proc.stdout is not None
        for line in proc.stdout:
            seen += line
            pulls += "$ docker exec" in line and "crictl pull" in line
            peering = peering or line.startswith("$ liqoctl peer")
            if peering and pulls >= 2:
                break
        assert peering and pulls >= 2, seen
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 130, seen + rest
        assert not [p for p in sim_processes(tmp_path) if "crictl" in p]
    finally:
        if proc.poll() is None:
            proc.kill()
        _clean(tmp_path)

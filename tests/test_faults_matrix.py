"""Every command the tutorial types x {fails, hangs, prints garbage}, in the simulated playground.

Each faulty run exits 1, names the failing command in its failure panel and shows no traceback; a
following `teardown` leaves the playground empty (no cluster, no process, no kubeconfig file). Per step
one workdir: the earlier steps are set up once (`run --to`), the faults of that step's commands follow
one another (an injected fault changes nothing in the playground), then teardown; the four steps run
in parallel. Hangs rely on the per-action YAML override: a copy of the tutorial gives the step's
commands a short `timeout:` (and drops the diagnostics and the pauses between retries, for speed).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from reliability_helpers import (
    failure_line,
    status_steps,
    steps_copy,
    stop_playground,
    teardown_clean,
    tutor,
    with_timeout,
)

pytestmark = pytest.mark.slow

# step -> (words of the fault rule, what the failure message must name), in the tutorial's order.
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "provision": [("kind create", "kind create cluster --name"), ("liqoctl install", "liqoctl install kind")],
    "peer": [("liqoctl peer", "liqoctl peer --remote-kubeconfig")],
    "offload": [
        ("kubectl create namespace", "kubectl create namespace liqo-demo"),
        ("kubectl apply", "kubectl apply -f"),
        ("liqoctl offload", "liqoctl offload namespace liqo-demo"),
    ],
    "consume": [("kubectl run", "kubectl run consumer-")],
}
BEFORE = {"provision": None, "peer": "provision", "offload": "peer", "consume": "offload"}
MODES = ("fail", "garbage", "hang")


def _short_timeouts(step: str, timeout: str) -> Callable[[dict[str, Any]], None]:
    edits = [with_timeout(words, timeout) for words, _ in COMMANDS[step]]

    def edit(data: dict[str, Any]) -> None:
        for e in edits:
            e(data)

    return edit


def _group(workdir: Path, tmp: Path, step: str) -> list[str]:
    """All faults of one step's commands in one workdir, then teardown; returns what went wrong."""
    problems: list[str] = []
    # One copy for the whole group (a changed tutorial would redo the earlier steps): the step's
    # commands get a short timeout, still ample for them to work when not faulted.
    timeout = "8s" if step == "provision" else "3s"
    steps = steps_copy(tmp, _short_timeouts(step, timeout))
    before = BEFORE[step]
    if before is not None:
        setup = tutor(workdir, "run", "--simulate", "--steps-dir", str(steps), "--to", before)
        if setup.returncode != 0:
            return [f"{step}: setup failed\n{setup.stdout}{setup.stderr}"]
    for words, named in COMMANDS[step]:
        for mode in MODES:
            res = tutor(workdir, "run", "--simulate", "--steps-dir", str(steps), faults=f"{words}:{mode}")
            out = res.stdout + res.stderr
            failed = failure_line(res.stdout)
            expect = {"fail": "exited 1", "garbage": "unreadable output",
                      "hang": f"did not finish within {timeout}: stopped after"}[mode]
            checks = [
                (res.returncode == 1, f"exit code {res.returncode}"),
                ("Traceback" not in out, "a traceback"),
                (named in failed, f"the failure does not name `{named}`: {failed!r}"),
                (expect in failed, f"expected {expect!r} in {failed!r}"),
                (f"-> {step}: " in res.stdout, "another step failed"),
                # the earlier steps were verified live and skipped, not redone
                (before is None or f"-> {before}: skipped" in res.stdout, f"{before} was not skipped"),
            ]
            problems += [f"{words}:{mode}: {why}\n{out}" for ok, why in checks if not ok]
    if step == "offload":
        # A transient failure is absorbed by the YAML's retries of `liqoctl offload`.
        res = tutor(workdir, "run", "--simulate", "--steps-dir", str(steps), "--to", "offload",
                    faults="liqoctl offload:fail-once")
        if res.returncode != 0 or "retry 1 of 2" not in res.stdout:
            problems.append(f"liqoctl offload:fail-once was not retried\n{res.stdout}{res.stderr}")
    elif status_steps(workdir).get(step) != "failed":
        problems.append(f"{step} not recorded as failed")
    try:
        teardown_clean(workdir)
    except AssertionError as exc:
        problems.append(f"{step}: teardown did not leave the playground empty: {exc}")
    return problems


def test_every_command_fails_hangs_or_prints_garbage(tmp_path: Path, kubectl_bin: str) -> None:
    # The four steps in parallel, each in its own workdir and playground (mostly waiting: 2 cores do).
    dirs = {step: tmp_path / step / "tutorial" for step in COMMANDS}
    for wd in dirs.values():
        wd.mkdir(parents=True)
    try:
        with ThreadPoolExecutor(max_workers=len(dirs)) as pool:
            futures = {step: pool.submit(_group, wd, wd.parent / "tut", step) for step, wd in dirs.items()}
            problems = [p for fut in futures.values() for p in fut.result()]
    finally:
        for wd in dirs.values():
            stop_playground(wd)
    assert not problems, "\n\n".join(problems)


def test_docker_down_stops_before_creating_anything(tmp_path: Path, kubectl_bin: str) -> None:
    wd = tmp_path / "tutorial"
    wd.mkdir()
    try:
        res = tutor(wd, "run", "--simulate", faults="docker:down")
        assert res.returncode == 1 and "Traceback" not in res.stdout + res.stderr
        assert "kind create" not in res.stdout
        assert "docker" in (res.stdout + res.stderr).lower()
        teardown_clean(wd)
    finally:
        stop_playground(wd)

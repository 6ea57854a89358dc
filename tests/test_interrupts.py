"""Ctrl-C / SIGTERM at several points of a simulated run: exit 130, then `run` resumes and completes.

One workdir walks forward: each point is reached by a run that also resumes the previous interruption.
A `slow=` fault parks the run on a known command, so the signal arrives at a known point (no timing).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability_helpers import CLI, stop_playground, teardown_clean, tutor

pytestmark = pytest.mark.slow


@pytest.fixture
def workdir(tmp_path: Path, kubectl_bin: str) -> Iterator[Path]:
    wd = tmp_path / "tutorial"
    wd.mkdir()
    yield wd
    stop_playground(wd)


class Run:
    """A `liqo-tutor run` in the background; a thread collects its stdout line by line."""

    def __init__(self, workdir: Path, faults: str, *args: str) -> None:
        # PYTHONFAULTHANDLER: a run that does not end is asked for every thread's stack (SIGABRT).
        env = dict(os.environ, LIQO_TUTOR_SIM_FAULTS=faults, PYTHONFAULTHANDLER="1")
        # A run started from a background job (`cmd &` in a script, as a CI step may be) inherits SIGINT
        # ignored, and an ignored signal stays ignored across exec: Ctrl-C could not reach it. A caught
        # one is reset to the default there, so the run gets Python's handler as from a terminal.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            self.proc = subprocess.Popen([*CLI, "run", "--simulate", *args], cwd=workdir, env=env, text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL)
        finally:
            signal.signal(signal.SIGINT, previous)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, marker: str, limit: float = 120.0) -> str:
        """Until a line contains `marker` (the run is then parked on that command)."""
        deadline = time.monotonic() + limit
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.proc.kill()
                raise AssertionError(f"never saw {marker!r}:\n{self.seen}")
            self.seen += line
            if marker in line:
                return self.seen

    def rest(self) -> str:
        while (line := self.lines.get(timeout=30)) is not None:
            self.seen += line
        return self.seen


def interrupt(run: Run, sig: int = signal.SIGINT, twice: bool = False) -> str:
    time.sleep(0.3)  # the parked command has started
    run.proc.send_signal(sig)
    if twice:
        time.sleep(0.05)
        run.proc.send_signal(sig)  # during the cleanup: must still end as an interruption
    try:
        run.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        run.proc.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack to stderr
        try:
            run.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            run.proc.kill()  # never leave it behind
            run.proc.wait()
        assert run.proc.stderr is not None
        stacks = run.proc.stderr.read()[-12000:]
        raise AssertionError(f"still running 30 s after the signal:\n{run.rest()}\n{stacks}") from None
    assert run.proc.stderr is not None
    out, err = run.rest(), run.proc.stderr.read()
    assert run.proc.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert "resume with `liqo-tutor run`" in err and "liqo-tutor teardown" in err
    return out + err


def state(workdir: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((workdir / ".liqo-tutor" / "state.json").read_text())
    return data


def test_interrupt_at_several_points_then_resume_and_teardown(workdir: Path) -> None:
    # 1. Ctrl-C while both clusters are being created (parallel chains stop at once).
    run = Run(workdir, "kind create:slow=60")
    run.wait_for("$ kind create cluster")
    # One run at a time: a second run in the same workdir stops at once.
    second = tutor(workdir, "run", "--simulate")
    assert second.returncode == 1 and "another liqo-tutor is already working" in second.stderr
    interrupt(run)
    # The slow creates were stopped, not awaited: each ended by the signal (the transcript keeps them).
    transcript = workdir / ".liqo-tutor" / "transcript.jsonl"
    creates = [e for e in map(json.loads, transcript.read_text().splitlines()) if "kind create" in e["display"]]
    assert len(creates) == 2 and all(e["exit_code"] != 0 for e in creates), creates
    assert sorted(state(workdir)["clusters_created"]) == ["london", "newyork"]  # type: ignore[call-overload]

    # 2. SIGTERM during peering; this run resumed provisioning first.
    run = Run(workdir, "liqoctl peer:slow=60")
    out = run.wait_for("$ liqoctl peer")
    assert "-> provision: passed" in out
    interrupt(run, signal.SIGTERM)
    steps = state(workdir)["steps"]
    assert steps["provision"] == "done" and steps.get("peer") != "done"  # type: ignore[index,union-attr]

    # 3. Ctrl-C twice while a consumer pod's logs are read: the pod is left behind, but recorded.
    run = Run(workdir, "kubectl logs:slow=60", "--verbose")  # reading logs is shown with --verbose
    out = run.wait_for("$ kubectl logs consumer-")
    assert "-> peer: passed" in out and "-> offload: passed" in out
    interrupt(run, twice=True)
    pods = [u for u in state(workdir)["undo"] if u["what"] == "pod"]  # type: ignore[attr-defined]
    assert pods, "the consumer pod was not recorded for teardown"

    # 4. A plain run resumes: the finished steps are verified live and skipped, the rest completes.
    done = tutor(workdir, "run", "--simulate")
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("provision", "peer", "offload"):
        assert f"-> {step}: skipped" in done.stdout
    assert "-> consume: passed" in done.stdout

    # 5. Teardown deletes the stale pod first, then everything; nothing is left.
    down = teardown_clean(workdir)
    stale = pods[0]["name"]
    assert f"kubectl delete pod {stale}" in down.stdout
    assert [u for u in state(workdir)["undo"] if u["what"] == "pod"] == []  # type: ignore[attr-defined]

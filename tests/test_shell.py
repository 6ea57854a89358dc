"""shell.ClusterShell: one way to run a command on a cluster; its events reach one observer (no global).

Exercised for real with tests/fakebin/fake-tool, installed as `kubectl` too (it prints its argv), so the
kubeconfig that the shell adds is what the child really received.
"""

from __future__ import annotations

import json
import shutil
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liqo_tutor import secrets, timeouts
from liqo_tutor.engine.observe import ReporterObserver
from liqo_tutor.errors import ToolFailed
from liqo_tutor.results import CheckResult, CommandResult, RunResult, StepResult
from liqo_tutor.shell import ClusterShell, CommandEvent, quiet
from liqo_tutor.tools import runner
from liqo_tutor.transcript import Transcript

FAKEBIN = Path(__file__).parent / "fakebin"


@dataclass(frozen=True)
class Cluster:
    kubeconfig: Path
    context: str | None = None


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("fake-tool", "kubectl"):
        tool = bindir / name
        shutil.copy(FAKEBIN / "fake-tool", tool)
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return {"PATH": f"{bindir}:/usr/bin:/bin", "LANG": "C.UTF-8"}


@pytest.fixture(autouse=True)
def _clean_runner() -> Iterator[None]:
    runner.reset()
    yield
    runner.reset()


def _shell(env: dict[str, str], tmp_path: Path, seen: list[CommandEvent], **kw: object) -> ClusterShell:
    clusters = {"london": Cluster(tmp_path / "kc_london"), "newyork": Cluster(tmp_path / "kc_ny", "ctx-ny")}
    return ClusterShell(env=env, workdir=tmp_path, clusters=clusters, observer=seen.append, **kw)  # type: ignore[arg-type]


def test_the_cluster_gets_its_kubeconfig_and_the_events_carry_it(env: dict[str, str], tmp_path: Path) -> None:
    seen: list[CommandEvent] = []
    shell = _shell(env, tmp_path, seen)
    res = shell.run(["kubectl", "echo", "get", "pods"], cluster="newyork")
    assert res.stdout.splitlines() == ["get", "pods", "--kubeconfig", str(tmp_path / "kc_ny"), "--context", "ctx-ny"]
    assert res.cluster == "newyork"
    assert [(e.cluster, e.result is None, e.visibility) for e in seen] == [
        ("newyork", True, "shown"), ("newyork", False, "shown")]
    assert seen[0].display == seen[1].display == res.display
    host = shell.run(["kubectl", "echo", "version"])  # on the host: no cluster, no kubeconfig
    assert host.stdout.splitlines() == ["version"] and seen[-1].cluster is None


def test_plumbing_and_hidden_commands_are_marked(env: dict[str, str], tmp_path: Path) -> None:
    seen: list[CommandEvent] = []
    shell = _shell(env, tmp_path, seen)
    with quiet():
        shell.run(["fake-tool", "echo", "poll"], cluster="london")
    shell.run(["fake-tool", "echo", "probe"], visibility="plumbing")
    shell.hidden().run(["fake-tool", "echo", "snapshot"], cluster="london", visibility="shown")
    shell.run(["fake-tool", "echo", "typed"])
    assert [e.visibility for e in seen if e.result is not None] == ["plumbing", "plumbing", "hidden", "shown"]


def test_observers_are_per_shell_not_global(env: dict[str, str], tmp_path: Path) -> None:
    """Two shells in two threads: each observer hears its own commands only (nothing process-wide)."""
    a: list[CommandEvent] = []
    b: list[CommandEvent] = []
    shells = {"a": _shell(env, tmp_path, a), "b": _shell(env, tmp_path, b)}
    threads = [threading.Thread(target=shells[k].run, args=(["fake-tool", "echo", k],)) for k in ("a", "b") * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {e.display for e in a} == {"fake-tool echo a"} and len(a) == 6
    assert {e.display for e in b} == {"fake-tool echo b"} and len(b) == 6
    runner.run(["fake-tool", "echo", "bare"], env=env, timeout=10)  # the runner alone tells nobody
    assert len(a) == len(b) == 6


def test_a_failed_command_is_told_then_raised(env: dict[str, str], tmp_path: Path) -> None:
    seen: list[CommandEvent] = []
    shell = _shell(env, tmp_path, seen)
    with pytest.raises(ToolFailed):
        shell.run(["fake-tool", "echo", "x"], cluster="london", ok_codes=(5,))
    assert seen[-1].result is not None and seen[-1].result.exit_code == 0 and seen[-1].cluster == "london"


def test_default_timeouts_come_from_timeouts_py_scaled(env: dict[str, str], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[float] = []
    real = runner.run

    def spy(argv: list[str], **kw: object) -> CommandResult:
        asked.append(float(kw["timeout"]))  # type: ignore[arg-type]
        return real(argv, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "run", spy)
    shell = _shell(env, tmp_path, [], timeout_scale=2.0)
    shell.run(["kubectl", "echo", "delete", "pod", "x"], cluster="london")
    shell.run(["fake-tool", "echo", "y"], timeout=3.0)
    assert asked == [2.0 * timeouts.default_timeout_argv(["kubectl", "delete", "pod", "x"]), 3.0]
    assert timeouts.default_timeout_argv(["/usr/bin/kind", "get", "clusters"]) == timeouts.default_timeout("kind get clusters")


class _Screen:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None: ...
    def step_started(self, step_id: str, title: str, explain: str) -> None: ...
    def command_started(self, display: str, cluster: str | None) -> None:
        self.lines.append(f"start {display} [{cluster}]")
    def command_finished(self, result: CommandResult) -> None:
        self.lines.append(f"end {result.display} [{result.cluster}]")
    def check_finished(self, step_id: str, check: CheckResult) -> None: ...
    def output_shown(self, step_id: str, label: str, text: str) -> None: ...
    def note(self, text: str) -> None: ...
    def step_finished(self, result: StepResult) -> None: ...
    def run_finished(self, result: RunResult) -> None: ...


@pytest.mark.parametrize("verbose", [False, True])
def test_the_engine_observer_screens_and_records(env: dict[str, str], tmp_path: Path, verbose: bool) -> None:
    """Every real command reaches the transcript (masked); the screen gets the tutorial's commands,
    the plumbing with --verbose only, hidden ones never, announced one-liners but not in the transcript."""
    screen = _Screen()
    path = tmp_path / "t" / "transcript.jsonl"
    observer = ReporterObserver(screen, verbose=verbose, transcript=Transcript(path))
    shell = ClusterShell(env=env, workdir=tmp_path, clusters={}, observer=observer)
    secrets.register("registered-secret-42")
    shell.run(["fake-tool", "token", "--auth-token", "abcdef0123"])
    with quiet():
        shell.run(["fake-tool", "echo", "registered-secret-42"])
    shell.hidden().run(["fake-tool", "echo", "hidden"])
    shell.announce("kubectl run probe --rm -i", None)
    shell.announce_finished(CommandResult(("kubectl",), 0, "", "", 0.0, 0.1, "kubectl run probe --rm -i"))
    expected = ["start fake-tool token --auth-token '***' [None]", "end fake-tool token --auth-token '***' [None]"]
    if verbose:
        expected += ["start fake-tool echo '***' [None]", "end fake-tool echo '***' [None]"]
    expected += ["start kubectl run probe --rm -i [None]", "end kubectl run probe --rm -i [None]"]
    assert screen.lines == expected
    text = path.read_text()
    for secret in ("6a1fdeadbeefcafe", "s3cr3t-t0ken-value", "abcdef0123", "registered-secret-42"):
        assert secret not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert [e["argv"][:2] for e in entries] == [["fake-tool", "token"], ["fake-tool", "echo"], ["fake-tool", "echo"]]
    assert entries[0]["argv"] == ["fake-tool", "token", "--auth-token", "***"]
    assert "--auth-token ***" in entries[0]["stdout"] and entries[1]["stdout"] == "***\n"

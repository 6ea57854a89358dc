"""Learner mode driven through a real terminal (pexpect): Enter runs, s skips where safe, q quits, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqo_tutor.learner import interpret
from liqo_tutor.sim.client import stop

pexpect = pytest.importorskip("pexpect")
PROMPT = r"\[q\] quit > "


@pytest.fixture
def workdir(tmp_path: Path, kubectl_bin: str) -> Iterator[Path]:
    os.environ["PATH"] = str(Path(kubectl_bin).parent) + os.pathsep + os.environ.get("PATH", "")
    try:
        yield tmp_path
    finally:
        subprocess.run([sys.executable, "-m", "liqo_tutor", "teardown", "--simulate"], cwd=tmp_path,
                       capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
        stop(tmp_path / ".liqo-tutor" / "sim")


def _spawn(workdir: Path, *args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "liqo_tutor", "run", "--interactive", "--simulate", *args],
                         cwd=str(workdir), env=env or dict(os.environ), encoding="utf-8", timeout=120,
                         dimensions=(50, 160))


@pytest.mark.slow  # runs the tutorial end to end through the playground
def test_enter_skip_quit_and_resume(workdir: Path) -> None:
    child = _spawn(workdir)
    child.expect(r"next: Provision the playground \[provision\]")
    child.expect(r"it will run:")
    child.expect(r"\$ kind create cluster --name london")
    child.expect(PROMPT)
    child.sendline("s")  # later steps need the clusters: refused
    child.expect(r"provision cannot be skipped: peer, offload, consume need what provision sets up")
    child.expect(PROMPT)
    child.sendline("")  # Enter runs it
    child.expect(r"-> provision: passed")
    child.expect(r"next: Peer the clusters \[peer\]")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect(r"stopped before peer at your request")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    state = json.loads((workdir / ".liqo-tutor" / "state.json").read_text())
    assert state["steps"] == {"provision": "done"}

    # Resume in the live (rich) display: done steps are verified and not asked again.
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    child = _spawn(workdir, env=env)
    child.expect(r"next: Peer the clusters \[peer\]")
    assert "[provision]" not in child.before
    child.expect(PROMPT)
    child.sendline("")
    child.expect(r"next: Offload a service \[offload\]")
    child.expect(PROMPT)
    child.sendline("")
    child.expect(r"next: Consume the service \[consume\]")
    child.expect(PROMPT)
    child.sendline("s")  # nothing depends on the last step: skipping is safe
    child.expect(r"skipped at your request")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    state = json.loads((workdir / ".liqo-tutor" / "state.json").read_text())
    assert state["steps"] == {"provision": "done", "peer": "done", "offload": "done"}


def test_interactive_needs_a_terminal(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "liqo_tutor", "run", "--interactive", "--simulate"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 2
    assert "--interactive needs a terminal" in res.stderr


def test_answers() -> None:
    assert [interpret(a) for a in ("", " s ", "Q", "run", None, "x")] == ["run", "skip", "quit", "run", "quit", None]

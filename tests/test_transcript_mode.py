"""`.liqo-tutor/transcript.jsonl` holds every command's output: owner-only (0600) like state.json."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqo_tutor.results import CommandResult
from liqo_tutor.transcript import Transcript, read


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _result(i: int) -> CommandResult:
    return CommandResult(argv=("kubectl", "get", "pods", str(i)), exit_code=0, stdout=f"out {i}\n" * 50,
                         stderr="", started=1.0, duration=0.1, display=f"kubectl get pods {i}")


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)  # the most permissive umask: the mode must come from the code, not the umask
    try:
        yield
    finally:
        os.umask(old)


def test_new_transcript_is_created_0600(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / ".liqo-tutor" / "transcript.jsonl"
    Transcript(path).append(_result(1))
    assert _mode(path) == 0o600
    assert [e["argv"] for e in read(path)] == [["kubectl", "get", "pods", "1"]]


def test_an_older_world_readable_transcript_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "transcript.jsonl"
    path.write_text(json.dumps({"argv": ["old"]}) + "\n")
    path.chmod(0o644)
    Transcript(path).append(_result(2))
    assert _mode(path) == 0o600
    assert [e["argv"] for e in read(path)] == [["old"], ["kubectl", "get", "pods", "2"]]


def test_appends_from_threads_stay_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "transcript.jsonl"
    transcript = Transcript(path)
    threads = [threading.Thread(target=transcript.append, args=(_result(i),)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    lines = path.read_text().splitlines()
    assert len(lines) == 20
    assert sorted(json.loads(line)["argv"][3] for line in lines) == sorted(str(i) for i in range(20))


def test_a_cli_run_writes_transcript_and_state_owner_only(tmp_path: Path) -> None:
    """Through the CLI: a run that fails at once (the playground's Docker is down) still records."""
    env = dict(os.environ, LIQO_TUTOR_SIM_FAULTS="docker:down")
    res = subprocess.run([sys.executable, "-m", "liqo_tutor", "run", "service-offloading", "--simulate"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 1, res.stdout + res.stderr
    dot = tmp_path / ".liqo-tutor"
    assert read(dot / "transcript.jsonl"), "the failing docker call is in the transcript"
    assert _mode(dot / "transcript.jsonl") == 0o600
    assert _mode(dot / "state.json") == 0o600

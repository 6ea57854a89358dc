"""Background commands (background.py): ready on a line, stopped with their group, recorded while they
run so that one left by a crashed run is stopped later — and only if its pid still runs that command."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from liqo_tutor.background import Background, kill_leftovers

ENV = {"PATH": "/usr/bin:/bin"}


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_stop_ends_the_whole_group_and_forgets_it(tmp_path: Path) -> None:
    record = tmp_path / "bg"
    bg = Background(["sh", "-c", "sleep 60 & echo child $!; wait"], env=ENV, cwd=tmp_path, record_dir=record)
    assert bg.wait_ready(re.compile(r"^child \d+$"), 10)
    child = int(bg.output.split()[1])
    assert (record / f"{bg.pid}.json").is_file() and _running(child)
    bg.stop(grace=5)
    assert not _running(bg.pid) and not _running(child)
    assert list(record.iterdir()) == []


def test_a_leftover_of_a_crash_is_stopped_later(tmp_path: Path) -> None:
    record = tmp_path / "bg"
    bg = Background([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                    env=ENV, cwd=tmp_path, record_dir=record)
    assert bg.wait_ready(re.compile("^up$"), 10)
    # As after a crash: nothing called stop(); a later process finds the record.
    stopped = kill_leftovers(record, grace=5)
    assert stopped and "time.sleep(60)" in stopped[0]
    bg._proc.wait(timeout=10)  # reaped: it was ours
    assert list(record.iterdir()) == []


def test_a_recycled_pid_is_left_alone(tmp_path: Path) -> None:
    record = tmp_path / "bg"
    record.mkdir()
    (record / f"{os.getpid()}.json").write_text(f'{{"pid": {os.getpid()}, "argv": ["kubectl", "port-forward"]}}')
    assert kill_leftovers(record) == []  # this test process runs something else: not killed
    assert list(record.iterdir()) == []

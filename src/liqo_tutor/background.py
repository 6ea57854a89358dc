"""A command that runs in the background while the rest of its step runs (a port-forward during a probe).

argv only, never a shell; its own process group, so stopping it stops its children too: SIGTERM to
the group, a grace period, then SIGKILL. Output (stdout and stderr together) is read by a thread.
While it runs, `<record_dir>/<pid>.json` names it, so that one left by a crash is stopped by
`kill_leftovers` (teardown, or the next run) — only if that pid still runs the same command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["Background", "background_dir", "kill_leftovers"]


def background_dir(workdir: Path) -> Path:
    """Where a workdir's running background commands are recorded."""
    from liqo_tutor.constants import STATE_DIR_NAME

    return workdir / STATE_DIR_NAME / "background"


class Background:
    """One started background process."""

    def __init__(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, record_dir: Path | None = None
    ) -> None:
        self.argv = list(argv)
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._proc = subprocess.Popen(  # noqa: S603 (argv list, no shell)
            self.argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
        )
        self.pid = self._proc.pid
        self._record = None if record_dir is None else record_dir / f"{self.pid}.json"
        if self._record is not None:
            with contextlib.suppress(OSError):
                self._record.parent.mkdir(parents=True, exist_ok=True)
                self._record.write_text(json.dumps({"pid": self.pid, "argv": self.argv}))
        self._reader = threading.Thread(target=self._read, name=f"background-{self.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            with self._cond:
                self._lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self._lines)

    def running(self) -> bool:
        return self._proc.poll() is None

    def exit_code(self) -> int | None:
        return self._proc.poll()

    def wait_ready(self, pattern: re.Pattern[str] | None, timeout: float) -> bool:
        """True once a line matches `pattern` (at once without one); False if it exits or time runs out."""
        if pattern is None:
            return self.running()
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    if pattern.search(line):
                        return True
                seen = len(self._lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._proc.poll() is not None and not self._reader.is_alive()):
                    return False
                self._cond.wait(min(remaining, 0.2))

    def stop(self, grace: float = 5.0) -> int | None:
        """SIGTERM to the group, `grace` seconds, then SIGKILL; the exit code (None if unknown)."""
        if self._proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                try:
                    self._proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    return None
        else:
            self._signal(signal.SIGKILL)  # children left in its group
        self._reader.join(timeout=grace)
        if self._record is not None:
            self._record.unlink(missing_ok=True)
        return self._proc.poll()

    def _signal(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _cmdline(pid: int) -> list[str] | None:
    """The command line `pid` runs (None when it is gone or a zombie)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]] or None


def _gone(pid: int) -> bool:
    return _cmdline(pid) is None


def kill_leftovers(record_dir: Path, grace: float = 5.0) -> list[str]:
    """Stop the background commands a crashed run left (those still running their recorded argv);
    the command lines stopped."""
    stopped: list[str] = []
    for record in sorted(record_dir.glob("*.json")) if record_dir.is_dir() else []:
        try:
            data = json.loads(record.read_text())
            pid, argv = int(data["pid"]), [str(a) for a in data["argv"]]
        except (OSError, ValueError, KeyError, TypeError):
            record.unlink(missing_ok=True)
            continue
        if _cmdline(pid) == argv:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, sig)
                deadline = time.monotonic() + grace
                while not _gone(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _gone(pid):
                    break
            stopped.append(" ".join(argv))
        record.unlink(missing_ok=True)
    return stopped

"""A command that runs in the background while the rest of its step runs (a port-forward during a probe).

argv only, never a shell; its own process group, so stopping it stops its children too: SIGTERM to
the group, a grace period, then SIGKILL. Output (stdout and stderr together) is read by a thread.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["Background"]


class Background:
    """One started background process."""

    def __init__(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> None:
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
        return self._proc.poll()

    def _signal(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

"""One run at a time per workdir: an exclusive, non-blocking `flock` on `.liqo-tutor/run.lock`."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO

from liqo_tutor.constants import STATE_DIR_NAME
from liqo_tutor.errors import InputError, LiqoTutorError

__all__ = ["LOCK_FILE", "Busy", "RunLock"]

LOCK_FILE = "run.lock"


class Busy(LiqoTutorError):
    """Another liqo-tutor already works in this workdir (exit 1: nothing is wrong with the input)."""


class RunLock:
    """Held for the whole of `run`, `step` and `teardown`; the kernel drops it when the process dies,
    so a crashed or killed run never leaves a stale lock behind."""

    def __init__(self, workdir: Path, command: str) -> None:
        self.path = workdir / STATE_DIR_NAME / LOCK_FILE
        self.command = command  # shown to a second run: what holds the lock
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        except OSError as exc:
            raise InputError(
                f"cannot write {self.path} ({exc.strerror or exc})",
                hint="run from a directory you can write to, or pass --workdir DIR",
            ) from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            workdir = self.path.parent.parent
            raise Busy(
                f"another liqo-tutor is already working in {workdir} ({holder})",
                hint="wait for it to finish or stop it (Ctrl-C in its terminal), or work in another "
                "directory (--workdir DIR); `liqo-tutor status` only reads and works meanwhile",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}: {self.command}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            try:
                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

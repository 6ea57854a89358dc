"""Work that goes on behind a run's steps (images pulled ahead on kind nodes), ended with the run.

A job is a thread whose commands run inside a cancel scope (tools/runner.py): `end()` cancels the
scope, which stops the command running and refuses the next, then waits for the thread. A job never
decides a step: what it ran is in the transcript (and on screen with --verbose), its failures are
dropped. Ctrl-C stops its commands like every other (runner.terminate_all).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from liqo_tutor.tools import runner

__all__ = ["Jobs"]

END_WAIT = 10.0  # seconds end() waits for the threads (a cancelled command stops within its grace)


class Jobs:
    """The jobs of one run."""

    def __init__(self) -> None:
        self._ended = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, name: str, work: Callable[[], None]) -> bool:
        """Run `work` in a thread of its own; False (not started) once the run's jobs have ended."""
        with self._lock:
            if self._ended.is_set():
                return False
            thread = threading.Thread(target=self._body, args=(work,), name=f"job {name}", daemon=True)
            self._threads.append(thread)
            thread.start()
            return True

    def _body(self, work: Callable[[], None]) -> None:
        with runner.cancel_scope(self._ended):
            try:
                work()
            except Exception:  # noqa: BLE001, S110 - a job is best effort; its commands are in the transcript
                pass

    def running(self) -> int:
        with self._lock:
            return sum(t.is_alive() for t in self._threads)

    def end(self, wait: float = END_WAIT) -> None:
        """Stop every job (its running command is stopped, no new one starts) and wait for them."""
        with self._lock:
            self._ended.set()
            threads = list(self._threads)
        deadline = time.monotonic() + wait
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

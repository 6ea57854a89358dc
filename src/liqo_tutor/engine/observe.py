"""What the engine tells: the Reporter wrappers and the one observer of every command a shell runs."""

from __future__ import annotations

import threading

from liqo_tutor.results import CheckResult, CommandResult, Reporter, RunResult, StepResult
from liqo_tutor.shell import CommandEvent
from liqo_tutor.transcript import Transcript

__all__ = ["NullReporter", "ReporterObserver", "SafeReporter"]


class NullReporter:
    """Tells nobody (plans, status)."""

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None: ...
    def step_started(self, step_id: str, title: str, explain: str) -> None: ...
    def command_started(self, display: str, cluster: str | None) -> None: ...
    def command_finished(self, result: CommandResult) -> None: ...
    def check_finished(self, step_id: str, check: CheckResult) -> None: ...
    def output_shown(self, step_id: str, label: str, text: str) -> None: ...
    def note(self, text: str) -> None: ...
    def step_finished(self, result: StepResult) -> None: ...
    def run_finished(self, result: RunResult) -> None: ...


class SafeReporter:
    """Serialises the calls of the per-cluster threads into the reporter."""

    def __init__(self, inner: Reporter) -> None:
        self._inner = inner
        self._lock = threading.RLock()

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None:
        with self._lock:
            self._inner.run_started(tutorial, title, line, steps)

    def step_started(self, step_id: str, title: str, explain: str) -> None:
        with self._lock:
            self._inner.step_started(step_id, title, explain)

    def command_started(self, display: str, cluster: str | None) -> None:
        with self._lock:
            self._inner.command_started(display, cluster)

    def command_finished(self, result: CommandResult) -> None:
        with self._lock:
            self._inner.command_finished(result)

    def check_finished(self, step_id: str, check: CheckResult) -> None:
        with self._lock:
            self._inner.check_finished(step_id, check)

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        with self._lock:
            self._inner.output_shown(step_id, label, text)

    def note(self, text: str) -> None:
        with self._lock:
            self._inner.note(text)

    def step_finished(self, result: StepResult) -> None:
        with self._lock:
            self._inner.step_finished(result)

    def run_finished(self, result: RunResult) -> None:
        with self._lock:
            self._inner.run_finished(result)


class ReporterObserver:
    """The one observer of a run's shell: every finished command goes to the transcript (masked);
    the reporter hears of the tutorial's commands, of the plumbing with --verbose, never of the
    hidden ones (diagnostics, --explain snapshots)."""

    def __init__(self, reporter: Reporter, *, verbose: bool, transcript: Transcript | None) -> None:
        self.reporter = reporter
        self.verbose = verbose
        self.transcript = transcript

    def __call__(self, event: CommandEvent) -> None:
        if event.result is not None and not event.synthetic and self.transcript is not None:
            self.transcript.append(event.result)
        if event.visibility == "hidden" or (event.visibility == "plumbing" and not self.verbose):
            return
        if event.result is None:
            self.reporter.command_started(event.display, event.cluster)
        else:
            self.reporter.command_finished(event.result)

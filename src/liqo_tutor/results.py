"""Results as data: what the engine produces and what a Reporter is told."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["CheckResult", "CommandResult", "Reporter", "RunResult", "Status", "StepResult"]


class Status(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # already done and verified live, or not applicable
    TIMED_OUT = "timed-out"
    INTERRUPTED = "interrupted"
    PENDING = "pending"

    @property
    def ok(self) -> bool:
        return self in (Status.PASSED, Status.SKIPPED)


@dataclass(frozen=True)
class CommandResult:
    """One finished child process. `display` is the re-runnable command line, secrets masked."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    started: float  # time.time()
    duration: float
    display: str
    cluster: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """One verified claim of the tutorial ("no pod runs in newyork")."""

    claim: str
    status: Status
    expected: str = ""
    seen: str = ""
    duration: float = 0.0
    message: str = ""
    hint: str | None = None


@dataclass(frozen=True)
class StepResult:
    step_id: str
    title: str
    status: Status
    duration: float = 0.0
    checks: tuple[CheckResult, ...] = ()
    commands: tuple[CommandResult, ...] = ()
    message: str = ""  # one line: why it failed or was skipped
    rerun: str | None = None  # command to rerun the failing command, secrets masked
    hint: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # named captured outputs (e.g. JSON bodies)
    diagnostics: str | None = None  # folder with collected diagnostics


@dataclass(frozen=True)
class RunResult:
    tutorial: str
    line: str | None
    steps: tuple[StepResult, ...]
    duration: float

    @property
    def ok(self) -> bool:
        return all(s.status.ok for s in self.steps)


class Reporter(Protocol):
    """What the engine tells the terminal (ui.py) or a recorder (tests, reports)."""

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None: ...
    def step_started(self, step_id: str, title: str, explain: str) -> None: ...
    def command_started(self, display: str, cluster: str | None) -> None: ...
    def command_finished(self, result: CommandResult) -> None: ...
    def check_finished(self, step_id: str, check: CheckResult) -> None: ...
    def output_shown(self, step_id: str, label: str, text: str) -> None: ...
    def note(self, text: str) -> None: ...
    def step_finished(self, result: StepResult) -> None: ...
    def run_finished(self, result: RunResult) -> None: ...

"""The exception tree: every error a user can cause carries a message, a hint and an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from liqo_tutor.results import CommandResult

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CheckFailed",
    "InputError",
    "Interrupted",
    "LiqoTutorError",
    "StepFailed",
    "ToolFailed",
    "ToolGarbled",
    "ToolNotFound",
    "ToolTimeout",
    "TutorialError",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class LiqoTutorError(Exception):
    """Base error: `message` is one line for the user, `hint` says what to do next."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(LiqoTutorError):
    """Bad user input: unknown tutorial/step/option, unwritable workdir, corrupt state file..."""

    exit_code = EXIT_USAGE


class TutorialError(InputError):
    """A tutorial file that cannot be loaded; message is `file:line: field: problem`."""


class ToolNotFound(LiqoTutorError):
    """An executable (kind, kubectl, liqoctl, docker) is not on PATH."""

    def __init__(self, program: str, *, hint: str | None = None) -> None:
        super().__init__(f"{program}: command not found on PATH", hint=hint)
        self.program = program


class ToolFailed(LiqoTutorError):
    """A command exited with a code outside its ok codes; carries the full result."""

    def __init__(self, result: CommandResult, *, hint: str | None = None) -> None:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        last = detail[-1] if detail else ""
        super().__init__(
            f"`{result.display}` exited {result.exit_code}" + (f": {last}" if last else ""), hint=hint
        )
        self.result = result


class ToolTimeout(LiqoTutorError):
    """A command ran past its timeout and was stopped."""

    def __init__(self, result: CommandResult, timeout: float, *, hint: str | None = None) -> None:
        super().__init__(
            f"`{result.display}` did not finish within {timeout:g}s: stopped after {result.duration:.1f}s",
            hint=hint,
        )
        self.result = result
        self.timeout = timeout


class ToolGarbled(ToolFailed):
    """A command exited as if it worked but printed bytes that are not text (a broken or wrong tool)."""

    def __init__(self, result: CommandResult, *, stream: str, hint: str | None = None) -> None:
        super().__init__(result, hint=hint)
        self.message = (
            f"`{result.display}` exited {result.exit_code} but printed unreadable output on {stream}"
        )
        self.args = (self.message,)


class CheckFailed(LiqoTutorError):
    """A verification did not hold: what was expected and what was seen."""

    def __init__(self, claim: str, expected: str, seen: str, *, hint: str | None = None) -> None:
        super().__init__(f"{claim}: expected {expected}, saw {seen}", hint=hint)
        self.claim = claim
        self.expected = expected
        self.seen = seen


class StepFailed(LiqoTutorError):
    """A step could not run because of the state of the run (e.g. an earlier step is not done)."""


class CaptureMissing(StepFailed):
    """A command or claim needs a saved value that no step has saved yet."""

    def __init__(self, message: str, *, key: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.key = key


class Interrupted(LiqoTutorError):
    """Ctrl-C or SIGTERM."""

    exit_code = EXIT_INTERRUPTED

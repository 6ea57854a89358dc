"""The CLI's error boundary: the only place that turns errors into messages and exit codes.

pre-commit's error_handler split: LiqoTutorError -> one line + hint and its exit code; usage errors
-> one line, 2; Ctrl-C/SIGTERM -> stop the children, say how to resume or clean up, 130; anything
else -> 3 with a crash log in the workdir. typer's public API only: `typer.TyperException` is the
base of click's errors since typer 0.28 (the lower bound in pyproject.toml).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from liqo_tutor import ui
from liqo_tutor.constants import CRASH_LOG, PROG, STATE_DIR_NAME
from liqo_tutor.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupted,
    LiqoTutorError,
)

__all__ = ["TERMINATE_GRACE", "Group", "guard", "stop_children"]

TERMINATE_GRACE = 3.0


class Group(TyperGroup):
    """Runs the command without click's standalone handling so usage errors are one line, exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> NoReturn:
        argv = list(args) if args is not None else sys.argv[1:]
        try:
            code = super().main(argv, prog_name or PROG, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as err:
            code = _usage_error(err, no_args=not argv)
        except (typer.Abort, KeyboardInterrupt):
            ui.print_interrupted()
            code = EXIT_INTERRUPTED
        except typer.Exit as exc:
            code = exc.exit_code
        if code == EXIT_INTERRUPTED and _own_process():
            # The interruption is handled and reported: a further Ctrl-C while Python shuts down
            # (joining worker threads) ends the process at once, still with exit code 130.
            signal.signal(signal.SIGINT, _exit_interrupted)
            # Python puts the default handler back late in its shutdown (after joining threads and
            # running atexit): a Ctrl-C landing then would end the process as killed by SIGINT
            # instead of exiting 130. From the atexit stage on, further Ctrl-Cs are ignored.
            atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def _usage_error(err: typer.TyperException, *, no_args: bool) -> int:
    """click's errors as one line (`error: ...`, exit 2 for usage errors); no arguments: the help."""
    ctx = getattr(err, "ctx", None)  # usage errors carry the command's context
    command = getattr(ctx, "command_path", None)
    if no_args and command is not None:  # `no_args_is_help`: the error's message is the help
        typer.echo(err.format_message(), err=True)
        return EXIT_USAGE
    where = f" (see `{command} --help`)" if command is not None else ""
    ui.print_note(f"error: {err.format_message()}{where}")
    return int(err.exit_code)


def _exit_interrupted(signum: int, frame: FrameType | None) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _own_process() -> bool:
    """True when this process is liqo-tutor itself (console script or `python -m`), not a test runner."""
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    return name in (PROG, "__main__.py") and threading.current_thread() is threading.main_thread()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_children() -> int:
    """Ctrl-C / SIGTERM: stop what runs, tell how to go on. A second Ctrl-C skips the waiting."""
    try:
        ui.print_note("interrupted: stopping running commands...")
        from liqo_tutor.tools import runner

        runner.terminate_all(TERMINATE_GRACE)
    except KeyboardInterrupt:
        pass
    ui.print_interrupted()
    return EXIT_INTERRUPTED


def _crash(exc: BaseException, workdir: Path | None) -> int:
    import platform
    import tempfile
    import time
    import traceback
    from importlib import metadata

    versions = []
    for dist in ("liqo-tutor", "typer", "rich", "sh", "pydantic", "PyYAML"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    text = "\n".join([
        f"{PROG} crashed at {time.strftime('%Y-%m-%d %H:%M:%S')}",
        f"argv: {sys.argv!r}",
        f"python {sys.version.split()[0]} on {platform.platform()}",
        *versions,
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ])
    from liqo_tutor import secrets

    text = secrets.redact(text)
    candidates = [(workdir or Path.cwd()) / STATE_DIR_NAME / CRASH_LOG,
                  Path(tempfile.gettempdir()) / f"{PROG}-{CRASH_LOG}"]
    where: Path | None = None
    for path in candidates:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            where = path
            break
        except OSError:
            continue
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    ui.print_note(f"internal error ({detail}); details in {where or 'nowhere (no writable place)'}. "
                  "Please report it with that file.")
    return EXIT_INTERNAL


def guard(fn: Callable[[], int], *, no_color: bool, workdir: Path | None = None) -> NoReturn:
    """The error boundary around one command."""
    ui.configure(no_color=no_color)
    previous: Callable[[int, FrameType | None], Any] | int | None = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            code = fn()
        except Interrupted:
            code = stop_children()
        except LiqoTutorError as err:
            ui.print_error(err)
            code = err.exit_code
        except KeyboardInterrupt:
            code = stop_children()
        except (typer.Exit, typer.TyperException):
            raise
        except Exception as exc:
            code = _crash(exc, workdir)
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    raise typer.Exit(code)

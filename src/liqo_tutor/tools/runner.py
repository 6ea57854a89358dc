"""THE subprocess seam: argv -> CommandResult. The only module that imports `sh`.

Every child gets an explicit environment, no TTY, stdin that is never the terminal, its own process
group (so Ctrl-C reaches us, and we stop children in order: SIGTERM, grace, SIGKILL), and a timeout.
Results keep the raw output (the engine parses it); the caller's `on_event` callback only ever sees
redacted copies. Nothing here tells anyone else: shell.py (ClusterShell) is the way the core runs a
command and has its observer told.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shlex
import shutil
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from liqo_tutor import secrets as _secrets
from liqo_tutor.constants import KILL_GRACE
from liqo_tutor.errors import Interrupted, LiqoTutorError, ToolFailed, ToolGarbled, ToolNotFound, ToolTimeout
from liqo_tutor.results import CommandResult

__all__ = [
    "Cancelled",
    "OnEvent",
    "cancel_scope",
    "cancelled",
    "display_of",
    "reset",
    "run",
    "running",
    "terminate_all",
]

# `on_event(display, None)` before the command starts and `on_event(display, result)` after (redacted).
OnEvent = Callable[[str, "CommandResult | None"], None]

_lock = threading.Lock()
_live: dict[int, _Child] = {}
_stopping = threading.Event()
# A thread may run its commands under a cancel event (see cancel_scope): when it is set, that thread's
# command is stopped and no new one starts. Used to stop sibling checks once one of them has failed.
_scope = threading.local()
# sh keeps output in chunks of this size; we never stream, so large chunks are cheapest.
_BUFSIZE = 64 * 1024
_MAIN_SLICE = 0.1  # seconds: how late the main thread may notice a Ctrl-C
_THREAD_SLICE = 0.5  # seconds: how late another thread may notice terminate_all


class _Child:
    """A live child process group; `done` is set once it has been reaped and its output collected."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.done = threading.Event()
        self.timed_out = False
        self.interrupted = False
        self.cancelled = False
        self.held: list[int] = []  # signals received while it was being started (_signals_held)

    def signal(self, sig: int) -> None:
        if self.done.is_set():  # reaped: the pid may belong to someone else by now
            return
        try:
            os.killpg(self.pid, sig)  # the child leads its own group: grandchildren stop too
        except OSError:
            try:
                os.kill(self.pid, sig)
            except OSError:
                pass

    def wait(self, until: float) -> bool:
        """Wait for the child until the monotonic time `until`; True once it is done.

        The main thread waits in short slices: a signal (Ctrl-C) may be delivered to any thread,
        and Python only raises KeyboardInterrupt when the main thread runs bytecode again.
        """
        remaining = until - time.monotonic()
        if threading.current_thread() is threading.main_thread():
            remaining = min(remaining, _MAIN_SLICE)
        else:  # other threads look at `_stopping` now and then (a child started during terminate_all)
            remaining = min(remaining, _THREAD_SLICE)
        return self.done.wait(max(0.0, remaining))

    def stop(self, grace: float) -> None:
        """SIGTERM, and SIGKILL if it is still alive after `grace` seconds."""
        self.signal(signal.SIGTERM)
        kill_at = time.monotonic() + grace
        while not self.wait(kill_at):
            if time.monotonic() >= kill_at:
                self.signal(signal.SIGKILL)
                kill_at = float("inf")


class Cancelled(LiqoTutorError):
    """The command was not run, or was stopped, because its cancel scope was cancelled."""


@contextlib.contextmanager
def cancel_scope(event: threading.Event) -> Iterator[None]:
    """Commands run by this thread inside the block stop (or do not start) once `event` is set."""
    _scope.event = event
    try:
        yield
    finally:
        _scope.event = None


def cancelled() -> threading.Event | None:
    """The cancel event of the current thread's scope, if any."""
    event: threading.Event | None = getattr(_scope, "event", None)
    return event


def reset() -> None:
    """Allow new commands again after `terminate_all` (tests, long-lived callers)."""
    _stopping.clear()


def running() -> list[int]:
    """The pids of the children being waited for now (a child is in it once Ctrl-C would stop it)."""
    with _lock:
        return list(_live)


def terminate_all(grace: float = 3.0) -> None:
    """Stop every live child: SIGTERM, then SIGKILL for those still alive after `grace` seconds.

    Commands started afterwards raise Interrupted until `reset()`.
    """
    _stopping.set()
    with _lock:
        children = list(_live.values())
    for child in children:
        child.interrupted = True
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        child.done.wait(max(0.0, deadline - time.monotonic()))
    for child in children:
        child.signal(signal.SIGKILL)


def display_of(argv: Sequence[str], cwd: Path | None = None) -> str:
    """The command as a person would type it in the current directory, secrets masked.

    Absolute paths below the current directory become relative (`--kubeconfig liqo_kubeconf_london`)
    when the command runs there, so the line stays copy-paste re-runnable.
    """
    base = os.getcwd()
    if cwd is not None and os.path.abspath(cwd) != base:
        shown = list(argv)
    else:
        shown = [_relative(arg, base + os.sep) for arg in argv]
    return " ".join(_shown_word(w) for w in _secrets.redact_argv(shown))


# A plan shows a value a later step reads as the doc's shell variable (`curl $LOCAL_POD_IP`): unquoted,
# so the line still works when pasted after the `VAR=$(...)` line.
_SHELL_VAR = re.compile(r"\$[A-Z_][A-Z0-9_]*")


def _shown_word(word: str) -> str:
    return word if _SHELL_VAR.fullmatch(word) else shlex.quote(word)


def _relative(arg: str, prefix: str) -> str:
    if arg.startswith(prefix) and len(arg) > len(prefix):
        return arg[len(prefix):]
    flag, eq, value = arg.partition("=")
    if eq and flag.startswith("-") and value.startswith(prefix) and len(value) > len(prefix):
        return f"{flag}={value[len(prefix):]}"
    return arg


def _notify(on_event: OnEvent | None, display: str, result: CommandResult | None) -> None:
    if on_event is None:
        return
    if result is not None:
        result = dataclasses.replace(
            result,
            argv=tuple(_secrets.redact_argv(result.argv)),
            stdout=_secrets.redact(result.stdout),
            stderr=_secrets.redact(result.stderr),
        )
    on_event(display, result)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    ok_codes: Collection[int] = (0,),
    stdin: str | None = None,
    cluster: str | None = None,
    cwd: Path | None = None,
    secrets: Collection[str] = (),
    grace: float | None = None,
    on_event: OnEvent | None = None,
) -> CommandResult:
    """Run `argv` to completion and return its result; `on_event` hears of its start and end.

    Raises ToolNotFound (program not on env's PATH), ToolFailed (exit code not in `ok_codes`),
    ToolTimeout (ran past `timeout`: SIGTERM, then SIGKILL after `grace`), Interrupted (stopped by
    `terminate_all`). KeyboardInterrupt while waiting stops the child the same way and re-raises.
    """
    args = [os.fspath(a) for a in argv]
    if not args:
        raise ValueError("empty argv")
    for value in secrets:
        _secrets.register(value)
    grace = KILL_GRACE if grace is None else grace
    program = shutil.which(args[0], path=env.get("PATH", ""))
    if program is None:
        raise ToolNotFound(
            args[0],
            hint=f"install {args[0]}, or add --simulate to use the simulated playground",
        )
    display = display_of(args, cwd)
    if _stopping.is_set():
        raise Interrupted(f"not started, interrupted: {display}", hint="resume with `liqo-tutor run`")
    cancel = cancelled()
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"not started, cancelled: {display}")

    import sh  # lazy: keeps `liqo-tutor --help` fast

    _notify(on_event, display, None)
    started = time.time()
    t0 = time.monotonic()
    proc, child = _start(sh, program, args, env, stdin, cwd, on_event, (display, cluster, started, t0))
    try:
        _wait(child, t0 + timeout, cancel, grace, child.held)
    except KeyboardInterrupt:
        # Also one raised before _wait was waiting (by another signal's handler): stop the child.
        if not child.interrupted:
            child.interrupted = True
            child.stop(grace)
        raise
    finally:
        with _lock:
            _live.pop(child.pid, None)
    result = _result(proc, args, started, time.monotonic() - t0, display, cluster)
    _notify(on_event, display, result)
    _raise_for(result, child, proc, ok_codes, timeout)
    return result


def _start(sh: Any, program: str, args: list[str], env: Mapping[str, str], stdin: str | None,
           cwd: Path | None, on_event: OnEvent | None, where: tuple[str, str | None, float, float]
           ) -> tuple[Any, _Child]:
    """Spawn and register the child with SIGINT/SIGTERM held: a Ctrl-C (or SIGTERM) landing while sh
    forks and execs would otherwise leave a child nobody knows of; it is delivered once the child is
    registered (_wait), where it stops it. A KeyboardInterrupt raised meanwhile by another signal's
    handler stops the child if it was started."""
    display, cluster, started, t0 = where
    child: _Child | None = None
    failed: ToolFailed | None = None
    try:
        with _signals_held() as held:
            try:
                proc = _spawn(sh, program, args, env, stdin, cwd)
            except Exception as exc:  # exec failed after `which` found it (bad interpreter, missing cwd...)
                result = CommandResult(tuple(args), 127, "", f"{args[0]}: {exc}", started,
                                       time.monotonic() - t0, display, cluster)
                _notify(on_event, display, result)
                failed = ToolFailed(result)
            else:
                child = _Child(proc.process.pid)
                child.held = held
                with _lock:
                    _live[child.pid] = child
                name = f"reap-{child.pid}"
                threading.Thread(target=_reap, args=(proc, sh, child), name=name, daemon=True).start()
    except KeyboardInterrupt:
        if child is not None:
            child.interrupted = True
            child.stop(KILL_GRACE)
            with _lock:
                _live.pop(child.pid, None)
        raise
    if failed is not None or child is None:
        for sig in held:  # a Ctrl-C held meanwhile wins over the failure
            signal.raise_signal(sig)
        raise failed if failed is not None else RuntimeError("no child")
    return proc, child


def _spawn(sh: Any, program: str, args: list[str], env: Mapping[str, str], stdin: str | None,
           cwd: Path | None) -> Any:
    """Start the child in its own process group, in the background, never on the terminal."""
    return sh.Command(program)(
        *args[1:],
        _bg=True,
        _bg_exc=False,
        _tty_in=False,
        _tty_out=False,
        _env=dict(env),
        _in=stdin if stdin is not None else "",  # never the terminal: prompts read EOF
        _cwd=os.fspath(cwd) if cwd is not None else None,
        _ok_code=list(range(256)),
        _new_group=True,
        _out_bufsize=_BUFSIZE,
        _err_bufsize=_BUFSIZE,
    )


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """In the main thread: SIGINT and SIGTERM received inside the block are recorded, not handled; the
    caller re-delivers them (`signal.raise_signal`) once it can act on them. Elsewhere: nothing held
    (only the main thread handles signals)."""
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, _frame: held.append(signum))
    try:
        yield held
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _wait(child: _Child, deadline: float, cancel: threading.Event | None, grace: float,
          held: Sequence[int] = ()) -> None:
    """Until the child ends; stopped (and marked why) on terminate_all, its cancel scope, the deadline,
    or a signal `held` while it was being started (re-delivered here, where it stops the child)."""
    try:
        for sig in held:
            signal.raise_signal(sig)
        while not child.wait(deadline):
            if _stopping.is_set():
                # terminate_all ran while this child was being started: it missed it.
                child.interrupted = True
            elif cancel is not None and cancel.is_set():
                child.cancelled = True
            elif time.monotonic() >= deadline:
                child.timed_out = True
            else:
                continue
            child.stop(grace)
            break
    except KeyboardInterrupt:
        child.interrupted = True
        child.stop(grace)  # a second Ctrl-C here propagates at once
        raise


def _raise_for(result: CommandResult, child: _Child, proc: Any, ok_codes: Collection[int],
               timeout: float) -> None:
    """The error a finished child's result means, if any."""
    if child.cancelled:
        raise Cancelled(f"cancelled: {result.display}")
    if child.timed_out:
        raise ToolTimeout(result, timeout, hint="rerun it by hand to see where it waits; --timeout-scale")
    if result.exit_code not in ok_codes and (child.interrupted or _stopping.is_set()):
        raise Interrupted(f"stopped: {result.display}", hint="resume with `liqo-tutor run`")
    if result.exit_code not in ok_codes:
        raise ToolFailed(result)
    garbled = _garbled(proc)
    if garbled is not None:
        raise ToolGarbled(
            result, stream=garbled,
            hint=f"is `{result.argv[0]}` on PATH the real tool? rerun the command by hand",
        )


def _garbled(proc: Any) -> str | None:
    """"stdout"/"stderr" when that stream is not text (NUL bytes or invalid UTF-8): our tools print text."""
    for name in ("stdout", "stderr"):
        data: bytes = getattr(proc.process, name) or b""
        if b"\x00" in data:
            return name
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return name
    return None


def _reap(proc: Any, sh: Any, child: _Child) -> None:
    try:
        proc.wait()
    except sh.ErrorReturnCode:  # killed by a signal: the exit code is read from the process
        pass
    except Exception:  # noqa: S110 - never let a reaper thread die noisily; exit code stays unknown
        pass
    finally:
        child.done.set()


def _result(proc: Any, args: list[str], started: float, duration: float, display: str,
            cluster: str | None) -> CommandResult:
    process = proc.process
    return CommandResult(
        argv=tuple(args),
        exit_code=int(process.exit_code) if process.exit_code is not None else -1,
        stdout=process.stdout.decode("utf-8", errors="replace"),
        stderr=process.stderr.decode("utf-8", errors="replace"),
        started=started,
        duration=duration,
        display=display,
        cluster=cluster,
    )

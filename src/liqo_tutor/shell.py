"""The one way the core runs a command on a cluster (or on the host): `ClusterShell`.

A shell knows the environment, the working directory, each cluster's kubeconfig (and context) and
the timeout scale. `shell.run(argv, cluster=...)` adds `--kubeconfig`/`--context` for kubectl and
liqoctl (tools/kubectl.py), runs the child through the subprocess seam (tools/runner.py) and tells
ONE observer what happened: a `CommandEvent` that carries the display line, the cluster, the result
(None when the command starts) and how visible the command is meant to be. Nothing here is global:
whoever builds the shell passes its observer (the engine: reporter plus transcript; `status`: none).

Visibility: "shown" (a command of the tutorial), "plumbing" (polls, probes, log reads, clean-ups:
on screen with --verbose only) and "hidden" (diagnostics and --explain snapshots: transcript only).
A caller marks a whole block as plumbing with `quiet()` (a per-thread scope, like the runner's
cancel scope), or one call with `visibility=`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from liqo_tutor import timeouts
from liqo_tutor.results import CommandResult
from liqo_tutor.tools import runner
from liqo_tutor.tools.kubectl import with_kubeconfig

__all__ = [
    "ClusterShell",
    "CommandEvent",
    "Observer",
    "Target",
    "Visibility",
    "is_quiet",
    "quiet",
    "without_secrets",
]

Visibility = Literal["shown", "plumbing", "hidden"]


class Target(Protocol):
    """What the shell needs of a cluster (engine's ClusterInfo has it)."""

    @property
    def kubeconfig(self) -> Path: ...

    @property
    def context(self) -> str | None: ...


@dataclass(frozen=True)
class CommandEvent:
    """A command started (`result` None) or finished (its result, secrets masked)."""

    display: str
    cluster: str | None
    result: CommandResult | None
    visibility: Visibility = "shown"
    synthetic: bool = False  # announced by the caller (run-pod's one-liner), not a child: no transcript entry


Observer = Callable[[CommandEvent], None]

_scope = threading.local()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Commands this thread runs inside the block are plumbing (unless a call says "hidden")."""
    before = getattr(_scope, "quiet", False)
    _scope.quiet = True
    try:
        yield
    finally:
        _scope.quiet = before


def is_quiet() -> bool:
    """True inside a `quiet()` block of this thread."""
    return bool(getattr(_scope, "quiet", False))


def _none(event: CommandEvent) -> None:
    """The observer of a shell nobody watches (`status`, `show`)."""


class ClusterShell:
    """Runs argv lists for one workdir; each command on a named cluster or on the host (None)."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        workdir: Path,
        clusters: Mapping[str, Target] | None = None,
        timeout_scale: float = 1.0,
        observer: Observer | None = None,
        visibility: Visibility | None = None,
    ) -> None:
        self.env = env  # not copied: the owner (a Context) may set a variable for later commands
        self.workdir = workdir
        self.clusters: Mapping[str, Target] = clusters or {}
        self.timeout_scale = timeout_scale
        self.observer: Observer = observer or _none
        self._visibility = visibility  # forced for every command of this shell (a hidden copy)

    # -- derived shells --------------------------------------------------------------------------

    def hidden(self) -> ClusterShell:
        """The same shell whose commands only reach the transcript (diagnostics, snapshots)."""
        return self._copy(visibility="hidden")

    def observed_by(self, observer: Observer | None) -> ClusterShell:
        return self._copy(observer=observer or _none)

    def _copy(self, **changes: object) -> ClusterShell:
        twin = ClusterShell(
            env=self.env,
            workdir=self.workdir,
            clusters=self.clusters,
            timeout_scale=self.timeout_scale,
            observer=self.observer,
            visibility=self._visibility,
        )
        for name, value in changes.items():
            setattr(twin, "_visibility" if name == "visibility" else name, value)
        return twin

    # -- what a person types ---------------------------------------------------------------------

    def scaled(self, seconds: float) -> float:
        """`seconds` times --timeout-scale."""
        return seconds * self.timeout_scale

    def argv(self, argv: Sequence[str], cluster: str | None) -> list[str]:
        """`argv` with the cluster's `--kubeconfig` (and `--context`) for kubectl/liqoctl."""
        args = [str(a) for a in argv]
        if cluster is None:
            return args
        target = self.clusters[cluster]
        return with_kubeconfig(args, str(target.kubeconfig), target.context)

    def display(self, argv: Sequence[str], cluster: str | None = None) -> str:
        """The command line a person types in the working directory, secrets masked."""
        return runner.display_of(self.argv(argv, cluster), self.workdir)

    # -- running ---------------------------------------------------------------------------------

    def _visible(self, visibility: Visibility | None) -> Visibility:
        if self._visibility is not None:
            return self._visibility
        if visibility is not None:
            return visibility
        return "plumbing" if is_quiet() else "shown"

    def run(
        self,
        argv: Sequence[str],
        *,
        cluster: str | None = None,
        timeout: float | None = None,
        ok_codes: Collection[int] = (0,),
        stdin: str | None = None,
        secrets: Collection[str] = (),
        visibility: Visibility | None = None,
    ) -> CommandResult:
        """Run `argv` on `cluster` (None: on the host) and return its result.

        `timeout` is in seconds after --timeout-scale (callers scale the YAML's own values with
        `scaled`); None takes the default of timeouts.py for that program and subcommand, scaled.
        Raises what the runner raises (ToolNotFound, ToolFailed, ToolTimeout, Interrupted...).
        """
        args = self.argv(argv, cluster)
        if timeout is None:
            timeout = self.scaled(timeouts.default_timeout_argv(args))
        shown = self._visible(visibility)

        def tell(display: str, result: CommandResult | None) -> None:
            self.observer(CommandEvent(display, cluster, result, shown))

        return runner.run(
            args,
            env=self.env,
            timeout=timeout,
            ok_codes=ok_codes,
            stdin=stdin,
            cluster=cluster,
            cwd=self.workdir,
            secrets=secrets,
            on_event=tell,
        )

    # -- a command that is shown as one line but done by several (run-pod) -------------------------

    def announce(self, display: str, cluster: str | None) -> None:
        """Tell the observer that `display` starts (the commands doing it are plumbing); inside a
        `quiet()` block it is plumbing itself."""
        shown = self._visible(None)
        self.observer(CommandEvent(display, cluster, None, shown, synthetic=True))

    def announce_finished(self, result: CommandResult) -> None:
        """Tell the observer how the announced command ended (a result built by the caller)."""
        shown = self._visible(None)
        self.observer(CommandEvent(result.display, result.cluster, result, shown, synthetic=True))


def without_secrets(result: CommandResult) -> CommandResult:
    """A copy of `result` safe to keep in a StepResult or show (argv, stdout, stderr masked)."""
    from liqo_tutor import secrets

    return dataclasses.replace(
        result,
        argv=tuple(secrets.redact_argv(result.argv)),
        stdout=secrets.redact(result.stdout),
        stderr=secrets.redact(result.stderr),
    )

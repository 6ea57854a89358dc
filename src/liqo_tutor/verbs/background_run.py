"""`background: true` on a run action: a command that keeps running while its step goes on.

It starts (argv, own process group), is ready when a line of its output matches `ready:` (at once
without one), and is stopped when its step ends, whatever the outcome (Context.end_step). If it
exits or the timeout passes before it is ready, the action fails with its output.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, Protocol

from liqo_tutor import secrets
from liqo_tutor.errors import StepFailed
from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.results import CommandResult
from liqo_tutor.tutorial import VAR_RE

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["run_background", "validate_background"]


class _BackgroundSpec(Protocol):
    @property
    def background(self) -> bool: ...
    @property
    def ready(self) -> str | None: ...
    @property
    def save(self) -> object: ...
    @property
    def retries(self) -> int: ...
    @property
    def unless(self) -> list[dict[str, Any]]: ...
    @property
    def each(self) -> bool: ...


def validate_background(spec: _BackgroundSpec, refs: Refs, scope: Scope) -> None:
    if spec.ready is not None and not spec.background:
        raise refs.error(scope.loc + ("ready",), "needs background: true")
    if not spec.background:
        return
    for key, used in (
        ("save", spec.save is not None),
        ("retries", spec.retries > 0),
        ("each", spec.each),
        ("unless", bool(spec.unless)),
    ):
        if used:
            raise refs.error(scope.loc + ("background",), f"cannot be combined with {key}")
    if spec.ready is not None:
        refs.variables(spec.ready, scope.at("ready"))
        refs.regex(spec.ready, scope.loc + ("ready",))


def _ready_pattern(ctx: Context, ready: str | None, cluster: str | None) -> re.Pattern[str] | None:
    if ready is None:
        return None
    # Variables inside the regex are literal text: a pod IP's dots must not match any character.
    parts, last = [], 0
    for m in VAR_RE.finditer(ready):
        parts.append(ready[last : m.start()])
        parts.append(re.escape(ctx.text(m.group(0), cluster)))
        last = m.end()
    parts.append(ready[last:])
    return re.compile("".join(parts))


def run_background(
    ctx: Context, action: Action, command: str, ready: str | None, cluster: str | None
) -> None:
    argv = ctx.argv(command, cluster)
    display = ctx.display(argv, cluster) + " &"
    pattern = _ready_pattern(ctx, ready, cluster)
    t0, started = time.monotonic(), time.time()
    ctx.shell.announce(display, cluster)
    proc = ctx.spawn(argv, cluster=cluster)
    ok = proc.wait_ready(pattern, ctx.scaled(action.timeout))
    code = proc.exit_code()
    ctx.shell.announce_finished(
        CommandResult(
            argv=tuple(secrets.redact_argv(proc.argv)),
            exit_code=0 if ok else (code if code not in (None, 0) else 1),
            stdout=secrets.redact(proc.output),
            stderr="",
            started=started,
            duration=time.monotonic() - t0,
            display=display,
            cluster=cluster,
        )
    )
    if ok:
        return
    last = (proc.output.strip().splitlines() or ["no output"])[-1]
    proc.stop()
    why = (
        f"exited (code {code}) before it was ready"
        if code is not None
        else f"not ready within {ctx.scaled(action.timeout):g}s"
    )
    raise StepFailed(f"`{display}` {why}: {secrets.redact(last)}", hint=action.hint)

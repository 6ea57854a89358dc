"""Claims that run a command: polled with backoff until they hold or their deadline passes, then,
with `hold:`, asked again until that time has passed ("still Pending after 20 s").

`kubectl wait` does the waiting itself when the command uses `{timeout}`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from liqo_tutor import timeouts
from liqo_tutor.claims import wait_probe
from liqo_tutor.claims.base import CheckModel, Outcome
from liqo_tutor.errors import ToolTimeout
from liqo_tutor.kinds import Duration, Refs, Scope
from liqo_tutor.results import CommandResult
from liqo_tutor.tools import runner

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["ALL_CODES", "PolledModel", "first_line", "poll", "polled", "validate_polled"]

ALL_CODES = tuple(range(256))
_MAX_INTERVAL = 0.5
_MIN_INTERVAL = 0.05
_FIRST_PAUSE = 0.5  # of the check's interval
_MAX_HOLD = 600.0


class PolledModel(CheckModel):
    """Keys of the claims that run a command."""

    hold: Duration | None = None  # still true this many seconds after it first held


def validate_polled(spec: PolledModel, refs: Refs, scope: Scope, key: str, command: str) -> None:
    """The command's cluster, variables and words; `hold` bounds."""
    if scope.cluster is None:
        raise refs.error(scope.loc, f"a `{key}` check needs `cluster:` or `each: true`")
    refs.variables(command, scope.at(key), frozenset({"timeout"}))
    refs.split(command, scope.loc + (key,))
    if spec.hold is not None and spec.hold >= _MAX_HOLD:
        raise refs.error(scope.loc + ("hold",), "must be shorter than 10m")


def first_line(result: CommandResult) -> str:
    text = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return text[-1][:200] if text else "no output"


def poll(
    attempt: Callable[[float], Outcome],
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Call `attempt(remaining)` until it holds, is final, or the deadline passes.

    The first pause is half the check's interval (0.1 s by default): what a tutorial waits for is often
    true moments after the step's command returned, and each pause adds to the run. Pauses then grow
    x1.5 up to 0.5 s, which bounds the load one long wait puts on the API server (each try is a whole
    process, one or a few requests)."""
    deadline = time.monotonic() + timeout
    wait = max(_MIN_INTERVAL, interval * _FIRST_PAUSE)
    cancel = runner.cancelled()  # a sibling check failed: stop polling
    while True:
        remaining = deadline - time.monotonic()
        outcome = attempt(max(0.0, remaining))
        if outcome.ok or outcome.final:
            return outcome
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (cancel is not None and cancel.is_set()):
            return outcome
        if cancel is not None and sleep is time.sleep:
            cancel.wait(min(wait, remaining))
        else:
            sleep(min(wait, remaining))
        wait = min(wait * 1.5, _MAX_INTERVAL)


def _held(attempt: Callable[[float], Outcome], hold: float, interval: float, first: Outcome) -> Outcome:
    """After a first success: ask again until `hold` seconds have passed; the first failure ends it."""
    start = time.monotonic()
    end = start + hold
    cancel = runner.cancelled()
    last = first
    while True:
        remaining = end - time.monotonic()
        if remaining <= 0:
            return Outcome(True, f"{first.expected} for {hold:g}s", last.seen, rerun=last.rerun)
        if cancel is not None:
            cancel.wait(min(max(0.05, interval), remaining))
            if cancel.is_set():
                return Outcome(False, first.expected, "stopped", final=True, rerun=last.rerun)
        else:
            time.sleep(min(max(0.05, interval), remaining))
        outcome = attempt(0.0)
        if not outcome.ok:
            return Outcome(
                False,
                f"{first.expected} for {hold:g}s",
                f"held for {time.monotonic() - start:.0f}s, then: {outcome.seen}",
                final=True,
                rerun=outcome.rerun,
            )
        last = outcome


def _probe(ctx: Context, argv: list[str], cluster: str | None) -> CommandResult | None:
    """The `kubectl wait` answered by one quiet `kubectl get` (its result as the wait's, with the lines
    kubectl would print); None when the probe does not apply or does not show every condition met."""
    probe = wait_probe.probe_of(argv)
    if probe is None:
        return None
    started, t0 = time.time(), time.monotonic()
    try:
        got = ctx.run(
            list(probe.get_argv), cluster=cluster, timeout=timeouts.POLL_SLACK, ok_codes=ALL_CODES, quiet=True
        )
    except ToolTimeout:
        return None
    lines = wait_probe.met_lines(got.stdout, probe) if got.exit_code == 0 else None
    if lines is None:
        return None
    return CommandResult(
        argv=tuple(ctx.with_kubeconfig(argv, cluster)),
        exit_code=0,
        stdout=lines,
        stderr="",
        started=started,
        duration=time.monotonic() - t0,
        display=ctx.display(argv, cluster),
        cluster=cluster,
    )


def polled(
    ctx: Context,
    check: Check,
    spec: PolledModel,
    command: str,
    cluster: str | None,
    quick: bool,
    judge: Callable[[CommandResult, bool], Outcome],
    probe_wait: bool = False,
) -> Outcome:
    """Run `command` until `judge(result, quick)` holds; with `hold:`, until it has held that long.

    The claim's command is shown once, as a person types it, with how its last try ended; every try
    is plumbing (the transcript, --verbose). `probe_wait`: the claim judges only the exit code, so a
    `kubectl wait --for=condition=` command may first be answered by one quiet `kubectl get`
    (claims/wait_probe.py)."""
    tries = 0
    shown: list[tuple[str, float, float]] = []  # (display, time.time(), monotonic) of the first try
    last: list[CommandResult] = []

    def attempt(remaining: float) -> Outcome:
        nonlocal tries
        # Whole seconds, rounded up: the first try shows the check's own timeout (3m -> 180s).
        budget = 0 if quick else max(1, math.ceil(remaining - 0.01))
        argv = ctx.argv(command, cluster, extra={"timeout": f"{budget}s"})
        tries += 1
        if tries == 1:
            shown.append((ctx.display(argv, cluster), time.time(), time.monotonic()))
            ctx.shell.announce(shown[0][0], cluster)
            probed = _probe(ctx, argv, cluster) if probe_wait else None
            if probed is not None:
                outcome = judge(probed, quick)
                if outcome.ok:
                    last[:] = [probed]
                    return Outcome(True, outcome.expected, outcome.seen, rerun=probed.display)
        try:
            result = ctx.run(
                argv, cluster=cluster, timeout=budget + timeouts.POLL_SLACK, ok_codes=ALL_CODES, quiet=True
            )
        except ToolTimeout as exc:
            last[:] = [exc.result]
            return Outcome(False, "an answer", f"no answer within {exc.timeout:g}s", rerun=exc.result.display)
        last[:] = [result]
        outcome = judge(result, quick)
        return Outcome(outcome.ok, outcome.expected, outcome.seen, outcome.final, result.display)

    try:
        if quick:
            return attempt(0.0)
        outcome = poll(attempt, ctx.scaled(check.timeout), check.interval)
        if outcome.ok and spec.hold:
            return _held(attempt, ctx.scaled(spec.hold), check.interval, outcome)
        return outcome
    finally:
        if shown and last:
            display, started, t0 = shown[0]
            ctx.shell.announce_finished(
                dataclasses.replace(last[0], display=display, started=started, duration=time.monotonic() - t0)
            )

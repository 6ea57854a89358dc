"""Verify one claim: its kind's evaluation, timed, as a CheckResult."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from liqo_tutor.claims.base import Outcome
from liqo_tutor.claims.registry import get
from liqo_tutor.errors import CaptureMissing
from liqo_tutor.results import CheckResult, Status

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["run_check"]


def run_check(ctx: Context, check: Check, cluster: str | None, *, quick: bool = False) -> CheckResult:
    """Verify one claim (polling until its deadline unless `quick`)."""
    t0 = time.monotonic()
    try:
        claim = ctx.text(check.claim, cluster, extra={"timeout": ""})
        outcome = get(check.kind).evaluate(ctx, check, cluster, quick)
    except CaptureMissing as exc:
        step = ctx.tutorial.step(ctx.step_id)
        if step is None or not step.teardown:
            raise
        # A teardown works from any partial state: what was never saved was never set up either.
        claim = check.claim
        outcome = Outcome(False, "", f"not applicable: {exc.key} was never saved", skipped=True)
    status = Status.SKIPPED if outcome.skipped else Status.PASSED if outcome.ok else Status.FAILED
    message = (
        "" if outcome.ok or outcome.skipped else f"{claim}: expected {outcome.expected}, saw {outcome.seen}"
    )
    if not outcome.ok and outcome.rerun:
        message += f" (last command: {outcome.rerun})"
    return CheckResult(
        claim=claim,
        status=status,
        expected=outcome.expected,
        seen=outcome.seen,
        duration=time.monotonic() - t0,
        message=message,
        hint=ctx.text(check.hint, cluster) if check.hint else None,
    )

"""One step: its actions (guards, `unless` probes, bring-your-own bookkeeping), its claims, its result."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from liqo_tutor import claims, diagnostics, explain, verbs
from liqo_tutor.context import Context
from liqo_tutor.engine import parallel
from liqo_tutor.engine.act import StepError
from liqo_tutor.engine.resolve import applicable, targets
from liqo_tutor.errors import Interrupted, LiqoTutorError, ToolFailed, ToolGarbled, ToolTimeout
from liqo_tutor.results import CheckResult, Status, StepResult
from liqo_tutor.tools.liqoctl import last_error
from liqo_tutor.tutorial import Step

if TYPE_CHECKING:
    from liqo_tutor.engine.session import Session

__all__ = ["execute", "holds", "no_skip", "skipped"]


@dataclasses.dataclass
class _Verdict:
    status: Status = Status.PASSED
    message: str = ""
    rerun: str | None = None
    hint: str | None = None


def no_skip(s: Session, step: Step) -> str | None:
    """None when skipping `step` is safe: it only observes (probe pods), or no later step needs it."""
    if all(verbs.get(a.kind).probe for a in step.actions):
        return None
    ids = [st.id for st in s.tut.main_steps]
    after = ids[ids.index(step.id) + 1:] if step.id in ids else []
    if not after:
        return None
    return f"{', '.join(after)} need{'s' if len(after) == 1 else ''} what {step.id} sets up"


def skipped(s: Session, step: Step, why: str, checks: tuple[CheckResult, ...] = ()) -> None:
    s.reporter.step_started(step.id, step.title, step.explain)
    res = StepResult(step_id=step.id, title=step.title, status=Status.SKIPPED, message=why, checks=checks)
    s.reporter.step_finished(res)
    s.results.append(res)


def holds(s: Session, ctx: Context, step: Step) -> tuple[CheckResult, ...] | None:
    """The step's checks, each tried once; None if any does not hold (or there is nothing to check)."""
    checks = applicable(step.checks, ctx.line)
    if not checks:
        return None
    results = []
    for check in checks:
        for cluster in targets(s.tut, check.each, check.cluster):
            try:
                res = claims.run_check(ctx, check, cluster, quick=True)
            except Interrupted:
                raise
            except LiqoTutorError:  # unreadable output, a timeout: not verified, so run the step
                return None
            if not res.status.ok:
                return None
            results.append(res)
    return tuple(results)


def _attempt(s: Session, ctx: Context, step: Step, teardown: bool, checks: list[CheckResult]) -> _Verdict:
    """Run the step's actions and claims; how it went (exceptions that end the run propagate)."""
    step_hint = ctx.text(step.hint, None) if step.hint else None
    try:
        if any(verbs.get(a.kind).creates_cluster for a in step.actions):
            s.preflight(create=True)
        ran = parallel.actions(s, ctx, step)
        # A teardown step whose actions all found nothing to undo has nothing to verify; one
        # without applicable actions still verifies its claims.
        if not teardown or ran or not applicable(step.actions, ctx.line):
            for res in parallel.checks(s, ctx, step, teardown=teardown):
                checks.append(res)
                s.reporter.check_finished(step.id, res)
                if not res.status.ok:
                    raise StepError(Status.FAILED, res.message, hint=res.hint or step_hint)
        return _Verdict()
    except StepError as exc:
        return _Verdict(exc.status, exc.message, None, exc.hint)
    except Interrupted:
        s.state.set_step(step.id, "failed")
        raise
    except ToolTimeout as exc:
        return _Verdict(Status.TIMED_OUT, exc.message, exc.result.display, exc.hint or step_hint)
    except ToolFailed as exc:
        err = None if isinstance(exc, ToolGarbled) else last_error(exc.result.stdout, exc.result.stderr)
        message = exc.message if err is None or err in exc.message else f"{exc.message} ({err})"
        return _Verdict(Status.FAILED, message, exc.result.display, exc.hint or step_hint)
    except LiqoTutorError as exc:
        return _Verdict(Status.FAILED, exc.message, None, exc.hint or step_hint)
    finally:
        ctx.end_step()


def execute(
    s: Session, ctx: Context, step: Step, *, teardown: bool = False, verifying: bool = False
) -> StepResult:
    """Run one step and report it; the result says how it went (also recorded in the state)."""
    s.reporter.step_started(step.id, step.title, step.explain)
    ctx.begin_step(step.id)
    t0 = time.monotonic()
    checks: list[CheckResult] = []
    before = explain.snapshots(s.shell) if s.opts.explain and not teardown else None
    s.before = checks  # claims verified before an action join the step's checks
    s.early = {}
    s.undone_on = set()
    verdict = _attempt(s, ctx, step, teardown, checks)
    if not teardown:
        s.state.set_step(step.id, "done" if verdict.status.ok else "failed")
    if verifying and verdict.status.ok:
        verdict = _Verdict(Status.SKIPPED, "already done: verified live by probing again")
    if before is not None:
        after = explain.snapshots(s.shell)
        for cluster, lines in explain.describe(before, after).items():
            ctx.show(f"what changed in {cluster}", "\n".join(lines))
    step_res = StepResult(
        step_id=step.id,
        title=step.title,
        status=verdict.status,
        duration=time.monotonic() - t0,
        checks=tuple(checks),
        commands=ctx.step_commands(),
        message=verdict.message,
        rerun=verdict.rerun,
        hint=verdict.hint,
    )
    if not verdict.status.ok:
        step_res = _diagnose(s, ctx, step_res)
    s.reporter.step_finished(step_res)
    s.results.append(step_res)
    return step_res


def _diagnose(s: Session, ctx: Context, res: StepResult) -> StepResult:
    """Collect the YAML's diagnostics from every cluster; quietly (transcript only)."""
    try:
        folder = diagnostics.collect(ctx, res, s.shell)
    except Interrupted:
        raise
    except (LiqoTutorError, OSError):
        folder = None
    if folder is None:
        return res
    shown = os.path.relpath(folder, Path.cwd()) if folder.is_relative_to(Path.cwd()) else str(folder)
    return dataclasses.replace(res, diagnostics=shown)

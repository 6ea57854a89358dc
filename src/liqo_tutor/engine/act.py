"""One action on one cluster: guards, `unless` probes, `before:` claims, bring-your-own bookkeeping."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liqo_tutor import claims, verbs
from liqo_tutor.context import Context
from liqo_tutor.engine.resolve import applicable, targets
from liqo_tutor.errors import LiqoTutorError
from liqo_tutor.results import Status
from liqo_tutor.shell import quiet
from liqo_tutor.tutorial import Action

if TYPE_CHECKING:
    from liqo_tutor.engine.session import Session

__all__ = ["StepError", "action"]


class StepError(Exception):
    """A step stops here with this status and message (a claim does not hold)."""

    def __init__(self, status: Status, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hint = hint



def action(s: Session, ctx: Context, act: Action, cluster: str | None) -> int:
    """Run one action on one cluster unless a guard or `unless` says otherwise; 1 if it ran."""
    if not _wanted(s, ctx, act, cluster):
        return 0
    byo = cluster is not None and ctx.clusters[cluster].byo
    if byo and act.undoes and cluster is not None and not s.state.recorded(act.undoes, cluster):
        ctx.note(f"left alone on {cluster}: it was there before liqo-tutor ({act.undoes})")
        return 0
    if byo and act.records and cluster is not None:
        # Recorded before running: an interrupted action still gets undone by teardown.
        s.state.record(act.records, cluster)
    _claims_before(s, ctx, act, cluster)
    verb = verbs.get(act.kind)
    new_cluster = verb.creates_cluster and cluster is not None and not s.state.created(cluster)
    try:
        verb.run(ctx, act, cluster)
    except LiqoTutorError as exc:
        if act.hint is not None and exc.hint in (None, act.hint):
            exc.hint = ctx.text(act.hint, cluster)  # the YAML's hint, its variables filled in
        raise
    if new_cluster and cluster is not None and s.state.created(cluster):
        s.fresh.add(cluster)
    if byo and act.undoes and cluster is not None:
        s.state.forget(act.undoes, cluster)
    if act.each and cluster is not None:
        s.undone_on.add(cluster)
    return 1


def _wanted(s: Session, ctx: Context, act: Action, cluster: str | None) -> bool:
    """False when a guard does not hold, or every `unless` claim already does (asked quietly)."""
    where = f" on {cluster}" if cluster else ""
    for guard in act.guards:
        with quiet():
            res = claims.run_check(ctx, guard, cluster if not guard.cluster else guard.cluster, quick=True)
        if not res.status.ok:
            ctx.note(f"nothing to do{where}: not the case that {res.claim}")
            return False
    if not act.unless or cluster in s.fresh:
        return True  # a cluster this run has just created holds nothing yet: no need to ask
    with quiet():
        held = [
            claims.run_check(ctx, c, cluster if not c.cluster else c.cluster, quick=True) for c in act.unless
        ]
    if all(r.status.ok for r in held):
        ctx.note(f"already done{where}: {held[0].claim}")
        return False
    return True


def _claims_before(s: Session, ctx: Context, act: Action, cluster: str | None) -> None:
    """The action's `before:` claims (polled like a step's checks), each reported as it is verified."""
    for check in applicable(act.before, ctx.line):
        for target in targets(s.tut, check.each, check.cluster or cluster):
            res = claims.run_check(ctx, check, target)
            s.before.append(res)
            s.reporter.check_finished(ctx.step_id, res)
            if not res.status.ok:
                raise StepError(Status.FAILED, res.message, hint=res.hint)

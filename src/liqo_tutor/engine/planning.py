"""The plan: every step with the commands as they will be displayed and the claims (show, --dry-run)."""

from __future__ import annotations

from liqo_tutor import claims, verbs
from liqo_tutor.context import Context
from liqo_tutor.engine.model import Plan, PlanCommand, PlanStep, RunOptions
from liqo_tutor.engine.observe import NullReporter, ReporterObserver
from liqo_tutor.engine.resolve import applicable, make_context, make_shell, targets
from liqo_tutor.lines import detect_line
from liqo_tutor.results import Reporter, RunResult, Status, StepResult
from liqo_tutor.shell import Observer
from liqo_tutor.state import State
from liqo_tutor.tutorial import Step, Tutorial

__all__ = ["build_plan", "dry_run"]


def build_plan(tut: Tutorial, opts: RunOptions, state: State, observer: Observer | None = None) -> Plan:
    """The resolved steps for the line liqoctl belongs to (else --line, the recorded line, the default)."""
    shell = make_shell(tut, opts, observer)
    detected = detect_line(tut, shell, forced=opts.line, recorded=state.line, strict=False)
    ctx = make_context(tut, opts, state, NullReporter(), shell, detected.line, detected.version)
    ctx.planning = True
    return Plan(
        tutorial=tut.name,
        title=tut.title,
        line=detected.line,
        liqo_version=detected.version,
        steps=tuple(_plan_step(tut, ctx, step, opts.options) for step in tut.steps),
        exports=tuple((info.spec.env, str(info.kubeconfig)) for info in ctx.clusters.values()),
    )


def _plan_step(tut: Tutorial, ctx: Context, step: Step, options: frozenset[str]) -> PlanStep:
    line = ctx.line
    commands: list[PlanCommand] = []
    for action in applicable(step.actions, line):
        if action.option is not None and action.option not in options:
            continue
        for cluster in targets(tut, action.each, action.cluster):
            commands.extend(verbs.get(action.kind).plan(ctx, action, cluster))
    before = [
        (c, cl)
        for a in applicable(step.actions, line)
        for a_cl in targets(tut, a.each, a.cluster)
        for c in applicable(a.before, line)
        for cl in targets(tut, c.each, c.cluster or a_cl)
    ]
    after = [(c, cl) for c in applicable(step.checks, line) for cl in targets(tut, c.each, c.cluster)]
    return PlanStep(
        id=step.id,
        title=step.title,
        explain=step.explain,
        teardown=step.teardown,
        commands=tuple(commands),
        checks=tuple(claims.get(c.kind).describe(ctx, c, cl) for c, cl in before + after),
    )


def dry_run(tut: Tutorial, opts: RunOptions, state: State, reporter: Reporter) -> RunResult:
    """Tell the plan's main steps as a run would, executing nothing but the client version read."""
    observer = ReporterObserver(reporter, verbose=opts.verbose, transcript=None)
    p = build_plan(tut, opts, state, observer)
    steps = [s for s in p.steps if not s.teardown]
    reporter.run_started(tut.name, tut.title, p.line, [s.id for s in steps])
    reporter.note(f"dry run: Liqo line {p.line} (installing {p.liqo_version}); nothing is executed")
    results = []
    for s in steps:
        reporter.step_started(s.id, s.title, s.explain)
        for c in s.commands:
            reporter.note(
                f"would run{f' on {c.cluster}' if c.cluster else ''}: {c.display}"
                + (f"  ({c.when})" if c.when else "")
            )
        for claim in s.checks:
            reporter.note(f"would verify: {claim}")
        # Not "finished": nothing ran, so there is no verdict to show, only the plan.
        results.append(StepResult(step_id=s.id, title=s.title, status=Status.PENDING, message="dry run"))
    reporter.note(f"dry run: {len(steps)} steps planned, nothing was executed")
    return RunResult(tutorial=tut.name, line=p.line, steps=tuple(results), duration=0.0)

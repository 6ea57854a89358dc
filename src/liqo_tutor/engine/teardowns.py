"""Teardown from any partial state, in reverse order, then proof that nothing is left behind."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from liqo_tutor import kubeconfigs
from liqo_tutor.captures import captures_path
from liqo_tutor.context import Context
from liqo_tutor.engine import steps as step_runner
from liqo_tutor.engine.resolve import clusters_of
from liqo_tutor.errors import Interrupted, LiqoTutorError
from liqo_tutor.results import Status, StepResult
from liqo_tutor.shell import quiet
from liqo_tutor.timeouts import POD_CALL
from liqo_tutor.tools import kind as kind_tool
from liqo_tutor.tools import kubectl

if TYPE_CHECKING:
    from liqo_tutor.engine.session import Session

__all__ = ["forget_progress", "nothing_to_tear_down", "teardown_body"]


def nothing_to_tear_down(s: Session) -> bool:
    """Nothing recorded and no kubeconfig of ours in the workdir: a teardown would find nothing."""
    if s.opts.clusters or s.opts.replace or s.state.undo or s.state.kubeconfigs:
        return False
    if any(s.state.created(c.name) for c in s.tut.clusters) or s.state.pods():
        return False
    return not any(info.kubeconfig.exists() for info in clusters_of(s.tut, s.opts).values())


def forget_progress(s: Session) -> None:
    """Steps back to pending and the saved outputs gone (a fresh start, after a clean teardown)."""
    s.state.reset_steps()
    captures_path(s.opts.workdir).unlink(missing_ok=True)


def teardown_body(s: Session, *, announce: bool) -> Context:
    """The teardown steps (failures noted, never stopping), then the check for leftovers."""
    steps = list(s.tut.teardown_steps)
    ctx = s.start(steps, need_line=False) if announce else (s.ctx or s.start(steps, need_line=False))
    own_at_start = [n for n, i in ctx.clusters.items() if not i.byo and s.state.created(n)]
    _undo_pods(s, ctx)  # a probe pod left behind by an interruption: a visible clean-up
    for step in steps:
        step_runner.execute(s, ctx, step, teardown=True)
    leftovers = _leftovers(s, ctx, own_at_start)
    if leftovers:
        what = ", ".join(leftovers)
        ctx.note("could not remove: " + what)
        _leftovers_result(s, what)
    else:
        forget_progress(s)
        ctx.note("teardown complete: nothing left behind")
    s.state.save()
    return ctx


def _leftovers(s: Session, ctx: Context, own_at_start: list[str]) -> list[str]:
    """What is still there: our clusters, the kubeconfig files we wrote, probe pods, kind contexts."""
    leftovers: list[str] = []
    own = [n for n, i in ctx.clusters.items() if not i.byo and s.state.created(n)]
    if own:
        try:
            with quiet():
                listed = s.shell.run(shlex.split(s.tut.provider.list))
            existing = kind_tool.parse_clusters(listed.stdout)
            leftovers += [f"cluster {n}" for n in own if n in existing]
        except LiqoTutorError as exc:
            leftovers.append(f"could not list clusters ({exc.message})")
    for kc in list(s.state.kubeconfigs):
        if Path(kc).exists():
            leftovers.append(f"kubeconfig {kc}")
        else:
            s.state.kubeconfigs.remove(kc)
    with quiet():
        leftovers += _leftover_pods(s, ctx)
    for path in kubeconfigs.default_paths(s.opts.env):
        names = kubeconfigs.contexts(path)
        leftovers += [
            f"context {c} in {path} (`kubectl config delete-context {c}`)"
            for c in (kubeconfigs.KIND_CONTEXT.format(cluster=n) for n in own_at_start)
            if c in names
        ]
    return leftovers


def _recorded_pods(s: Session) -> list[tuple[str, str, str]]:
    return [(p.get("cluster", ""), p.get("namespace", ""), p.get("name", "")) for p in s.state.pods()]


def _undo_pods(s: Session, ctx: Context) -> None:
    """Delete the probe pods an interrupted step left behind (newest first); absence is fine."""
    for cluster, ns, name in _recorded_pods(s):
        info = ctx.clusters.get(cluster)
        if info is None or not info.kubeconfig.exists():
            continue  # its cluster is gone or unknown: checked again at the end
        try:
            s.shell.run(
                kubectl.delete_pod(name, ns), cluster=cluster, timeout=s.shell.scaled(POD_CALL)
            )
        except Interrupted:
            raise
        except LiqoTutorError as exc:
            ctx.note(f"could not delete the pod {ns}/{name} in {cluster}: {exc.message}")
            continue
        s.state.drop_pod(cluster, ns, name)


def _leftover_pods(s: Session, ctx: Context) -> list[str]:
    """Recorded probe pods still present; records of pods whose cluster is gone are dropped."""
    out = []
    for cluster, ns, name in _recorded_pods(s):
        info = ctx.clusters.get(cluster)
        if info is None or not info.kubeconfig.exists():
            if info is None or not info.byo:
                s.state.drop_pod(cluster, ns, name)  # deleted with its cluster
                continue
            out.append(f"pod {ns}/{name} in {cluster} (its kubeconfig is missing)")
            continue
        try:
            res = s.shell.run(
                kubectl.get_pod_name(name, ns), cluster=cluster, timeout=s.shell.scaled(POD_CALL)
            )
        except Interrupted:
            raise
        except LiqoTutorError:
            out.append(f"pod {ns}/{name} in {cluster} (could not check)")
            continue
        if res.stdout.strip():
            out.append(f"pod {ns}/{name} in {cluster}")
        else:
            s.state.drop_pod(cluster, ns, name)
    return out


def _leftovers_result(s: Session, what: str) -> None:
    res = StepResult(
        step_id="nothing-left",
        title="Verify that nothing is left",
        status=Status.FAILED,
        message=f"could not remove: {what}",
        hint="remove these by hand, or run `liqo-tutor teardown` again once the cause is fixed",
    )
    s.reporter.step_started(res.step_id, res.title, "")
    s.reporter.step_finished(res)
    s.results.append(res)

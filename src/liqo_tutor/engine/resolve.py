"""Loading a tutorial for a workdir and resolving what every step needs: clusters, line, Context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from liqo_tutor import loader
from liqo_tutor.constants import DEFAULT_TUTORIAL
from liqo_tutor.context import ClusterInfo, Context
from liqo_tutor.engine.model import RunOptions
from liqo_tutor.errors import InputError
from liqo_tutor.results import Reporter
from liqo_tutor.shell import ClusterShell, Observer
from liqo_tutor.state import State
from liqo_tutor.tools import helm
from liqo_tutor.tutorial import Tutorial

__all__ = ["applicable", "clusters_of", "in_progress", "load", "make_context", "make_shell", "targets"]

T = TypeVar("T")


def in_progress(state: State) -> bool:
    """Anything recorded that a teardown would undo, or a step done or failed."""
    return bool(state.clusters_created or state.kubeconfigs or state.undo or any(
        v in ("done", "failed") for v in state.steps.values()))


def load(tutorial: str | None, opts: RunOptions, *, exclusive: bool = False) -> tuple[Tutorial, State]:
    """The tutorial (by name, else the one in progress here, else the default) and the workdir state.

    `exclusive` (run, step, teardown, status): a workdir holds one tutorial's progress; another
    tutorial in progress there stops the command at once, saying what to do.
    """
    state = State.load(opts.workdir)
    name = tutorial or state.tutorial or DEFAULT_TUTORIAL
    tut = loader.load(name, opts.steps_dir)
    if exclusive and state.tutorial not in (None, tut.name) and in_progress(state):
        raise InputError(
            f"this workdir holds the tutorial {state.tutorial} in progress; {tut.name} cannot share it",
            hint=f"finish it, or remove it with `liqo-tutor teardown {state.tutorial}`; or run {tut.name} "
            "in another directory (--workdir DIR)",
        )
    unknown = sorted(set(opts.clusters) - {c.name for c in tut.clusters})
    if unknown:
        raise InputError(
            f"unknown cluster {unknown[0]!r} in --cluster (the tutorial has: "
            f"{', '.join(c.name for c in tut.clusters)})"
        )
    if opts.line is not None and opts.line not in tut.lines:
        raise InputError(
            f"unknown Liqo line {opts.line!r} (supported: "
            + "; ".join(f"{n}: {ln.range}" for n, ln in tut.lines.items())
            + ")"
        )
    return tut, state


def clusters_of(tut: Tutorial, opts: RunOptions) -> dict[str, ClusterInfo]:
    """Each cluster's kubeconfig: the workdir's file, or the one given with --cluster (bring your own)."""
    out: dict[str, ClusterInfo] = {}
    for spec in tut.clusters:
        ref = opts.clusters.get(spec.name)
        if ref is not None:
            out[spec.name] = ClusterInfo(
                spec=spec, kubeconfig=ref.kubeconfig.expanduser().resolve(), context=ref.context, byo=True
            )
        else:
            out[spec.name] = ClusterInfo(spec=spec, kubeconfig=(opts.workdir / spec.kubeconfig).resolve())
    return out


def make_shell(tut: Tutorial, opts: RunOptions, observer: Observer | None = None) -> ClusterShell:
    """The shell every command of this tutorial in this workdir runs through."""
    workdir = opts.workdir.resolve()
    return ClusterShell(
        # helm keeps its repositories under the workdir (tools/helm.py), as the Context's commands do.
        env={**helm.env(workdir), **opts.env},
        workdir=workdir,
        clusters=clusters_of(tut, opts),
        timeout_scale=opts.timeout_scale,
        observer=observer,
    )


def make_context(
    tut: Tutorial,
    opts: RunOptions,
    state: State,
    reporter: Reporter,
    shell: ClusterShell,
    line: str,
    version: str,
) -> Context:
    return Context(
        tut,
        line=line,
        liqo_version=version,
        workdir=opts.workdir.resolve(),
        env=opts.env,
        clusters=clusters_of(tut, opts),
        timeout_scale=opts.timeout_scale,
        state=state,
        reporter=reporter,
        replace=opts.replace,
        shell=shell,
        overlap=not opts.sequential,
    )


def applicable(items: Sequence[T], line: str) -> list[T]:
    """The actions or checks that apply on `line` (those without `lines:` apply on every line)."""
    return [i for i in items if not getattr(i, "lines", ()) or line in getattr(i, "lines", ())]


def targets(tut: Tutorial, each: bool, cluster: str | None) -> list[str | None]:
    """The clusters an action or check runs on: every cluster with `each:`, else its own (or none)."""
    if each:
        return [c.name for c in tut.clusters]
    return [cluster]

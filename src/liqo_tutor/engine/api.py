"""The engine's entry points for the CLI: run, step, teardown, plan, status, env exports, doctor."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from liqo_tutor import doctor, loader
from liqo_tutor.engine.model import ClusterStatus, Plan, RunOptions, StatusReport
from liqo_tutor.engine.observe import NullReporter
from liqo_tutor.engine.planning import build_plan, dry_run
from liqo_tutor.engine.resolve import clusters_of, load, make_context, make_shell
from liqo_tutor.errors import InputError, LiqoTutorError
from liqo_tutor.lines import detect_line, in_range, parse_version, version_from_output
from liqo_tutor.results import CommandResult, Reporter, RunResult
from liqo_tutor.state import CorruptState, State
from liqo_tutor.tools import kind as kind_tool

if TYPE_CHECKING:
    from liqo_tutor.engine.session import Session

__all__ = ["diagnose", "env_exports", "list_tutorials", "plan", "run", "run_step", "status", "teardown"]


def _session() -> type[Session]:
    """The run machinery, imported when a run starts (status, plan and env do not need it)."""
    from liqo_tutor.engine.session import Session

    return Session


def list_tutorials(steps_dir: Path | None = None) -> list[tuple[str, str]]:
    return loader.list_tutorials(steps_dir)


def env_exports(tutorial: str | None, opts: RunOptions) -> list[tuple[str, str]]:
    """[(KUBECONFIG, /abs/liqo_kubeconf_london), (KUBECONFIG_NEWYORK, ...)] as the tutorial exports them."""
    tut, _ = load(tutorial, opts)
    return [(info.spec.env, str(info.kubeconfig)) for info in clusters_of(tut, opts).values()]


def status(tutorial: str | None, opts: RunOptions) -> StatusReport:
    """Which steps are done (as recorded) and which clusters exist (asked live, quietly)."""
    tut, state = load(tutorial, opts, exclusive=True)
    clusters = clusters_of(tut, opts)
    existing: list[str] = []
    if any(not c.byo for c in clusters.values()):
        try:
            listed = make_shell(tut, opts).run(shlex.split(tut.provider.list))
            existing = kind_tool.parse_clusters(listed.stdout)
        except LiqoTutorError:
            existing = []
    report = [
        ClusterStatus(
            name=name,
            exists=(info.kubeconfig.exists() if info.byo else name in existing),
            kubeconfig=str(info.kubeconfig),
            created_by_us=state.created(name),
        )
        for name, info in clusters.items()
    ]
    steps = {s.id: state.steps.get(s.id, "pending") for s in tut.main_steps}
    return StatusReport(tutorial=tut.name, line=state.line, steps=steps, clusters=report)


def plan(tutorial: str | None, opts: RunOptions) -> Plan:
    """The resolved steps, commands as they will be displayed, and claims: for `show` and --dry-run."""
    tut, state = load(tutorial, opts)
    return build_plan(tut, opts, state)


def run(tutorial: str | None, opts: RunOptions, reporter: Reporter) -> RunResult:
    """Run the tutorial's main steps; steps that still hold live are skipped, the first that does not runs."""
    tut, state = load(tutorial, opts, exclusive=not opts.dry_run)
    if opts.dry_run:
        return dry_run(tut, opts, state, reporter)
    return _session()(tut, opts, state, reporter).run_main()


def run_step(tutorial: str | None, step_id: str, opts: RunOptions, reporter: Reporter) -> RunResult:
    """Run one step; every earlier main step must hold live first."""
    tut, state = load(tutorial, opts, exclusive=True)
    if tut.step(step_id) is None:
        raise InputError(
            f"unknown step {step_id!r} in {tut.name} (steps: {', '.join(s.id for s in tut.steps)})"
        )
    return _session()(tut, opts, state, reporter).run_one(step_id)


def teardown(tutorial: str | None, opts: RunOptions, reporter: Reporter) -> RunResult:
    """Undo everything from any partial state, in reverse order; absence is never an error."""
    try:
        tut, state = load(tutorial, opts, exclusive=True)
    except CorruptState:
        # Teardown must work from anything: keep the unreadable file for inspection, go on without it.
        aside = State.set_aside(opts.workdir)
        reporter.note(
            f"the state file was corrupt: set aside as {aside.name}; clusters it recorded are unknown now "
            "and left alone unless you pass --replace"
        )
        tut, state = load(tutorial, opts, exclusive=True)
    return _session()(tut, opts, state, reporter).run_teardown()


def diagnose(tutorial: str | None, opts: RunOptions, *, kernel: str | None = None) -> list[doctor.Finding]:
    """`liqo-tutor doctor`: every host check, with the tutorial's supported Liqo lines and cluster version."""
    tut, state = load(tutorial, opts)
    shell = make_shell(tut, opts)
    detected = detect_line(tut, shell, forced=opts.line, recorded=state.line, strict=False)
    ctx = make_context(tut, opts, state, NullReporter(), shell, detected.line, detected.version)

    def accept(text: str) -> str | None:
        found = version_from_output(tut.detect, text)
        if found is None:
            return None
        try:
            parsed = parse_version(found)
        except ValueError:
            return None
        return next((name for name, ln in tut.lines.items() if in_range(parsed, ln.range)), None)

    def run(argv: list[str], *, env: object = None, timeout: float) -> CommandResult:
        return shell.run(argv, timeout=shell.scaled(timeout))

    node_version = None
    if tut.clusters[0].kind_config:
        node_version = kind_tool.node_version(Path(ctx.text("{kind_config}", tut.clusters[0].name)))
    return doctor.diagnose(
        run,
        opts.env,
        workdir=opts.workdir,
        supported={name: ln.range for name, ln in tut.lines.items()},
        accept=accept,
        cluster_version=node_version,
        kernel=kernel,
    )

"""The typer app: parse options, build RunOptions, call the engine, print or write the result.

Errors become messages and exit codes in cli_errors.py only; the options and the children's
environment are in cli_options.py. Heavy modules (engine, rich, sh) are imported inside the
commands so `--help` and `list` stay fast; their types are imported for the type checker only.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from liqo_tutor import __version__, ui
from liqo_tutor.cli_errors import TERMINATE_GRACE, Group, guard, stop_children
from liqo_tutor.cli_options import (
    Clusters,
    DryRun,
    Explain,
    FromStep,
    Interactive,
    Json,
    Junit,
    Line,
    NoColor,
    Preload,
    Replace,
    Report,
    Restart,
    Sequential,
    Simulate,
    StepsDir,
    TeardownAfter,
    TimeoutScale,
    ToStep,
    TutorialArg,
    Verbose,
    Workdir,
    build_env,
    clusters,
    parse_cluster,
    preload,
    workdir_of,
)
from liqo_tutor.constants import PROG, STATE_DIR_NAME
from liqo_tutor.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, InputError

if TYPE_CHECKING:
    from liqo_tutor.results import Reporter, RunResult

__all__ = ["TERMINATE_GRACE", "app", "build_env", "main", "parse_cluster"]


app = typer.Typer(
    cls=Group,
    name=PROG,
    help="Run the Liqo tutorials end to end and verify every claim they make.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        ui.print_note(f"{PROG} {__version__}", err=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Run the Liqo tutorials end to end and verify every claim they make."""


# ---- plumbing -----------------------------------------------------------------------------------


def _exit_code_of(result: RunResult) -> int:
    statuses = {s.status.value for s in result.steps}
    if "interrupted" in statuses:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_FAILED


def _write_reports(result: RunResult, report: Path | None, junit: Path | None) -> None:
    from liqo_tutor import report as report_mod

    for path, write in ((report, report_mod.write_json), (junit, report_mod.write_junit)):
        if path is None:
            continue
        try:
            write(result, path.expanduser())
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}",
                             hint="pick a writable path") from None


def _stop_idle_playground(wd: Path) -> None:
    """After a clean teardown nothing of the playground may keep running: its server has no cluster left."""
    sim = importlib.import_module("liqo_tutor.sim")
    client = importlib.import_module("liqo_tutor.sim.client")
    simdir = sim.simdir_for(wd)
    control = client.connect(simdir)
    if control is None:
        return
    try:
        idle = not control.clusters()
    except (client.DaemonError, client.ControlError):
        idle = True
    if idle:
        client.stop(simdir)
    else:
        ui.print_note("note: the simulated playground still runs clusters this tutorial does not know "
                      "(`liqo-tutor env --simulate` lets you list and delete them with kind)")


def _run_with_reporter(json_out: bool, verbose: bool, wd: Path, dry_run: bool,
                       call: Callable[[Reporter], RunResult], *, report: Path | None = None,
                       junit: Path | None = None,
                       on_reporter: Callable[[ui.TerminalReporter], None] | None = None) -> int:
    """Run an engine call with a reporter under the workdir's run lock; print and write the result.

    The engine tells the reporter everything, commands included, and keeps the transcript itself.
    """
    from liqo_tutor import report as report_mod
    from liqo_tutor.tools import runner

    # With --json, stdout carries only the JSON document; progress goes to stderr.
    reporter: ui.TerminalReporter
    if json_out:
        reporter = ui.PlainReporter(sys.stderr, verbose=verbose)
    else:
        reporter = ui.make_reporter(verbose=verbose)
    if on_reporter is not None:
        on_reporter(reporter)
    runner.reset()
    lock = None
    if not dry_run:
        from liqo_tutor.lock import RunLock

        # One run at a time per workdir: a second one stops here, before touching anything.
        lock = RunLock(wd, "liqo-tutor " + " ".join(sys.argv[1:]))
        try:
            lock.acquire()
        except BaseException:
            reporter.close()
            raise
    if not dry_run:
        (wd / STATE_DIR_NAME).mkdir(exist_ok=True)
    try:
        result = call(reporter)
    finally:
        reporter.close()
        if lock is not None:
            lock.release()
    if json_out:
        ui.print_json(report_mod.to_json(result))
    _write_reports(result, report, junit)
    if dry_run:
        return 0  # the plan was resolved and shown: nothing ran, so nothing failed
    code = _exit_code_of(result)
    if code == EXIT_INTERRUPTED:
        return stop_children()
    return code


# ---- commands -----------------------------------------------------------------------------------


@app.command()
def run(
    tutorial: TutorialArg = None,
    from_step: FromStep = None,
    to_step: ToStep = None,
    teardown: TeardownAfter = False,
    restart: Restart = False,
    sequential: Sequential = False,
    replace: Replace = False,
    dry_run: DryRun = False,
    line: Line = None,
    cluster: Clusters = None,
    timeout_scale: TimeoutScale = 1.0,
    interactive: Interactive = False,
    explain: Explain = False,
    preload_images: Preload = False,
    report: Report = None,
    junit: Junit = None,
    simulate: Simulate = False,
    workdir: Workdir = None,
    verbose: Verbose = False,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Run a tutorial end to end (resumes where it stopped), verifying every claim."""

    def body() -> int:
        if timeout_scale <= 0:
            raise InputError(f"--timeout-scale must be positive, got {timeout_scale:g}")
        if interactive and (json_out or dry_run):
            raise InputError("--interactive cannot be combined with --json or --dry-run")
        if interactive and not sys.stdin.isatty():
            raise InputError("--interactive needs a terminal to read your answers from",
                             hint="run it in a terminal, or drop --interactive")
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=True)
        opts = engine.RunOptions(
            workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir, clusters=clusters(cluster),
            line=line.value if line else None, from_step=from_step, to_step=to_step, restart=restart,
            teardown_after=teardown, sequential=sequential, dry_run=dry_run, replace=replace,
            timeout_scale=timeout_scale, explain=explain, verbose=verbose, options=preload(preload_images))
        bind: Callable[[ui.TerminalReporter], None] | None = None
        if interactive:
            import dataclasses

            from liqo_tutor.learner import TerminalPrompter

            preview = {s.id: s for s in engine.plan(tutorial, opts).steps}
            prompter = TerminalPrompter(preview)
            opts = dataclasses.replace(opts, prompter=prompter)

            def bind(rep: ui.TerminalReporter) -> None:
                prompter.pause = rep.close

        return _run_with_reporter(json_out, verbose, wd, dry_run, lambda rep: engine.run(tutorial, opts, rep),
                                  report=report, junit=junit, on_reporter=bind)

    guard(body, no_color=no_color, workdir=workdir)


@app.command()
def step(
    step_id: Annotated[str, typer.Argument(metavar="STEP", help="The step to run (see `liqo-tutor show`).")],
    tutorial: Annotated[str | None, typer.Option("--tutorial", "-t", help="Tutorial name.")] = None,
    cluster: Clusters = None,
    explain: Explain = False,
    preload_images: Preload = False,
    report: Report = None,
    junit: Junit = None,
    simulate: Simulate = False,
    workdir: Workdir = None,
    verbose: Verbose = False,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Run one step (its earlier steps must be done)."""

    def body() -> int:
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=True)
        opts = engine.RunOptions(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir,
                                 clusters=clusters(cluster), explain=explain, verbose=verbose,
                                 options=preload(preload_images))
        return _run_with_reporter(json_out, verbose, wd, False,
                                  lambda rep: engine.run_step(tutorial, step_id, opts, rep),
                                  report=report, junit=junit)

    guard(body, no_color=no_color, workdir=workdir)


@app.command("teardown")
def teardown_cmd(
    tutorial: TutorialArg = None,
    replace: Replace = False,
    cluster: Clusters = None,
    report: Report = None,
    junit: Junit = None,
    simulate: Simulate = False,
    workdir: Workdir = None,
    verbose: Verbose = False,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Remove everything the tutorial created (unoffload, unpeer, uninstall, delete the clusters).

    With --cluster (your own clusters) only what liqo-tutor itself did there is undone.
    """

    def body() -> int:
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=True)
        opts = engine.RunOptions(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir,
                                 replace=replace, clusters=clusters(cluster), verbose=verbose)
        code = _run_with_reporter(json_out, verbose, wd, False,
                                  lambda rep: engine.teardown(tutorial, opts, rep),
                                  report=report, junit=junit)
        if simulate and code == EXIT_OK:
            _stop_idle_playground(wd)
        return code

    guard(body, no_color=no_color, workdir=workdir)


@app.command()
def doctor(
    tutorial: TutorialArg = None,
    simulate: Simulate = False,
    workdir: Workdir = None,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Check this machine for the tutorial: Docker and its daemon, resources, kind, kubectl, liqoctl, limits.

    Exits 1 when something must be fixed first; warnings (things that only may hurt) do not fail.
    """

    def body() -> int:
        import platform

        from liqo_tutor import doctor as doctor_mod
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=simulate)
        opts = engine.RunOptions(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir)
        kernel = platform.release() if sys.platform.startswith("linux") else None
        findings = engine.diagnose(tutorial, opts, kernel=kernel)
        code = doctor_mod.exit_code(findings)
        if json_out:
            ui.print_json({"ok": code == EXIT_OK, "findings": [f.to_json() for f in findings]})
        else:
            ui.print_doctor(findings)
        return code

    guard(body, no_color=no_color, workdir=workdir)


@app.command("list")
def list_cmd(json_out: Json = False, no_color: NoColor = False, steps_dir: StepsDir = None) -> None:
    """List the available tutorials."""

    def body() -> int:
        # The loader only (no engine, no validation): names, titles, clusters and Liqo lines.
        from liqo_tutor import catalog, loader

        tutorials = loader.list_tutorials(steps_dir)
        info = catalog.summaries(steps_dir)
        if json_out:
            ui.print_json([{"name": name, "title": title, **info.get(name, {})} for name, title in tutorials])
        else:
            ui.print_tutorials(tutorials, {name: catalog.describe(s) for name, s in info.items()})
        return EXIT_OK

    guard(body, no_color=no_color)


@app.command()
def show(
    tutorial: TutorialArg = None,
    line: Line = None,
    workdir: Workdir = None,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Show a tutorial as a lesson: its steps, why, the commands and what is verified."""

    def body() -> int:
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=False)
        opts = engine.RunOptions(workdir=wd, env=build_env(False, wd), steps_dir=steps_dir,
                                 line=line.value if line else None, dry_run=True)
        plan = engine.plan(tutorial, opts)
        if json_out:
            ui.print_json(plan.to_json())
        else:
            ui.print_plan(plan)
        return EXIT_OK

    guard(body, no_color=no_color, workdir=workdir)


@app.command()
def status(
    tutorial: TutorialArg = None,
    simulate: Simulate = False,
    workdir: Workdir = None,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Show which steps are done and which clusters exist."""

    def body() -> int:
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=simulate)
        opts = engine.RunOptions(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir)
        report = engine.status(tutorial, opts)
        if json_out:
            ui.print_json(report.to_json())
        else:
            ui.print_status(report)
        return EXIT_OK

    guard(body, no_color=no_color, workdir=workdir)


@app.command()
def env(
    tutorial: TutorialArg = None,
    simulate: Simulate = False,
    workdir: Workdir = None,
    json_out: Json = False,
    no_color: NoColor = False,
    steps_dir: StepsDir = None,
) -> None:
    """Print `export` lines for the tutorial's kubeconfigs: eval "$(liqo-tutor env)".

    With --simulate also PATH and the playground's variables, to explore it by hand.
    """

    def body() -> int:
        from liqo_tutor import engine

        wd = workdir_of(workdir, writable=simulate)
        full_env = build_env(simulate, wd)
        opts = engine.RunOptions(workdir=wd, env=full_env, steps_dir=steps_dir)
        exports: dict[str, str] = dict(engine.env_exports(tutorial, opts))
        if simulate:
            sim = importlib.import_module("liqo_tutor.sim")
            simdir = sim.simdir_for(wd)
            for key, value in sim.sim_env(simdir, wd).items():
                if key != "PATH":
                    exports[str(key)] = str(value)
            exports["PATH"] = full_env["PATH"]
        if json_out:
            ui.print_json(exports)
        else:
            ui.print_env(list(exports.items()))
        return EXIT_OK

    guard(body, no_color=no_color, workdir=workdir)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="A tutorial YAML file.", dir_okay=False)],
    json_out: Json = False,
    no_color: NoColor = False,
) -> None:
    """Check a tutorial file: schema, step references, variables; errors point at file:line."""

    def body() -> int:
        if not file.is_file():
            raise InputError(f"{file}: no such file")
        from liqo_tutor import loader

        tutorial = loader.validate(file)
        steps = [s.id for s in tutorial.steps]
        if json_out:
            ui.print_json({"file": str(file), "ok": True, "name": tutorial.name, "steps": steps})
        else:
            ui.print_note(f"{file}: ok ({len(steps)} steps: {', '.join(steps)})", err=False)
        return EXIT_OK

    guard(body, no_color=no_color)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point (`liqo-tutor`)."""
    app(args=list(argv) if argv is not None else None, prog_name=PROG)
    raise SystemExit(EXIT_OK)  # pragma: no cover - app() always exits

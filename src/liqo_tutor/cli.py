"""The typer app: parse options, build RunOptions, call the engine, map errors to exit codes.

The only place that turns errors into messages and exit codes (pre-commit's error_handler split):
LiqoTutorError -> one line + hint and its exit code; usage errors -> 2; Ctrl-C/SIGTERM -> stop the
children, say how to resume or clean up, 130; anything else -> 3 with a crash log in the workdir.
Heavy modules (engine, rich, sh) are imported inside the commands so `--help` and `list` stay fast.
"""

from __future__ import annotations

import atexit
import enum
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType, ModuleType
from typing import Annotated, Any, NoReturn

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from liqo_tutor import __version__, ui
from liqo_tutor.constants import CRASH_LOG, PROG, STATE_DIR_NAME, TRANSCRIPT_FILE
from liqo_tutor.errors import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    InputError,
    Interrupted,
    LiqoTutorError,
)

__all__ = ["app", "build_env", "main", "parse_cluster"]

TERMINATE_GRACE = 3.0

# liqo-tutor uses no pydantic plugin: skip their discovery (a scan of every installed package's
# metadata, about 25 ms of each start-up) unless the user's environment says otherwise. The
# variable is not passed on to the commands liqo-tutor runs (build_env).
_PLUGINS_VAR = "PYDANTIC_DISABLE_PLUGINS"
_PLUGINS_SET_HERE = _PLUGINS_VAR not in os.environ
if _PLUGINS_SET_HERE:
    os.environ[_PLUGINS_VAR] = "__all__"


class _Group(TyperGroup):
    """Runs the command without click's standalone handling so usage errors are one line, exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            code = super().main(args, prog_name or PROG, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as err:
            err.show()
            code = EXIT_USAGE
        except UsageError as err:
            ctx = err.ctx
            where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            ui.print_note(f"error: {err.format_message()}{where}")
            code = EXIT_USAGE
        except ClickException as err:
            ui.print_note(f"error: {err.format_message()}")
            code = err.exit_code
        except (typer.Abort, KeyboardInterrupt):
            ui.print_interrupted()
            code = EXIT_INTERRUPTED
        except typer.Exit as exc:
            code = exc.exit_code
        if code == EXIT_INTERRUPTED and _own_process():
            # The interruption is handled and reported: a further Ctrl-C while Python shuts down
            # (joining worker threads) ends the process at once, still with exit code 130.
            signal.signal(signal.SIGINT, _exit_interrupted)
            # Python puts the default handler back late in its shutdown (after joining threads and
            # running atexit): a Ctrl-C landing then would end the process as killed by SIGINT
            # instead of exiting 130. From the atexit stage on, further Ctrl-Cs are ignored.
            atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


def _exit_interrupted(signum: int, frame: FrameType | None) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


def _own_process() -> bool:
    """True when this process is liqo-tutor itself (console script or `python -m`), not a test runner."""
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    return name in (PROG, "__main__.py") and threading.current_thread() is threading.main_thread()


app = typer.Typer(
    cls=_Group,
    name=PROG,
    help="Run the Liqo tutorials end to end and verify every claim they make.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class LineChoice(str, enum.Enum):
    v0 = "v0"
    v1 = "v1"


# ---- common options -----------------------------------------------------------------------------

Simulate = Annotated[bool, typer.Option(
    "--simulate", help="Use the simulated playground (fake kind, liqoctl, docker; real kubectl).")]
Workdir = Annotated[Path | None, typer.Option(
    "--workdir", "-w", help="Where kubeconfigs and .liqo-tutor/ live (default: current directory).",
    file_okay=False)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show every command's output.")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
NoColor = Annotated[bool, typer.Option("--no-color", help="Plain text output, no colours or spinners.")]
StepsDir = Annotated[Path | None, typer.Option(
    "--steps-dir", help="Look tutorials up in this directory instead of the packaged ones.",
    file_okay=False)]
FromStep = Annotated[str | None, typer.Option("--from", help="Start at this step (redo it and the next).")]
ToStep = Annotated[str | None, typer.Option("--to", help="Stop after this step.")]
TeardownAfter = Annotated[bool, typer.Option(
    "--teardown", help="Tear the playground down at the end, even after a failure.")]
Restart = Annotated[bool, typer.Option("--restart", help="Forget progress, start clean (tears down first).")]
Sequential = Annotated[bool, typer.Option("--sequential", help="Upstream order, one command at a time.")]
Replace = Annotated[bool, typer.Option(
    "--replace", help="Allow deleting a same-named kind cluster this tool did not create.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the resolved plan, execute nothing.")]
Line = Annotated[LineChoice | None, typer.Option("--line", help="Liqo line (default: from liqoctl).")]
Clusters = Annotated[list[str] | None, typer.Option(
    "--cluster", metavar="NAME=KUBECONFIG[@CONTEXT]",
    help="Use an existing cluster instead of creating it (repeatable).")]
Report = Annotated[Path | None, typer.Option(
    "--report", metavar="FILE.json", dir_okay=False,
    help="Also write a JSON report (tutorial, Liqo line, each step and check) for CI.")]
Junit = Annotated[Path | None, typer.Option(
    "--junit", metavar="FILE.xml", dir_okay=False,
    help="Also write a JUnit XML file (one test case per step).")]
Interactive = Annotated[bool, typer.Option(
    "--interactive", "-i", help="Learner mode: show each step and its commands, then wait (Enter, s, q).")]
Explain = Annotated[bool, typer.Option(
    "--explain",
    help="After each step, tell what changed in each cluster (nodes, namespaces, services, pods).")]
Preload = Annotated[bool, typer.Option(
    "--preload-images",
    help="Pull the tutorial's images once on this host and load them into every kind cluster.")]
TimeoutScale = Annotated[float, typer.Option("--timeout-scale", help="Multiply every timeout (e.g. 2).")]
TutorialArg = Annotated[str | None, typer.Argument(
    help="Tutorial name (default: the one in progress here, else service-offloading).", show_default=False)]


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


def _engine() -> ModuleType:
    return importlib.import_module("liqo_tutor.engine")


def _workdir(workdir: Path | None, *, writable: bool) -> Path:
    wd = (workdir or Path.cwd()).expanduser().resolve()
    if not wd.is_dir():
        raise InputError(f"workdir {wd} does not exist",
                         hint=f"create it (`mkdir -p {wd}`) or pick another with --workdir")
    if writable and not _can_write(wd):
        raise InputError(f"workdir {wd} is not writable",
                         hint="run from a directory you can write to, or pass --workdir DIR")
    return wd


def _can_write(wd: Path) -> bool:
    """Really try (os.access says yes to root on a read-only mount): .liqo-tutor/ and a file in it."""
    import tempfile

    if not os.access(wd, os.W_OK | os.X_OK):
        return False
    try:
        (wd / STATE_DIR_NAME).mkdir(exist_ok=True)
        with tempfile.TemporaryFile(dir=wd / STATE_DIR_NAME):
            pass
    except OSError:
        return False
    return True


def build_env(simulate: bool, workdir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The complete environment of every child. --simulate changes nothing else than this."""
    env = dict(os.environ if base is None else base)
    if base is None and _PLUGINS_SET_HERE:
        env.pop(_PLUGINS_VAR, None)
    if simulate:
        sim = importlib.import_module("liqo_tutor.sim")
        simdir = sim.simdir_for(workdir)
        bin_dir = sim.ensure_bin(simdir)
        original_path = env.get("PATH", "")
        env.update({str(k): str(v) for k, v in sim.sim_env(simdir, workdir).items()})
        kept = [p for p in original_path.split(os.pathsep) if p]
        parts = [str(bin_dir), *kept, str(Path(sys.executable).parent)]
        env["PATH"] = os.pathsep.join(parts)
    return env


def parse_cluster(spec: str) -> tuple[str, Path, str | None]:
    """`NAME=KUBECONFIG[@CONTEXT]` -> (name, absolute kubeconfig path, context)."""
    name, eq, rest = spec.partition("=")
    path, context = rest, None
    head, at, tail = rest.rpartition("@")
    if at and head and tail and "/" not in tail:
        path, context = head, tail
    if not eq or not name.strip() or not path.strip():
        raise InputError(f"--cluster {spec!r}: expected NAME=KUBECONFIG[@CONTEXT]",
                         hint="e.g. --cluster london=$HOME/.kube/london.yaml@kind-london")
    return name.strip(), Path(path).expanduser().resolve(), context


def _options(
    *,
    workdir: Path,
    env: dict[str, str],
    steps_dir: Path | None,
    **fields: Any,
) -> Any:
    engine = _engine()
    clusters = {}
    for spec in fields.pop("cluster_specs", None) or []:
        name, path, context = parse_cluster(spec)
        clusters[name] = engine.ClusterRef(kubeconfig=path, context=context)
    return engine.RunOptions(workdir=workdir, env=env, steps_dir=steps_dir, clusters=clusters, **fields)


def _run_json(result: Any) -> dict[str, Any]:
    def check(c: Any) -> dict[str, Any]:
        return {"claim": c.claim, "status": c.status.value, "expected": c.expected, "seen": c.seen,
                "duration": round(c.duration, 3), "message": c.message, "hint": c.hint}

    def command(c: Any) -> dict[str, Any]:
        return {"display": c.display, "cluster": c.cluster, "exit_code": c.exit_code,
                "duration": round(c.duration, 3)}

    return {
        "tutorial": result.tutorial,
        "line": result.line,
        "ok": result.ok,
        "duration": round(result.duration, 3),
        "steps": [
            {"id": s.step_id, "title": s.title, "status": s.status.value, "duration": round(s.duration, 3),
             "message": s.message, "rerun": s.rerun, "hint": s.hint, "diagnostics": s.diagnostics,
             "checks": [check(c) for c in s.checks], "commands": [command(c) for c in s.commands],
             "outputs": dict(s.outputs)}
            for s in result.steps
        ],
    }


def _exit_code_of(result: Any) -> int:
    statuses = {s.status.value for s in result.steps}
    if "interrupted" in statuses:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_FAILED


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_children() -> int:
    """Ctrl-C / SIGTERM: stop what runs, tell how to go on. A second Ctrl-C skips the waiting."""
    try:
        ui.print_note("interrupted: stopping running commands...")
        from liqo_tutor.tools import runner

        runner.terminate_all(TERMINATE_GRACE)
    except KeyboardInterrupt:
        pass
    ui.print_interrupted()
    return EXIT_INTERRUPTED


def _crash(exc: BaseException, workdir: Path | None) -> int:
    import platform
    import tempfile
    import time
    import traceback
    from importlib import metadata

    versions = []
    for dist in ("liqo-tutor", "typer", "rich", "sh", "pydantic", "PyYAML"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} (not installed)")
    text = "\n".join([
        f"{PROG} crashed at {time.strftime('%Y-%m-%d %H:%M:%S')}",
        f"argv: {sys.argv!r}",
        f"python {sys.version.split()[0]} on {platform.platform()}",
        *versions,
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ])
    from liqo_tutor import secrets

    text = secrets.redact(text)
    candidates = [(workdir or Path.cwd()) / STATE_DIR_NAME / CRASH_LOG,
                  Path(tempfile.gettempdir()) / f"{PROG}-{CRASH_LOG}"]
    where: Path | None = None
    for path in candidates:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            where = path
            break
        except OSError:
            continue
    detail = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    ui.print_note(f"internal error ({detail}); details in {where or 'nowhere (no writable place)'}. "
                  "Please report it with that file.")
    return EXIT_INTERNAL


def _guard(fn: Callable[[], int], *, no_color: bool, workdir: Path | None = None) -> NoReturn:
    """The error boundary around one command."""
    ui.configure(no_color=no_color)
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            code = fn()
        except Interrupted:
            code = _stop_children()
        except LiqoTutorError as err:
            ui.print_error(err)
            code = err.exit_code
        except KeyboardInterrupt:
            code = _stop_children()
        except (typer.Exit, ClickException):
            raise
        except Exception as exc:
            code = _crash(exc, workdir)
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
    raise typer.Exit(code)


def _write_reports(result: Any, report: Path | None, junit: Path | None) -> None:
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
                       call: Callable[[Any], Any], *, report: Path | None = None, junit: Path | None = None,
                       on_reporter: Callable[[Any], None] | None = None) -> int:
    """Run an engine call with a reporter, the runner listener and the transcript; print the result."""
    from liqo_tutor.tools import runner

    # With --json, stdout carries only the JSON document; progress goes to stderr.
    reporter: Any
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
    runner.set_listener(reporter.runner_listener)
    if not dry_run:
        (wd / STATE_DIR_NAME).mkdir(exist_ok=True)
        runner.set_transcript(wd / STATE_DIR_NAME / TRANSCRIPT_FILE)
    try:
        result = call(reporter)
    finally:
        reporter.close()
        runner.set_listener(None)
        runner.set_transcript(None)
        if lock is not None:
            lock.release()
    if json_out:
        ui.print_json(_run_json(result))
    _write_reports(result, report, junit)
    code = _exit_code_of(result)
    if code == EXIT_INTERRUPTED:
        return _stop_children()
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
        wd = _workdir(workdir, writable=True)
        opts = _options(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir, cluster_specs=cluster,
                        line=line.value if line else None, from_step=from_step, to_step=to_step,
                        restart=restart, teardown_after=teardown, sequential=sequential, dry_run=dry_run,
                        replace=replace, timeout_scale=timeout_scale, explain=explain, verbose=verbose,
                        options=frozenset({"preload-images"} if preload_images else ()))
        engine = _engine()
        bind: Callable[[Any], None] | None = None
        if interactive:
            import dataclasses

            from liqo_tutor.learner import TerminalPrompter

            preview = {s.id: s for s in engine.plan(tutorial, opts).steps}
            prompter = TerminalPrompter(preview)
            opts = dataclasses.replace(opts, prompter=prompter)

            def bind(rep: Any) -> None:
                prompter.pause = rep.close

        return _run_with_reporter(json_out, verbose, wd, dry_run, lambda rep: engine.run(tutorial, opts, rep),
                                  report=report, junit=junit, on_reporter=bind)

    _guard(body, no_color=no_color, workdir=workdir)


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
        wd = _workdir(workdir, writable=True)
        opts = _options(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir, cluster_specs=cluster,
                        explain=explain, verbose=verbose,
                        options=frozenset({"preload-images"} if preload_images else ()))
        engine = _engine()
        return _run_with_reporter(json_out, verbose, wd, False,
                                  lambda rep: engine.run_step(tutorial, step_id, opts, rep),
                                  report=report, junit=junit)

    _guard(body, no_color=no_color, workdir=workdir)


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
        wd = _workdir(workdir, writable=True)
        opts = _options(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir, replace=replace,
                        cluster_specs=cluster, verbose=verbose)
        engine = _engine()
        code = _run_with_reporter(json_out, verbose, wd, False,
                                  lambda rep: engine.teardown(tutorial, opts, rep),
                                  report=report, junit=junit)
        if simulate and code == EXIT_OK:
            _stop_idle_playground(wd)
        return code

    _guard(body, no_color=no_color, workdir=workdir)


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

        wd = _workdir(workdir, writable=simulate)
        opts = _options(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir)
        kernel = platform.release() if sys.platform.startswith("linux") else None
        findings = _engine().diagnose(tutorial, opts, kernel=kernel)
        doctor_mod = importlib.import_module("liqo_tutor.doctor")
        code: int = doctor_mod.exit_code(findings)
        if json_out:
            ui.print_json({"ok": code == EXIT_OK, "findings": [f.to_json() for f in findings]})
        else:
            ui.print_doctor(findings)
        return code

    _guard(body, no_color=no_color, workdir=workdir)


@app.command("list")
def list_cmd(json_out: Json = False, no_color: NoColor = False, steps_dir: StepsDir = None) -> None:
    """List the available tutorials."""

    def body() -> int:
        # The loader only (no engine, no validation): the names and titles.
        tutorials = importlib.import_module("liqo_tutor.loader").list_tutorials(steps_dir)
        if json_out:
            ui.print_json([{"name": name, "title": title} for name, title in tutorials])
        else:
            ui.print_tutorials(tutorials)
        return EXIT_OK

    _guard(body, no_color=no_color)


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
        wd = _workdir(workdir, writable=False)
        opts = _options(workdir=wd, env=build_env(False, wd), steps_dir=steps_dir,
                        line=line.value if line else None, dry_run=True)
        plan = _engine().plan(tutorial, opts)
        if json_out:
            ui.print_json(plan.to_json())
        else:
            ui.print_plan(plan)
        return EXIT_OK

    _guard(body, no_color=no_color, workdir=workdir)


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
        wd = _workdir(workdir, writable=simulate)
        opts = _options(workdir=wd, env=build_env(simulate, wd), steps_dir=steps_dir)
        report = _engine().status(tutorial, opts)
        if json_out:
            ui.print_json(report.to_json())
        else:
            ui.print_status(report)
        return EXIT_OK

    _guard(body, no_color=no_color, workdir=workdir)


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
        wd = _workdir(workdir, writable=simulate)
        full_env = build_env(simulate, wd)
        opts = _options(workdir=wd, env=full_env, steps_dir=steps_dir)
        exports: dict[str, str] = dict(_engine().env_exports(tutorial, opts))
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

    _guard(body, no_color=no_color, workdir=workdir)


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
        loader = importlib.import_module("liqo_tutor.loader")
        tutorial = loader.validate(file)
        steps = [s.id for s in getattr(tutorial, "steps", ())]
        if json_out:
            ui.print_json({"file": str(file), "ok": True, "name": getattr(tutorial, "name", file.stem),
                           "steps": steps})
        else:
            ui.print_note(f"{file}: ok ({len(steps)} steps: {', '.join(steps)})", err=False)
        return EXIT_OK

    _guard(body, no_color=no_color)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point (`liqo-tutor`)."""
    app(args=list(argv) if argv is not None else None, prog_name=PROG)
    raise SystemExit(EXIT_OK)  # pragma: no cover - app() always exits

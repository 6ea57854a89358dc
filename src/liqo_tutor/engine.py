"""Runs a tutorial's steps: results as data, progress told to a Reporter; never prints."""

from __future__ import annotations

import dataclasses
import os
import shlex
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from liqo_tutor import diagnostics, doctor, explain, kubeconfigs, loader
from liqo_tutor.actions import ACTIONS, ClusterInfo, Context, current_cluster, pod_command
from liqo_tutor.checks import run_check
from liqo_tutor.constants import DEFAULT_TUTORIAL
from liqo_tutor.errors import (
    InputError,
    Interrupted,
    LiqoTutorError,
    StepFailed,
    ToolFailed,
    ToolGarbled,
    ToolNotFound,
    ToolTimeout,
)
from liqo_tutor.lines import (
    ServerVerdict,
    choose_line,
    forced_note,
    in_range,
    judge_servers,
    parse_version,
    server_version_from_output,
    version_from_output,
)
from liqo_tutor.results import CheckResult, CommandResult, Reporter, RunResult, Status, StepResult
from liqo_tutor.state import CorruptState, State
from liqo_tutor.tools import kind as kind_tool
from liqo_tutor.tools import runner
from liqo_tutor.tools.liqoctl import last_error
from liqo_tutor.tutorial import Action, Check, Step, Tutorial

__all__ = [
    "ClusterRef",
    "ClusterStatus",
    "Plan",
    "PlanStep",
    "Prompter",
    "RunOptions",
    "StatusReport",
    "env_exports",
    "diagnose",
    "list_tutorials",
    "plan",
    "run",
    "run_step",
    "status",
    "teardown",
]


class Prompter(Protocol):
    """Learner mode: asked before each step; answers "run", "skip" or "quit".

    `no_skip` is None when skipping the step is safe, else why it is not (the prompter refuses "s").
    """

    def ask(self, step: Step, no_skip: str | None) -> str: ...


@dataclass(frozen=True)
class ClusterRef:
    """Bring-your-own cluster: --cluster NAME=KUBECONFIG[@CONTEXT]."""

    kubeconfig: Path
    context: str | None = None


@dataclass(frozen=True)
class RunOptions:
    workdir: Path
    env: Mapping[str, str]
    line: str | None = None
    from_step: str | None = None
    to_step: str | None = None
    restart: bool = False
    teardown_after: bool = False
    sequential: bool = False
    dry_run: bool = False
    replace: bool = False
    timeout_scale: float = 1.0
    clusters: Mapping[str, ClusterRef] = field(default_factory=dict)
    steps_dir: Path | None = None
    prompter: Prompter | None = None
    explain: bool = False  # after each step, describe what changed in each cluster
    options: frozenset[str] = frozenset()  # opt-in actions of the tutorial (e.g. "preload-images")
    verbose: bool = False  # also show the plumbing commands (polls, log reads, clean-ups)


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    exists: bool
    kubeconfig: str
    created_by_us: bool


@dataclass(frozen=True)
class StatusReport:
    tutorial: str
    line: str | None
    steps: dict[str, str]
    clusters: list[ClusterStatus]

    def to_json(self) -> dict[str, Any]:
        return {
            "tutorial": self.tutorial,
            "line": self.line,
            "steps": dict(self.steps),
            "clusters": [
                {
                    "name": c.name,
                    "exists": c.exists,
                    "kubeconfig": c.kubeconfig,
                    "created_by_us": c.created_by_us,
                }
                for c in self.clusters
            ],
        }


@dataclass(frozen=True)
class PlanCommand:
    cluster: str | None
    display: str
    when: str = ""  # "guarded", "unless already done", "generated"


@dataclass(frozen=True)
class PlanStep:
    id: str
    title: str
    explain: str
    teardown: bool
    commands: tuple[PlanCommand, ...]
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    tutorial: str
    title: str
    line: str
    liqo_version: str
    steps: tuple[PlanStep, ...]
    exports: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "tutorial": self.tutorial,
            "title": self.title,
            "line": self.line,
            "liqo_version": self.liqo_version,
            "exports": [{"name": k, "value": v} for k, v in self.exports],
            "steps": [
                {
                    "id": s.id,
                    "title": s.title,
                    "explain": s.explain,
                    "teardown": s.teardown,
                    "commands": [
                        {"cluster": c.cluster, "command": c.display, "when": c.when} for c in s.commands
                    ],
                    "checks": list(s.checks),
                }
                for s in self.steps
            ],
        }


# ---------------------------------------------------------------------------------------------
# Public API


def list_tutorials(steps_dir: Path | None = None) -> list[tuple[str, str]]:
    return loader.list_tutorials(steps_dir)


def env_exports(tutorial: str | None, opts: RunOptions) -> list[tuple[str, str]]:
    """[(KUBECONFIG, /abs/liqo_kubeconf_london), (KUBECONFIG_NEWYORK, ...)] as the tutorial exports them."""
    tut, _ = _load(tutorial, opts)
    return [(info.spec.env, str(info.kubeconfig)) for info in _clusters(tut, opts).values()]


def status(tutorial: str | None, opts: RunOptions) -> StatusReport:
    tut, state = _load(tutorial, opts)
    clusters = _clusters(tut, opts)
    existing: list[str] | None = None
    if any(not c.byo for c in clusters.values()):
        try:
            existing = kind_tool.get_clusters(_split(tut.provider.list), env=opts.env, cwd=opts.workdir)
        except LiqoTutorError:
            existing = []
    report = [
        ClusterStatus(
            name=name,
            exists=(info.kubeconfig.exists() if info.byo else name in (existing or [])),
            kubeconfig=str(info.kubeconfig),
            created_by_us=state.created(name),
        )
        for name, info in clusters.items()
    ]
    steps = {s.id: state.steps.get(s.id, "pending") for s in tut.main_steps}
    return StatusReport(tutorial=tut.name, line=state.line, steps=steps, clusters=report)


def plan(tutorial: str | None, opts: RunOptions) -> Plan:
    """The resolved steps, commands as they will be displayed, and claims: for `show` and --dry-run."""
    tut, state = _load(tutorial, opts)
    line, version = _line_for_plan(tut, opts, state)
    ctx = _context(tut, opts, state, _NullReporter(), line, version)
    steps = []
    for step in tut.steps:
        commands: list[PlanCommand] = []
        for action in _applicable(step.actions, line):
            if action.option is not None and action.option not in opts.options:
                continue
            for cluster in _targets(tut, action.each, action.cluster):
                commands.extend(_plan_action(ctx, action, cluster, opts.workdir))
        before = [
            (c, cl)
            for a in _applicable(step.actions, line)
            for a_cl in _targets(tut, a.each, a.cluster)
            for c in _applicable(a.before, line)
            for cl in _targets(tut, c.each, c.cluster or a_cl)
        ]
        after = [(c, cl) for c in _applicable(step.checks, line) for cl in _targets(tut, c.each, c.cluster)]
        claims = [ctx.text(c.claim, cl, extra={"timeout": ""}) for c, cl in before + after]
        steps.append(
            PlanStep(
                id=step.id,
                title=step.title,
                explain=step.explain,
                teardown=step.teardown,
                commands=tuple(commands),
                checks=tuple(claims),
            )
        )
    exports = tuple((info.spec.env, str(info.kubeconfig)) for info in ctx.clusters.values())
    return Plan(
        tutorial=tut.name,
        title=tut.title,
        line=line,
        liqo_version=version,
        steps=tuple(steps),
        exports=exports,
    )


def run(tutorial: str | None, opts: RunOptions, reporter: Reporter) -> RunResult:
    """Run the tutorial's main steps; steps that still hold live are skipped, the first that does not runs."""
    tut, state = _load(tutorial, opts)
    if opts.dry_run:
        return _dry_run(tut, opts, state, reporter)
    return _Session(tut, opts, state, reporter).run_main()


def run_step(tutorial: str | None, step_id: str, opts: RunOptions, reporter: Reporter) -> RunResult:
    """Run one step; every earlier main step must hold live first."""
    tut, state = _load(tutorial, opts)
    if tut.step(step_id) is None:
        raise InputError(
            f"unknown step {step_id!r} in {tut.name} (steps: {', '.join(s.id for s in tut.steps)})"
        )
    return _Session(tut, opts, state, reporter).run_one(step_id)


def teardown(tutorial: str | None, opts: RunOptions, reporter: Reporter) -> RunResult:
    """Undo everything from any partial state, in reverse order; absence is never an error."""
    try:
        tut, state = _load(tutorial, opts)
    except CorruptState:
        # Teardown must work from anything: keep the unreadable file for inspection, go on without it.
        aside = State.set_aside(opts.workdir)
        reporter.note(
            f"the state file was corrupt: set aside as {aside.name}; clusters it recorded are unknown now "
            "and left alone unless you pass --replace"
        )
        tut, state = _load(tutorial, opts)
    return _Session(tut, opts, state, reporter).run_teardown()


def diagnose(tutorial: str | None, opts: RunOptions, *, kernel: str | None = None) -> list[doctor.Finding]:
    """`liqo-tutor doctor`: every host check, with the tutorial's supported Liqo lines and cluster version."""
    tut, state = _load(tutorial, opts)
    line, version = _line_for_plan(tut, opts, state)
    ctx = _context(tut, opts, state, _NullReporter(), line, version)

    def accept(text: str) -> str | None:
        found = version_from_output(tut.detect, text)
        if found is None:
            return None
        try:
            parsed = parse_version(found)
        except ValueError:
            return None
        return next((name for name, ln in tut.lines.items() if in_range(parsed, ln.range)), None)

    def run(argv: Sequence[str], *, env: Mapping[str, str], timeout: float) -> CommandResult:
        return runner.run(argv, env=env, timeout=timeout * opts.timeout_scale, cwd=opts.workdir)

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


# ---------------------------------------------------------------------------------------------
# Loading and resolution


def _split(command: str) -> list[str]:
    return shlex.split(command)


def _load(tutorial: str | None, opts: RunOptions) -> tuple[Tutorial, State]:
    state = State.load(opts.workdir)
    name = tutorial or state.tutorial or DEFAULT_TUTORIAL
    tut = loader.load(name, opts.steps_dir)
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


def _clusters(tut: Tutorial, opts: RunOptions) -> dict[str, ClusterInfo]:
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


def _context(
    tut: Tutorial, opts: RunOptions, state: State, reporter: Reporter, line: str, version: str
) -> Context:
    return Context(
        tut,
        line=line,
        liqo_version=version,
        workdir=opts.workdir.resolve(),
        env=opts.env,
        clusters=_clusters(tut, opts),
        timeout_scale=opts.timeout_scale,
        state=state,
        reporter=reporter,
        replace=opts.replace,
    )


def _detect(tut: Tutorial, opts: RunOptions) -> tuple[str | None, str]:
    argv = _split(tut.detect.command)
    result = runner.run(argv, env=opts.env, timeout=30.0 * opts.timeout_scale, cwd=opts.workdir)
    return version_from_output(tut.detect, result.stdout), result.stdout


def _line_for_plan(
    tut: Tutorial, opts: RunOptions, state: State, seen: list[str] | None = None
) -> tuple[str, str]:
    """Never fails: the detected line, else --line, the recorded line, the default. `seen` gets the
    client version that was read, if any."""
    detected: str | None = None
    raw = ""
    try:
        detected, raw = _detect(tut, opts)
    except LiqoTutorError:
        pass
    if detected is not None and seen is not None:
        seen.append(detected)
    forced = opts.line or (state.line if detected is None else None)
    if forced is None and detected is None:
        forced = tut.detect.default
    try:
        return choose_line(tut.lines, detected=detected, forced=forced, raw_output=raw)
    except InputError:
        fallback = state.line if state.line in tut.lines else tut.detect.default
        return choose_line(tut.lines, detected=None, forced=opts.line or fallback)


def _result_of(fut: Future[CheckResult]) -> CheckResult:
    """A check's result from its thread; Ctrl-C there stops every running command first."""
    try:
        return fut.result()
    except KeyboardInterrupt:
        runner.terminate_all()
        raise


def _applicable(items: Sequence[Any], line: str) -> list[Any]:
    return [i for i in items if not i.lines or line in i.lines]


def _targets(tut: Tutorial, each: bool, cluster: str | None) -> list[str | None]:
    if each:
        return [c.name for c in tut.clusters]
    return [cluster]


def _plan_action(ctx: Context, action: Action, cluster: str | None, workdir: Path) -> list[PlanCommand]:
    from liqo_tutor.tools.kubectl import with_kubeconfig

    def shown(argv: list[str], on: str | None) -> str:
        if on is not None:
            info = ctx.clusters[on]
            argv = with_kubeconfig(argv, str(info.kubeconfig), info.context)
        return runner.display_of(argv, workdir)

    when = "if present" if action.guards else ("unless already done" if action.unless else "")
    if action.kind == "generated-command":
        from liqo_tutor.loader import parse_pattern

        gen = shown(ctx.argv(action.command, action.source), action.source)
        shape = " ".join(w if t is None else f"<{w}>" for w, t, _ in parse_pattern(action.pattern or ""))
        if action.extra_args:
            shape += " " + " ".join(ctx.argv(action.extra_args, cluster))
        return [
            PlanCommand(action.source, gen),
            PlanCommand(cluster, shown(_split(shape), cluster), "generated"),
        ]
    if action.kind == "run-pod":
        argv = pod_command(ctx, action, cluster, action.pod_prefix)  # as the seed: `kubectl run consumer`
        return [PlanCommand(cluster, shown(argv, cluster), "")]
    on = None if action.kind in ("create-cluster", "delete-cluster") else cluster
    return [PlanCommand(cluster, shown(ctx.argv(action.command, cluster), on), when)]


# ---------------------------------------------------------------------------------------------
# Reporters


class _NullReporter:
    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None: ...
    def step_started(self, step_id: str, title: str, explain: str) -> None: ...
    def command_started(self, display: str, cluster: str | None) -> None: ...
    def command_finished(self, result: CommandResult) -> None: ...
    def check_finished(self, step_id: str, check: CheckResult) -> None: ...
    def output_shown(self, step_id: str, label: str, text: str) -> None: ...
    def note(self, text: str) -> None: ...
    def step_finished(self, result: StepResult) -> None: ...
    def run_finished(self, result: RunResult) -> None: ...


class _SafeReporter:
    """Serialises calls from the per-cluster threads."""

    def __init__(self, inner: Reporter) -> None:
        self._inner = inner
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Callable[..., None]:
        fn = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> None:
            with self._lock:
                fn(*args, **kwargs)

        return call


def _dry_run(tut: Tutorial, opts: RunOptions, state: State, reporter: Reporter) -> RunResult:
    p = plan(tut.path, opts)
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
        res = StepResult(step_id=s.id, title=s.title, status=Status.PENDING, message="dry run")
        reporter.step_finished(res)
        results.append(res)
    result = RunResult(tutorial=tut.name, line=p.line, steps=tuple(results), duration=0.0)
    reporter.run_finished(result)
    return result


# ---------------------------------------------------------------------------------------------
# A session: one run / step / teardown


class _StepError(Exception):
    def __init__(
        self,
        status: Status,
        message: str,
        *,
        rerun: str | None = None,
        hint: str | None = None,
        checks: tuple[CheckResult, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.rerun = rerun
        self.hint = hint
        self.checks = checks


class _Session:
    def __init__(self, tut: Tutorial, opts: RunOptions, state: State, reporter: Reporter) -> None:
        self.tut = tut
        self.opts = opts
        self.state = state
        self.reporter: Reporter = _SafeReporter(reporter)  # type: ignore[assignment]
        self.ctx: Context | None = None
        self.t0 = time.monotonic()
        self.results: list[StepResult] = []
        self._fresh: set[str] = set()  # clusters this run created (empty: `unless` probes are moot)
        self._before: list[CheckResult] = []  # the running step's claims verified before an action
        # The running step's claims already asked by a cluster's thread: (id(check), cluster) -> result.
        self._early: dict[tuple[int, str | None], CheckResult] = {}

    # -- setup ------------------------------------------------------------------------------

    def _listener(self, display: str, result: CommandResult | None) -> None:
        if runner.is_quiet() and not self.opts.verbose:
            return  # plumbing (polls, log reads, clean-ups): transcript only, unless --verbose
        if result is None:
            self.reporter.command_started(display, current_cluster())
        else:
            self.reporter.command_finished(result)

    def _start(self, steps: Sequence[Step], *, need_line: bool = True) -> Context:
        runner.set_listener(self._listener)
        if need_line:
            self._check_kubeconfigs()
        self._preflight(create=False)
        line, version = self._choose_line(need_line)
        ctx = _context(self.tut, self.opts, self.state, self.reporter, line, version)
        # Before anything is recorded: clusters already running Liqo of another line stop the run here.
        with runner.quiet():
            verdict = self._probe_servers(ctx, fatal=need_line)
        if self.state.tutorial_hash not in (None, self.tut.digest) and self.state.steps:
            self.reporter.note("the tutorial changed since the last run: recorded progress is re-verified")
            self.state.steps = {}
        self.state.tutorial = self.tut.name
        self.state.line = line
        self.state.liqo_version = version
        self.state.tutorial_hash = self.tut.digest
        self.state.save()
        self.reporter.run_started(self.tut.name, self.tut.title, line, [s.id for s in steps])
        client = f"liqoctl {self._client_version}" if self._client_version else "liqoctl (version unread)"
        how = (
            "chosen with --line"
            if self.opts.line
            else ("detected" if self._client_version else "as recorded, or the default")
        )
        self.reporter.note(
            f"{client}: Liqo line {line} {how} ({self.tut.lines[line].range}), Liqo version {version} "
            f"(supported: {'; '.join(f'{n} {ln.range}' for n, ln in self.tut.lines.items())})"
        )
        forced = forced_note(self.tut.lines, forced=self.opts.line, detected=self._client_version)
        for text in ([forced] if forced else []) + list(verdict.notes) + list(verdict.warnings):
            self.reporter.note(text)
        if verdict.error:
            self.reporter.note(f"warning: {verdict.error}")
        self.ctx = ctx
        return self.ctx

    def _check_kubeconfigs(self) -> None:
        """A kubeconfig that is given but missing, or present but not a kubeconfig, is bad input."""
        for name, info in _clusters(self.tut, self.opts).items():
            if not info.byo and not info.kubeconfig.exists():
                continue  # written when the cluster is created
            problem = kubeconfigs.problem(info.kubeconfig)
            if problem is None:
                continue
            if info.byo:
                raise InputError(
                    f"--cluster {name}: kubeconfig {info.kubeconfig}: {problem}",
                    hint="pass the kubeconfig file of that cluster (e.g. `kind get kubeconfig --name "
                    f"{name} > FILE`)",
                )
            raise InputError(
                f"the kubeconfig of cluster {name}, {info.kubeconfig}, is corrupt: {problem}",
                hint="`liqo-tutor teardown` removes the cluster and the file, then `liqo-tutor run` "
                "starts over; or delete the file and write it again (`kind export kubeconfig --name "
                f"{name} --kubeconfig {info.kubeconfig}`)",
            )

    def _choose_line(self, need_line: bool) -> tuple[str, str]:
        self._client_version: str | None = None
        if not need_line:
            seen: list[str] = []
            chosen = _line_for_plan(self.tut, self.opts, self.state, seen)
            self._client_version = seen[0] if seen else None
            return chosen
        with runner.quiet():
            detected, raw = _detect(self.tut, self.opts)
        self._client_version = detected
        return choose_line(self.tut.lines, detected=detected, forced=self.opts.line, raw_output=raw)

    def _probe_servers(self, ctx: Context, *, fatal: bool) -> ServerVerdict:
        """The Liqo version each existing cluster runs (the YAML's server probe); another line is fatal
        for a run. Clusters without Liqo, unreachable or not yet created are simply not reported."""
        detect = self.tut.detect
        servers: dict[str, str] = {}
        if detect.server_command:
            for name, info in ctx.clusters.items():
                if not info.kubeconfig.exists():
                    continue
                try:
                    res = ctx.run(
                        _split(detect.server_command),
                        cluster=name,
                        timeout=ctx.scaled(30.0),
                        ok_codes=range(256),
                    )
                except LiqoTutorError:
                    continue
                found = server_version_from_output(detect, res.stdout)
                if found:
                    servers[name] = found
        verdict = judge_servers(self.tut.lines, line=ctx.line, version=ctx.liqo_version, servers=servers)
        if verdict.error and fatal:
            raise InputError(verdict.error, hint=verdict.hint)
        return verdict

    def _preflight(self, *, create: bool) -> None:
        """doctor's fast checks (one place for those facts); stops with every fix at once."""
        byo_all = all(c.name in self.opts.clusters for c in self.tut.clusters)
        wanted = [r for r in self.tut.requires if (not r.for_create or (create and not byo_all))]
        if create and byo_all:
            return
        findings = doctor.quick(
            self._doctor_run,
            self.opts.env,
            programs=[r.program for r in wanted],
            daemon=create and any(r.probe for r in wanted),
        )
        bad = doctor.failed(findings)
        if not bad:
            return
        what = "; ".join(f"{f.check}: {f.found}" for f in bad)
        fixes = "; ".join(f.fix for f in bad if f.fix)
        hint = (
            f"{fixes}; `liqo-tutor doctor` checks the whole machine; "
            "or rehearse in the simulated playground with --simulate"
        )
        if all(f.found == "not found on PATH" for f in bad):
            raise ToolNotFound(", ".join(f.check for f in bad), hint=hint)
        raise StepFailed(f"this machine is not ready ({what})", hint=hint)

    def _doctor_run(self, argv: Sequence[str], *, env: Mapping[str, str], timeout: float) -> CommandResult:
        with runner.quiet():
            return runner.run(argv, env=env, timeout=timeout * self.opts.timeout_scale, cwd=self.opts.workdir)

    def _finish(self, line: str | None) -> RunResult:
        result = RunResult(
            tutorial=self.tut.name, line=line, steps=tuple(self.results), duration=time.monotonic() - self.t0
        )
        self.reporter.run_finished(result)
        return result

    def _guarded(self, fn: Callable[[], RunResult]) -> RunResult:
        interrupted = False
        try:
            return fn()
        except KeyboardInterrupt:
            interrupted = True
            runner.terminate_all()
            self.state.save()
            raise Interrupted(
                "interrupted", hint="resume with `liqo-tutor run`; clean up with `liqo-tutor teardown`"
            ) from None
        except Interrupted:
            interrupted = True
            self.state.save()
            raise
        finally:
            runner.set_listener(None)
            # After an interruption, per-cluster threads may still be about to start a command: the
            # runner keeps refusing new ones (the next command of this process resets it).
            if not interrupted:
                runner.reset()

    # -- entry points -----------------------------------------------------------------------

    def _main_range(self) -> list[Step]:
        steps = list(self.tut.main_steps)
        ids = [s.id for s in steps]
        for opt in (self.opts.from_step, self.opts.to_step):
            if opt is not None and opt not in ids:
                raise InputError(f"unknown step {opt!r} (steps: {', '.join(ids)})")
        start = ids.index(self.opts.from_step) if self.opts.from_step else 0
        end = ids.index(self.opts.to_step) + 1 if self.opts.to_step else len(ids)
        return steps[start:end]

    def run_main(self) -> RunResult:
        steps = self._main_range()

        def body() -> RunResult:
            nothing = self.opts.restart and self._nothing_to_tear_down()
            if self.opts.restart and not nothing:
                self._teardown_body(announce=False)
            if self.opts.restart:
                self.state.reset_steps()
            ctx = self._start(steps)
            if nothing:
                self.reporter.note(
                    "--restart: nothing to tear down (no cluster, kubeconfig or probe pod recorded here)"
                )
            for step in steps:
                if self.state.steps.get(step.id) == "done":
                    if step.verify == "by-running":
                        # It changes nothing: probing again is its live verification.
                        if not self._execute(ctx, step, verifying=True).status.ok:
                            break
                        continue
                    held = self._holds(ctx, step)
                    if held is not None:
                        self._skipped(step, "already done: its checks hold live", held)
                        continue
                if self.opts.prompter is not None:
                    answer = self.opts.prompter.ask(step, self._no_skip(step))
                    if answer == "quit":
                        self.state.save()
                        self.reporter.note(
                            f"stopped before {step.id} at your request; progress is saved: "
                            "`liqo-tutor run --interactive` resumes here"
                        )
                        break
                    if answer == "skip" and self._no_skip(step) is None:
                        self._skipped(step, "skipped at your request")
                        continue
                if not self._execute(ctx, step).status.ok:
                    break
            # --teardown: also after a failed step (an interruption propagates instead).
            if self.opts.teardown_after:
                self._teardown_body(announce=False)
            return self._finish(ctx.line)

        return self._guarded(body)

    def _nothing_to_tear_down(self) -> bool:
        """Nothing recorded and no kubeconfig of ours in the workdir: a teardown would find nothing."""
        if self.opts.clusters or self.opts.replace or self.state.undo or self.state.kubeconfigs:
            return False
        if any(self.state.created(c.name) for c in self.tut.clusters) or self.state.pods():
            return False
        return not any(info.kubeconfig.exists() for info in _clusters(self.tut, self.opts).values())

    def run_one(self, step_id: str) -> RunResult:
        step = self.tut.step(step_id)
        assert step is not None

        def body() -> RunResult:
            ctx = self._start([step])
            if not step.teardown:
                for earlier in self.tut.main_steps:
                    if earlier.id == step.id:
                        break
                    if self._holds(ctx, earlier) is None:
                        raise StepFailed(
                            f"step {step.id} needs step {earlier.id} first: it is not done (verified live)",
                            hint=f"run `liqo-tutor step {earlier.id}`, or `liqo-tutor run --to {step.id}`",
                        )
            self._execute(ctx, step)
            return self._finish(ctx.line)

        return self._guarded(body)

    def run_teardown(self) -> RunResult:
        def body() -> RunResult:
            ctx = self._teardown_body(announce=True)
            return self._finish(ctx.line if ctx else self.state.line)

        return self._guarded(body)

    # -- steps ------------------------------------------------------------------------------

    def _no_skip(self, step: Step) -> str | None:
        """None when skipping `step` is safe: it only observes (probe pods), or no later step needs it."""
        if all(a.kind == "run-pod" for a in step.actions):
            return None
        ids = [s.id for s in self.tut.main_steps]
        after = ids[ids.index(step.id) + 1:] if step.id in ids else []
        if not after:
            return None
        return f"{', '.join(after)} need{'s' if len(after) == 1 else ''} what {step.id} sets up"

    def _skipped(self, step: Step, why: str, checks: tuple[CheckResult, ...] = ()) -> None:
        self.reporter.step_started(step.id, step.title, step.explain)
        res = StepResult(step_id=step.id, title=step.title, status=Status.SKIPPED, message=why, checks=checks)
        self.reporter.step_finished(res)
        self.results.append(res)

    def _holds(self, ctx: Context, step: Step) -> tuple[CheckResult, ...] | None:
        """The step's checks, each tried once; None if any does not hold (or there is nothing to check)."""
        checks = _applicable(step.checks, ctx.line)
        if not checks:
            return None
        results = []
        for check in checks:
            for cluster in _targets(self.tut, check.each, check.cluster):
                try:
                    res = run_check(ctx, check, cluster, quick=True)
                except Interrupted:
                    raise
                except LiqoTutorError:  # unreadable output, a timeout: not verified, so run the step
                    return None
                if not res.status.ok:
                    return None
                results.append(res)
        return tuple(results)

    def _execute(
        self, ctx: Context, step: Step, *, teardown: bool = False, verifying: bool = False
    ) -> StepResult:
        self.reporter.step_started(step.id, step.title, step.explain)
        ctx.begin_step(step.id)
        t0 = time.monotonic()
        checks: list[CheckResult] = []
        before = self._snapshot(ctx) if self.opts.explain and not teardown else None
        self._before = checks  # claims verified before an action join the step's checks
        self._early = {}
        try:
            if any(a.kind == "create-cluster" for a in step.actions):
                self._preflight(create=True)
            ran = self._actions(ctx, step)
            # A teardown step whose actions all found nothing to undo has nothing to verify; one
            # without applicable actions still verifies its claims.
            if not teardown or ran or not _applicable(step.actions, ctx.line):
                for res in self._checks(ctx, step):
                    checks.append(res)
                    self.reporter.check_finished(step.id, res)
                    if not res.status.ok:
                        raise _StepError(Status.FAILED, res.message, hint=res.hint or step.hint)
            status, message, rerun, hint = Status.PASSED, "", None, None
        except _StepError as exc:
            status, message, rerun, hint = exc.status, exc.message, exc.rerun, exc.hint
        except Interrupted:
            self.state.set_step(step.id, "failed")
            raise
        except ToolTimeout as exc:
            status, message, rerun, hint = (
                Status.TIMED_OUT,
                exc.message,
                exc.result.display,
                exc.hint or step.hint,
            )
        except ToolFailed as exc:
            err = None if isinstance(exc, ToolGarbled) else last_error(exc.result.stdout, exc.result.stderr)
            message = exc.message if err is None or err in exc.message else f"{exc.message} ({err})"
            status, rerun, hint = Status.FAILED, exc.result.display, exc.hint or step.hint
        except LiqoTutorError as exc:
            status, message, rerun, hint = Status.FAILED, exc.message, None, exc.hint or step.hint
        if not teardown:
            self.state.set_step(step.id, "done" if status.ok else "failed")
        if verifying and status.ok:
            status, message = Status.SKIPPED, "already done: verified live by probing again"
        if before is not None:
            after = self._snapshot(ctx)
            for cluster, lines in explain.describe(before, after).items():
                ctx.show(f"what changed in {cluster}", "\n".join(lines))
        step_res = StepResult(
            step_id=step.id,
            title=step.title,
            status=status,
            duration=time.monotonic() - t0,
            checks=tuple(checks),
            commands=ctx.step_commands(),
            message=message,
            rerun=rerun,
            hint=hint,
        )
        if not status.ok:
            step_res = self._diagnose(ctx, step_res)
        self.reporter.step_finished(step_res)
        self.results.append(step_res)
        return step_res

    def _checks(self, ctx: Context, step: Step) -> Iterator[CheckResult]:
        """The step's checks, in their declared order. Checks that ask a cluster something run
        together (they are independent); a check computed from captured values waits for the
        ones before it. Nothing after the first failure is reported. Results already obtained
        (a concurrent step's per-cluster claims, see _early_checks) are not asked again."""
        targets = [
            (check, cluster)
            for check in _applicable(step.checks, ctx.line)
            for cluster in _targets(self.tut, check.each, check.cluster)
        ]
        batch: list[tuple[Check, str | None]] = []
        for check, cluster in targets:
            if check.kind in ("command", "table"):
                batch.append((check, cluster))
                continue
            for res in self._batch(ctx, batch):
                yield res
                if not res.status.ok:
                    return
            batch = []
            res = run_check(ctx, check, cluster)
            yield res
            if not res.status.ok:
                return
        yield from self._batch(ctx, batch)

    def _batch(self, ctx: Context, batch: list[tuple[Check, str | None]]) -> Iterator[CheckResult]:
        """Independent claims asked together; their results in order, up to the first failure."""
        early = self._early
        todo = [(c, cl) for c, cl in batch if (id(c), cl) not in early]
        if len(todo) <= 1 or self.opts.sequential:
            for check, cluster in batch:
                res = early.get((id(check), cluster)) or run_check(ctx, check, cluster)
                yield res
                if not res.status.ok:
                    return
            return
        cancel = threading.Event()

        def one(check: Check, cluster: str | None) -> CheckResult:
            with runner.cancel_scope(cancel):
                return run_check(ctx, check, cluster)

        pool = ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="check")
        try:
            futures = {(id(c), cl): pool.submit(one, c, cl) for c, cl in todo}
            for check, cluster in batch:
                key = (id(check), cluster)
                res = early[key] if key in early else _result_of(futures[key])
                yield res
                if not res.status.ok:
                    return
        finally:
            # Once one claim fails (or we stop), the others' answers no longer matter: stop their
            # commands and polls now rather than letting them run to their timeouts.
            cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def _early_checks(self, ctx: Context, step: Step, cluster: str) -> None:
        """In a concurrent step, a cluster's own claims (`each:` commands and tables) are asked by its
        thread as soon as its chain is done, while the other clusters are still busy."""
        mine: list[tuple[Check, str | None]] = [
            (c, cluster)
            for c in _applicable(step.checks, ctx.line)
            if c.each and c.kind in ("command", "table")
        ]
        for res, (check, _) in zip(self._batch(ctx, mine), mine, strict=False):
            self._early[(id(check), cluster)] = res

    def _diagnose(self, ctx: Context, res: StepResult) -> StepResult:
        """Collect the YAML's diagnostics from every cluster; quietly (transcript only)."""
        runner.set_listener(None)
        try:
            folder = diagnostics.collect(ctx, res)
        except Interrupted:
            raise
        except (LiqoTutorError, OSError):
            folder = None
        finally:
            runner.set_listener(self._listener)
        if folder is None:
            return res
        shown = os.path.relpath(folder, Path.cwd()) if folder.is_relative_to(Path.cwd()) else str(folder)
        return dataclasses.replace(res, diagnostics=shown)

    def _actions(self, ctx: Context, step: Step) -> int:
        """Run the step's actions; returns how many ran (guards may skip them)."""
        wanted = self.opts.options
        actions = [a for a in _applicable(step.actions, ctx.line) if a.option is None or a.option in wanted]
        ran = 0
        if step.concurrent and not self.opts.sequential:
            single = [a for a in actions if not a.each]
            for a in single:
                ran += self._action(ctx, a, a.cluster)
            chains = [a for a in actions if a.each]
            if chains:
                ran += self._parallel(ctx, chains, after=lambda name: self._early_checks(ctx, step, name))
            return ran
        for a in actions:
            for cluster in _targets(self.tut, a.each, a.cluster):
                ran += self._action(ctx, a, cluster)
        return ran

    def _parallel(self, ctx: Context, chain: list[Action], after: Callable[[str], None] | None = None) -> int:
        """One thread per cluster, each running the whole chain for its cluster in order, then `after`."""

        def work(cluster: str) -> int:
            ran = sum(self._action(ctx, a, cluster) for a in chain)
            if after is not None:
                after(cluster)
            return ran

        names = [c.name for c in self.tut.clusters]
        pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="cluster")
        futures: list[Future[int]] = [pool.submit(work, n) for n in names]
        try:
            errors: list[BaseException] = []
            total = 0
            for fut in futures:
                try:
                    total += fut.result()
                except KeyboardInterrupt:
                    # Ctrl-C reaches the main thread only: stop the other clusters' commands now
                    # (their threads then get Interrupted) instead of waiting for their chains.
                    runner.terminate_all()
                    raise
                except Exception as exc:  # collected: the other clusters finish their chain
                    errors.append(exc)
            for err in errors:
                if isinstance(err, Interrupted):
                    raise err
            if errors:
                raise errors[0]
            return total
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _action(self, ctx: Context, action: Action, cluster: str | None) -> int:
        for guard in action.guards:
            with runner.quiet():
                res = run_check(ctx, guard, cluster if not guard.cluster else guard.cluster, quick=True)
            if not res.status.ok:
                ctx.note(f"nothing to do{f' on {cluster}' if cluster else ''}: not the case that {res.claim}")
                return 0
        if action.unless and cluster in self._fresh:
            # A cluster this run has just created holds nothing yet: no need to ask.
            pass
        elif action.unless:
            with runner.quiet():
                held = [
                    run_check(ctx, c, cluster if not c.cluster else c.cluster, quick=True)
                    for c in action.unless
                ]
            if all(r.status.ok for r in held):
                ctx.note(f"already done{f' on {cluster}' if cluster else ''}: {held[0].claim}")
                return 0
        byo = cluster is not None and ctx.clusters[cluster].byo
        if byo and action.undoes and cluster is not None and not self.state.recorded(action.undoes, cluster):
            ctx.note(f"left alone on {cluster}: it was there before liqo-tutor ({action.undoes})")
            return 0
        if byo and action.records and cluster is not None:
            # Recorded before running: an interrupted action still gets undone by teardown.
            self.state.record(action.records, cluster)
        self._claims_before(ctx, action, cluster)
        creates = action.kind == "create-cluster"
        new_cluster = creates and cluster is not None and not self.state.created(cluster)
        try:
            ACTIONS[action.kind](ctx, action, cluster)
        except LiqoTutorError as exc:
            if exc.hint is None and action.hint is not None:
                exc.hint = action.hint
            raise
        if new_cluster and cluster is not None and self.state.created(cluster):
            self._fresh.add(cluster)
        if byo and action.undoes and cluster is not None:
            self.state.forget(action.undoes, cluster)
        return 1

    def _claims_before(self, ctx: Context, action: Action, cluster: str | None) -> None:
        """The action's `before:` claims (polled like a step's checks), each reported as it is verified."""
        for check in _applicable(action.before, ctx.line):
            for target in _targets(self.tut, check.each, check.cluster or cluster):
                res = run_check(ctx, check, target)
                self._before.append(res)
                self.reporter.check_finished(ctx.step_id, res)
                if not res.status.ok:
                    raise _StepError(Status.FAILED, res.message, hint=res.hint)

    def _snapshot(self, ctx: Context) -> dict[str, explain.Snapshot]:
        """What each reachable cluster holds now (for --explain); commands go to the transcript only."""
        shots: dict[str, explain.Snapshot] = {}
        runner.set_listener(None)  # between steps nothing else runs: keep these reads off the screen
        try:
            for name, info in ctx.clusters.items():
                if not info.kubeconfig.exists():
                    shots[name] = explain.Snapshot.absent()
                    continue
                argv = explain.snapshot_argv(str(info.kubeconfig), info.context)
                try:
                    res = runner.run(
                        argv, env=ctx.env, timeout=ctx.scaled(30.0), cluster=name, cwd=ctx.workdir
                    )
                    shots[name] = explain.Snapshot.parse(res.stdout)
                except LiqoTutorError:
                    shots[name] = explain.Snapshot.absent()
        finally:
            runner.set_listener(self._listener)
        return shots

    # -- teardown ---------------------------------------------------------------------------

    def _teardown_body(self, *, announce: bool) -> Context | None:
        steps = list(self.tut.teardown_steps)
        if announce:
            ctx = self._start(steps, need_line=False)
        else:
            ctx = self.ctx or self._start(steps, need_line=False)
        own_at_start = [n for n, i in ctx.clusters.items() if not i.byo and self.state.created(n)]
        self._undo_pods(ctx)  # a probe pod left behind by an interruption: a visible clean-up
        problems: list[str] = []
        for step in steps:
            res = self._execute(ctx, step, teardown=True)
            if not res.status.ok:
                problems.append(f"{step.id}: {res.message}")
        # Verify nothing is left behind: our clusters and the kubeconfig files we wrote.
        leftovers: list[str] = []
        own = [n for n, i in ctx.clusters.items() if not i.byo and self.state.created(n)]
        if own:
            try:
                with runner.quiet():
                    existing = kind_tool.get_clusters(
                        _split(self.tut.provider.list), env=self.opts.env, cwd=self.opts.workdir
                    )
                leftovers += [f"cluster {n}" for n in own if n in existing]
            except LiqoTutorError as exc:
                leftovers.append(f"could not list clusters ({exc.message})")
        for kc in list(self.state.kubeconfigs):
            if Path(kc).exists():
                leftovers.append(f"kubeconfig {kc}")
            else:
                self.state.kubeconfigs.remove(kc)
        with runner.quiet():
            leftovers += self._leftover_pods(ctx)
        for path in kubeconfigs.default_paths(self.opts.env):
            names = kubeconfigs.contexts(path)
            leftovers += [
                f"context {c} in {path} (`kubectl config delete-context {c}`)"
                for c in (kubeconfigs.KIND_CONTEXT.format(cluster=n) for n in own_at_start)
                if c in names
            ]
        if leftovers:
            what = ", ".join(leftovers)
            ctx.note("could not remove: " + what)
            self._leftovers_result(what)
        else:
            self.state.reset_steps()
            ctx.note("teardown complete: nothing left behind")
        self.state.save()
        return ctx

    def _undo_pods(self, ctx: Context) -> None:
        """Delete the probe pods an interrupted step left behind (newest first); absence is fine."""
        for pod in self.state.pods():
            cluster, ns, name = pod.get("cluster", ""), pod.get("namespace", ""), pod.get("name", "")
            info = ctx.clusters.get(cluster)
            if info is None or not info.kubeconfig.exists():
                continue  # its cluster is gone or unknown: checked again at the end
            try:
                ctx.run(
                    ["kubectl", "delete", "pod", name, "-n", ns, "--ignore-not-found", "--wait=false"],
                    cluster=cluster,
                    timeout=ctx.scaled(60.0),
                )
            except Interrupted:
                raise
            except LiqoTutorError as exc:
                ctx.note(f"could not delete the pod {ns}/{name} in {cluster}: {exc.message}")
                continue
            self.state.drop_pod(cluster, ns, name)

    def _leftover_pods(self, ctx: Context) -> list[str]:
        """Recorded probe pods still present; records of pods whose cluster is gone are dropped."""
        out = []
        for pod in self.state.pods():
            cluster, ns, name = pod.get("cluster", ""), pod.get("namespace", ""), pod.get("name", "")
            info = ctx.clusters.get(cluster)
            if info is None or not info.kubeconfig.exists():
                if info is None or not info.byo:
                    self.state.drop_pod(cluster, ns, name)  # deleted with its cluster
                    continue
                out.append(f"pod {ns}/{name} in {cluster} (its kubeconfig is missing)")
                continue
            try:
                res = ctx.run(
                    ["kubectl", "get", "pod", name, "-n", ns, "--ignore-not-found", "-o", "name"],
                    cluster=cluster,
                    timeout=ctx.scaled(60.0),
                )
            except Interrupted:
                raise
            except LiqoTutorError:
                out.append(f"pod {ns}/{name} in {cluster} (could not check)")
                continue
            if res.stdout.strip():
                out.append(f"pod {ns}/{name} in {cluster}")
            else:
                self.state.drop_pod(cluster, ns, name)
        return out

    def _leftovers_result(self, what: str) -> None:
        res = StepResult(
            step_id="nothing-left",
            title="Verify that nothing is left",
            status=Status.FAILED,
            message=f"could not remove: {what}",
            hint="remove these by hand, or run `liqo-tutor teardown` again once the cause is fixed",
        )
        self.reporter.step_started(res.step_id, res.title, "")
        self.reporter.step_finished(res)
        self.results.append(res)

"""One run, step or teardown: the Session and its run loop (which steps run, skip, stop)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from liqo_tutor import doctor, kubeconfigs
from liqo_tutor.background import background_dir, kill_leftovers
from liqo_tutor.constants import STATE_DIR_NAME, TRANSCRIPT_FILE
from liqo_tutor.context import Context
from liqo_tutor.engine import steps as step_runner
from liqo_tutor.engine import teardowns
from liqo_tutor.engine.model import RunOptions
from liqo_tutor.engine.observe import ReporterObserver, SafeReporter
from liqo_tutor.engine.resolve import clusters_of, make_context, make_shell
from liqo_tutor.errors import InputError, Interrupted, StepFailed
from liqo_tutor.lines import Detected, detect_line, forced_note, probe_servers
from liqo_tutor.results import CheckResult, CommandResult, Reporter, RunResult, StepResult
from liqo_tutor.shell import quiet
from liqo_tutor.state import State
from liqo_tutor.tools import runner
from liqo_tutor.transcript import Transcript
from liqo_tutor.tutorial import Step, Tutorial

__all__ = ["Session"]


class Session:
    """The state of one run: options, workdir state, the shell, results so far, per-step bookkeeping."""

    def __init__(self, tut: Tutorial, opts: RunOptions, state: State, reporter: Reporter) -> None:
        self.tut = tut
        self.opts = opts
        self.state = state
        self.reporter: Reporter = SafeReporter(reporter)
        transcript = Transcript(opts.workdir / STATE_DIR_NAME / TRANSCRIPT_FILE)
        observer = ReporterObserver(self.reporter, verbose=opts.verbose, transcript=transcript)
        self.shell = make_shell(tut, opts, observer)
        self.ctx: Context | None = None
        self.t0 = time.monotonic()
        self.results: list[StepResult] = []
        self.fresh: set[str] = set()  # clusters this run created (empty: `unless` probes are moot)
        self.before: list[CheckResult] = []  # the running step's claims verified before an action
        # The running step's claims already asked by a cluster's thread: (id(check), cluster) -> result.
        self.early: dict[tuple[int, str | None], CheckResult] = {}
        self.undone_on: set[str] = set()  # clusters where the running step's `each:` actions ran
        self.client_version: str | None = None

    # -- setup ------------------------------------------------------------------------------

    def start(self, steps: Sequence[Step], *, need_line: bool = True) -> Context:
        """Check the machine, choose the line, refuse clusters of another line, record, announce."""
        if need_line:
            self._check_kubeconfigs()
        self.preflight(create=False)
        detected = self._choose_line(need_line)
        ctx = make_context(
            self.tut, self.opts, self.state, self.reporter, self.shell, detected.line, detected.version
        )
        # Before anything is recorded: clusters already running Liqo of another line stop the run here.
        with quiet():
            verdict = probe_servers(self.tut, self.shell, line=ctx.line, version=ctx.liqo_version)
        if verdict.error and need_line:
            raise InputError(verdict.error, hint=verdict.hint)
        if self.state.tutorial_hash not in (None, self.tut.digest) and self.state.steps:
            self.reporter.note("the tutorial changed since the last run: recorded progress is re-verified")
            self.state.steps = {}
        self.state.tutorial = self.tut.name
        self.state.line = detected.line
        self.state.liqo_version = detected.version
        self.state.tutorial_hash = self.tut.digest
        self.state.save()
        self.reporter.run_started(self.tut.name, self.tut.title, detected.line, [s.id for s in steps])
        self._announce_line(detected)
        # A crashed run may have left a background command (a port-forward) running: stop it now.
        for line in kill_leftovers(background_dir(self.opts.workdir)):
            self.reporter.note(f"stopped a background command an earlier run left running: {line}")
        for text in list(verdict.notes) + list(verdict.warnings):
            self.reporter.note(text)
        if verdict.error:
            self.reporter.note(f"warning: {verdict.error}")
        self.ctx = ctx
        return ctx

    def _announce_line(self, detected: Detected) -> None:
        lines = self.tut.lines
        client = f"liqoctl {detected.client}" if detected.client else "liqoctl (version unread)"
        how = (
            "chosen with --line"
            if self.opts.line
            else ("detected" if detected.client else "as recorded, or the default")
        )
        self.reporter.note(
            f"{client}: Liqo line {detected.line} {how} ({lines[detected.line].range}), Liqo version "
            f"{detected.version} (supported: {'; '.join(f'{n} {ln.range}' for n, ln in lines.items())})"
        )
        forced = forced_note(lines, forced=self.opts.line, detected=detected.client)
        if forced:
            self.reporter.note(forced)

    def _check_kubeconfigs(self) -> None:
        """A kubeconfig that is given but missing, or present but not a kubeconfig, is bad input."""
        for name, info in clusters_of(self.tut, self.opts).items():
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

    def _choose_line(self, need_line: bool) -> Detected:
        recorded = self.state.line
        if not need_line:
            detected = detect_line(
                self.tut, self.shell, forced=self.opts.line, recorded=recorded, strict=False
            )
        else:
            with quiet():
                detected = detect_line(
                    self.tut, self.shell, forced=self.opts.line, recorded=recorded, strict=True
                )
        self.client_version = detected.client
        return detected

    def preflight(self, *, create: bool) -> None:
        """doctor's fast checks of the programs the tutorial requires (one place for those facts)."""
        byo_all = all(c.name in self.opts.clusters for c in self.tut.clusters)
        doctor.preflight(self._doctor_run, self.opts.env, self.tut.requires, create=create, byo_all=byo_all)

    def _doctor_run(self, argv: Sequence[str], *, env: object = None, timeout: float) -> CommandResult:
        return self.shell.run(argv, timeout=self.shell.scaled(timeout), visibility="plumbing")

    # -- the end ----------------------------------------------------------------------------

    def finish(self, line: str | None) -> RunResult:
        result = RunResult(
            tutorial=self.tut.name, line=line, steps=tuple(self.results), duration=time.monotonic() - self.t0
        )
        self.reporter.run_finished(result)
        return result

    def guarded(self, fn: Callable[[], RunResult]) -> RunResult:
        """Run `fn`; Ctrl-C stops every child and saves the state; the runner refuses new commands
        after an interruption (per-cluster threads may still be about to start one)."""
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
            if self.ctx is not None:
                self.ctx.jobs.end()  # what went on behind the steps ends with them
            if not interrupted:
                runner.reset()

    # -- entry points -----------------------------------------------------------------------

    def main_range(self) -> list[Step]:
        steps = list(self.tut.main_steps)
        ids = [s.id for s in steps]
        for opt in (self.opts.from_step, self.opts.to_step):
            if opt is not None and opt not in ids:
                raise InputError(f"unknown step {opt!r} (steps: {', '.join(ids)})")
        start = ids.index(self.opts.from_step) if self.opts.from_step else 0
        end = ids.index(self.opts.to_step) + 1 if self.opts.to_step else len(ids)
        return steps[start:end]

    def run_main(self) -> RunResult:
        steps = self.main_range()

        def body() -> RunResult:
            nothing = self.opts.restart and teardowns.nothing_to_tear_down(self)
            if self.opts.restart and not nothing:
                teardowns.teardown_body(self, announce=False)
            if self.opts.restart:
                teardowns.forget_progress(self)
            ctx = self.start(steps)
            if nothing:
                self.reporter.note(
                    "--restart: nothing to tear down (no cluster, kubeconfig or probe pod recorded here)"
                )
            for step in steps:
                if not self._run_or_skip(ctx, step):
                    break
            ctx.jobs.end()
            # --teardown: also after a failed step (an interruption propagates instead).
            if self.opts.teardown_after:
                teardowns.teardown_body(self, announce=False)
            return self.finish(ctx.line)

        return self.guarded(body)

    def _run_or_skip(self, ctx: Context, step: Step) -> bool:
        """One step of a run: skipped when it holds live, asked about in learner mode, else run.
        False when the run stops here."""
        if self.state.steps.get(step.id) == "done":
            if step.verify == "by-running":
                # It changes nothing: probing again is its live verification.
                return step_runner.execute(self, ctx, step, verifying=True).status.ok
            held = step_runner.holds(self, ctx, step)
            if held is not None:
                step_runner.skipped(self, step, "already done: its checks hold live", held)
                return True
        if self.opts.prompter is not None:
            no_skip = step_runner.no_skip(self, step)
            answer = self.opts.prompter.ask(step, no_skip)
            if answer == "quit":
                self.state.save()
                self.reporter.note(
                    f"stopped before {step.id} at your request; progress is saved: "
                    "`liqo-tutor run --interactive` resumes here"
                )
                return False
            if answer == "skip" and no_skip is None:
                step_runner.skipped(self, step, "skipped at your request")
                return True
        return step_runner.execute(self, ctx, step).status.ok

    def run_one(self, step_id: str) -> RunResult:
        step = self.tut.step(step_id)
        assert step is not None

        def body() -> RunResult:
            ctx = self.start([step])
            if not step.teardown:
                for earlier in self.tut.main_steps:
                    if earlier.id == step.id:
                        break
                    if step_runner.holds(self, ctx, earlier) is None:
                        raise StepFailed(
                            f"step {step.id} needs step {earlier.id} first: it is not done (verified live)",
                            hint=f"run `liqo-tutor step {earlier.id}`, or `liqo-tutor run --to {step.id}`",
                        )
            step_runner.execute(self, ctx, step)
            return self.finish(ctx.line)

        return self.guarded(body)

    def run_teardown(self) -> RunResult:
        def body() -> RunResult:
            ctx = teardowns.teardown_body(self, announce=True)
            return self.finish(ctx.line if ctx else self.state.line)

        return self.guarded(body)

"""What the engine hands a verb or a claim: variables, clusters, captures, the runner, the reporter.

Variables are resolved per argv word after shlex-splitting (a value never becomes syntax); a saved
output (`save:`) is a variable of later commands and claims, kept in the workdir (captures.py).
Background processes and other step-scoped resources are released by `end_step()`; work that goes
on behind the steps (`jobs`) ends with the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shlex
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

from liqo_tutor import secrets
from liqo_tutor.background import Background, background_dir
from liqo_tutor.captures import CaptureStore
from liqo_tutor.errors import CaptureMissing, StepFailed, ToolFailed, ToolTimeout, TutorialError
from liqo_tutor.jobs import Jobs
from liqo_tutor.lines import line_vars
from liqo_tutor.results import CommandResult
from liqo_tutor.shell import ClusterShell
from liqo_tutor.shell import quiet as shell_quiet
from liqo_tutor.tools import helm
from liqo_tutor.tutorial import VAR_RE, Action, ClusterSpec, Tutorial

if TYPE_CHECKING:
    from liqo_tutor.results import Reporter
    from liqo_tutor.state import State

__all__ = ["ClusterInfo", "Context", "substitute_argv"]

T = TypeVar("T")


@dataclass(frozen=True)
class ClusterInfo:
    spec: ClusterSpec
    kubeconfig: Path  # absolute
    context: str | None = None
    byo: bool = False  # bring-your-own: never created nor deleted by us

    @property
    def name(self) -> str:
        return self.spec.name


# `--flag={var}`: a flag whose whole value is one variable.
_FLAG_VAR_RE = re.compile(r"(--?[A-Za-z0-9][A-Za-z0-9-]*)=" + VAR_RE.pattern)


def substitute_argv(command: str, lookup: Callable[[str, str | None], str]) -> list[str]:
    """shlex-split `command`, then substitute `{var}` inside each token: a value never becomes syntax.

    A token that is exactly one variable whose value is empty is dropped (an optional flag), and so
    is a `--flag={var}` token whose variable is empty: no person types `--cluster-labels=`.
    """
    out: list[str] = []
    for token in shlex.split(command):
        whole = VAR_RE.fullmatch(token)
        value = VAR_RE.sub(lambda m: lookup(m.group(1), m.group(2)), token)
        if whole and value == "":
            continue
        flag = _FLAG_VAR_RE.fullmatch(token)
        if flag and value == f"{flag.group(1)}=":
            continue
        out.append(value)
    return out


class Context:
    """Everything an action or check needs: variables, clusters, the runner, captures, the reporter."""

    def __init__(
        self,
        tutorial: Tutorial,
        *,
        line: str,
        liqo_version: str,
        workdir: Path,
        env: Mapping[str, str],
        clusters: Mapping[str, ClusterInfo],
        timeout_scale: float,
        state: State,
        reporter: Reporter,
        replace: bool = False,
        shell: ClusterShell | None = None,
        overlap: bool = True,
    ) -> None:
        self.tutorial = tutorial
        self.line = line
        self.liqo_version = liqo_version
        self.workdir = workdir
        self.clusters = dict(clusters)
        self.timeout_scale = timeout_scale
        self.state = state
        self.reporter = reporter
        self.replace = replace
        # False with --sequential: nothing goes on behind the steps (no jobs).
        self.overlap = overlap
        self.jobs = Jobs()
        # Set while a plan is rendered: captures not yet saved show as `<name>` instead of failing.
        self.planning = False
        # Every command goes through the shell (its observer hears of it); a Context built by hand
        # (tests) gets one that tells nobody.
        # helm keeps its repositories under the workdir (tools/helm.py); an explicit HELM_*_HOME wins.
        self._env = {**helm.env(workdir), **(shell.env if shell is not None else env)}
        self.shell = shell or ClusterShell(
            env=self._env, workdir=workdir, clusters=self.clusters, timeout_scale=timeout_scale
        )
        self.shell.env = self._env  # one dict: a variable set on ctx.env reaches the next command
        self.step_id = ""
        self._lock = threading.Lock()
        self._captures = CaptureStore(workdir, tutorial.digest)
        self._commands: list[CommandResult] = []
        self._at_end: list[Callable[[], None]] = []
        self._not_produced: set[str] = set()  # captures of actions the engine skipped
        self._shared: dict[str, tuple[threading.Lock, list[object]]] = {}
        self._vars = dict(tutorial.vars)
        self._vars.update(line_vars(tutorial.lines[line], liqo_version))
        self._vars.update(
            manifests=tutorial.manifests, workdir=str(workdir), line=line, liqo_version=liqo_version
        )

    @property
    def env(self) -> dict[str, str]:
        """The environment of every command (the shell's: changing it changes what runs next)."""
        return self._env

    # -- variables --------------------------------------------------------------------------

    def _cluster_vars(self, name: str) -> dict[str, str]:
        info = self.clusters[name]
        spec = info.spec
        out = dict(spec.vars)
        kind_config = ""
        if spec.kind_config:
            rel = VAR_RE.sub(lambda m: self._lookup(m.group(1), None, {}, 0), spec.kind_config)
            kind_config = str(Path(self.tutorial.manifests) / rel)
        out.update(
            cluster=name,
            kubeconfig=str(info.kubeconfig),
            kubeconfig_env=spec.env,
            kind_config=kind_config,
            cluster_labels=",".join(f"{k}={v}" for k, v in sorted(spec.labels.items())),
            # the kubeconfig context of a bring-your-own cluster (`--cluster NAME=FILE@CONTEXT`), else empty
            context=info.context or "",
        )
        return out

    def _lookup(self, name: str, cluster: str | None, extra: Mapping[str, str], depth: int) -> str:
        if depth > 8:
            raise TutorialError(f"{self.tutorial.path}: variable {{{name}}} refers to itself")
        if name in extra:
            return extra[name]
        if cluster is not None:
            cvars = self._cluster_vars(cluster)
            if name in cvars:
                value = cvars[name]
                return (
                    value
                    if name in ("kubeconfig", "kind_config")
                    else self._expand(value, cluster, extra, depth + 1)
                )
        if name in self._vars:
            return self._expand(self._vars[name], cluster, extra, depth + 1)
        if name in self.tutorial.saves:
            return self.capture_value(name, cluster)
        raise TutorialError(
            f"{self.tutorial.path}: undefined variable {{{name}}}"
            + ("" if cluster else " (no cluster in this context)")
        )

    def _expand(self, text: str, cluster: str | None, extra: Mapping[str, str], depth: int) -> str:
        return VAR_RE.sub(lambda m: self._lookup(m.group(1), m.group(2) or cluster, extra, depth), text)

    def text(self, template: str, cluster: str | None, extra: Mapping[str, str] | None = None) -> str:
        """A string with its variables substituted (claims, expected values, labels)."""
        return self._expand(template, cluster, extra or {}, 0)

    def argv(self, command: str, cluster: str | None, extra: Mapping[str, str] | None = None) -> list[str]:
        extra = extra or {}
        return substitute_argv(command, lambda n, at: self._lookup(n, at or cluster, extra, 0))

    def scaled(self, seconds: float) -> float:
        return seconds * self.timeout_scale

    # -- captures ---------------------------------------------------------------------------

    def save(self, name: str, cluster: str | None, value: str) -> None:
        self._captures.put(f"{name}@{cluster}" if cluster else name, value)

    def captured(self, key: str, *, fresh: bool = True) -> str | None:
        """A capture by its key (`name@cluster`, or `name` when saved outside any cluster); `fresh`:
        saved by this process (what claims judge), else also one kept from an earlier process."""
        value = self._captures.get(key, fresh=fresh)
        if value is None and "@" in key:
            value = self._captures.get(key.partition("@")[0], fresh=fresh)
        return value

    def action_skipped(self, action: Action, cluster: str | None) -> None:
        """The engine skipped `action` on `cluster` (a guard, or `unless` held): what it would have saved
        was not produced, and claims on it are skipped rather than failed."""
        from liqo_tutor import verbs

        verb = verbs.get(action.kind)
        with self._lock:
            for name in verb.saves(verb.spec(action)):
                self._not_produced.add(f"{name}@{cluster}" if cluster else name)

    def not_produced(self, key: str) -> bool:
        with self._lock:
            return key in self._not_produced or key.partition("@")[0] in self._not_produced

    def capture_value(self, name: str, cluster: str | None) -> str:
        """A capture used as a variable: one line, set by an earlier step (this run or a previous one)."""
        key = f"{name}@{cluster}" if cluster else name
        value = self.captured(key, fresh=False)
        if value is None and self.planning:
            # A plan (show, --dry-run) names the value a later step reads, as the doc writes it.
            return self._placeholder(name)
        if value is None:
            step = self.tutorial.saves.get(name, "?")
            raise CaptureMissing(
                f"capture {key} is not set: run step {step} first",
                key=key,
                hint=f"`liqo-tutor step {step}` saves it",
            )
        if "\n" in value.strip():
            raise StepFailed(f"capture {key} has several lines; a command word cannot")
        return value.strip()

    def _placeholder(self, name: str) -> str:
        """`$VAR` when the producing action names the shell variable the doc uses, else `<name>`."""
        from liqo_tutor import verbs

        for step in self.tutorial.steps:
            for action in step.actions:
                verb = verbs.get(action.kind)
                spec = verb.spec(action)
                if name in verb.saves(spec) and getattr(spec, "shell_var", None):
                    return f"${spec.shell_var}"
        return f"<{name}>"

    # -- steps ------------------------------------------------------------------------------

    def begin_step(self, step_id: str) -> None:
        with self._lock:
            self.step_id = step_id
            self._commands = []
            self._shared = {}

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """One answer per step to a query the clusters' chains all ask at its start (the provider's
        list of clusters): the first caller computes it, the others wait for that answer."""
        with self._lock:
            entry = self._shared.setdefault(key, (threading.Lock(), []))
        with entry[0]:
            if not entry[1]:
                entry[1].append(compute())
            return cast("T", entry[1][0])

    def forget(self, key: str) -> None:
        """Drop a shared answer that a command of this step made stale."""
        with self._lock:
            self._shared.pop(key, None)

    def at_step_end(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the current step ends, whatever its outcome (LIFO)."""
        with self._lock:
            self._at_end.append(callback)

    def end_step(self) -> None:
        """Release what the step started (background processes); never raises for one of them."""
        while True:
            with self._lock:
                if not self._at_end:
                    return
                callback = self._at_end.pop()
            with contextlib.suppress(Exception):
                callback()

    def step_commands(self) -> tuple[CommandResult, ...]:
        with self._lock:
            return tuple(self._commands)

    def _record(self, result: CommandResult) -> None:
        safe = dataclasses.replace(
            result,
            argv=tuple(secrets.redact_argv(result.argv)),
            stdout=secrets.redact(result.stdout),
            stderr=secrets.redact(result.stderr),
        )
        with self._lock:
            self._commands.append(safe)

    # -- commands ---------------------------------------------------------------------------

    def with_kubeconfig(self, argv: Sequence[str], cluster: str | None) -> list[str]:
        """`argv` as it runs on `cluster` (kubectl/liqoctl/helm get `--kubeconfig`)."""
        return self.shell.argv(argv, cluster)

    def display(self, argv: Sequence[str], cluster: str | None) -> str:
        """The command as a person types it, with its cluster's kubeconfig."""
        return self.shell.display(argv, cluster)

    def run(
        self,
        argv: Sequence[str],
        *,
        cluster: str | None,
        timeout: float,
        ok_codes: Collection[int] = (0,),
        secret_values: Collection[str] = (),
        stdin: str | None = None,
        quiet: bool = False,
    ) -> CommandResult:
        """Run through the shell with the cluster's kubeconfig; `quiet`: plumbing (screen with -v only)."""
        try:
            result = self.shell.run(
                argv,
                cluster=cluster,
                timeout=timeout,
                ok_codes=ok_codes,
                stdin=stdin,
                secrets=secret_values,
                visibility="plumbing" if quiet else None,
            )
        except (ToolFailed, ToolTimeout) as exc:
            self._record(exc.result)
            raise
        self._record(result)
        return result

    def spawn(self, argv: Sequence[str], *, cluster: str | None) -> Background:
        """Start `argv` in the background on `cluster`; it is stopped when the step ends."""
        proc = Background(
            self.with_kubeconfig(argv, cluster),
            env=self.env,
            cwd=self.workdir,
            record_dir=background_dir(self.workdir),
        )
        self.at_step_end(lambda: None if proc.stop() else None)
        return proc

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        with shell_quiet():
            yield

    def note(self, text: str) -> None:
        self.reporter.note(text)

    def show(self, label: str, text: str) -> None:
        self.reporter.output_shown(self.step_id, label, secrets.redact(text))

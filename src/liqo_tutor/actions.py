"""Generic verbs used by the YAML (run, create-cluster, delete-cluster, generated-command, run-pod).

The Context resolves variables per argv token and runs every child through tools/runner.py with the
cluster's kubeconfig. pre-commit's all_languages.py is the model: a plain dict from YAML word to function.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from liqo_tutor import secrets
from liqo_tutor.errors import LiqoTutorError, StepFailed, ToolFailed, ToolTimeout, TutorialError
from liqo_tutor.lines import line_vars
from liqo_tutor.loader import parse_pattern
from liqo_tutor.pods import pod_command, run_pod
from liqo_tutor.results import CommandResult
from liqo_tutor.tools import kind as kind_tool
from liqo_tutor.tools import runner
from liqo_tutor.tools.kubectl import with_kubeconfig
from liqo_tutor.tutorial import VAR_RE, Action, ClusterSpec, Tutorial

if TYPE_CHECKING:
    from liqo_tutor.results import Reporter
    from liqo_tutor.state import State

__all__ = [
    "ACTIONS",
    "ClusterInfo",
    "Context",
    "GeneratedCommandError",
    "match_generated",
    "pod_command",
    "substitute_argv",
]

SHELL_META = set(";&|$`<>(){}\\\n")
TYPE_PATTERNS: dict[str, re.Pattern[str]] = {
    "dns-label": re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$"),
    "https-url": re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/-]*)?$"),
    "uuid": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    "hex128": re.compile(r"^[0-9a-f]{128}$"),
    "word": re.compile(r"^[A-Za-z0-9._-]+$"),
}
_FIND_SECRET = {"hex128": re.compile(r"[0-9a-fA-F]{128}")}


class GeneratedCommandError(LiqoTutorError):
    """A generated command that is not exactly the declared shape."""


@dataclass(frozen=True)
class ClusterInfo:
    spec: ClusterSpec
    kubeconfig: Path  # absolute
    context: str | None = None
    byo: bool = False  # bring-your-own: never created nor deleted by us

    @property
    def name(self) -> str:
        return self.spec.name


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


# `--flag={var}`: a flag whose whole value is one variable.
_FLAG_VAR_RE = re.compile(r"(--?[A-Za-z0-9][A-Za-z0-9-]*)=" + VAR_RE.pattern)


def match_generated(line: str, pattern: str) -> tuple[list[str], dict[str, str]]:
    """Validate a generated command line against `pattern` -> (argv, {placeholder: value}).

    Refuses shell syntax, extra or missing words, another program or subcommand, and values that do
    not have their declared type. Messages never quote values of secret placeholders.
    """
    bad = sorted({c for c in line if c in SHELL_META})
    if bad:
        raise GeneratedCommandError(
            f"refusing the generated command: it contains shell syntax {''.join(bad)!r}"
        )
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise GeneratedCommandError(f"refusing the generated command: cannot split it ({exc})") from None
    spec = parse_pattern(pattern)
    shape = " ".join(w if t is None else f"<{w}>" for w, t, _ in spec)
    if len(words) != len(spec):
        raise GeneratedCommandError(
            f"refusing the generated command: {len(words)} words where `{shape}` has {len(spec)}"
        )
    values: dict[str, str] = {}
    for i, (word, (lit, typ, secret)) in enumerate(zip(words, spec, strict=True)):
        if typ is None:
            ok = word == lit or (i == 0 and "/" in word and os.path.basename(word) == lit)
            if not ok:
                raise GeneratedCommandError(
                    f"refusing the generated command: word {i + 1} is {word!r}, expected {lit!r} (`{shape}`)"
                )
            continue
        if not TYPE_PATTERNS[typ].match(word):
            shown = "the value" if secret else repr(word)
            raise GeneratedCommandError(
                f"refusing the generated command: {shown} for <{lit}> is not a valid {typ}"
            )
        values[lit] = word
    argv = [spec[0][0]] + words[1:]
    return argv, values


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
    ) -> None:
        self.tutorial = tutorial
        self.line = line
        self.liqo_version = liqo_version
        self.workdir = workdir
        self.env = dict(env)
        self.clusters = dict(clusters)
        self.timeout_scale = timeout_scale
        self.state = state
        self.reporter = reporter
        self.replace = replace
        self.step_id = ""
        self._lock = threading.Lock()
        self._captures: dict[str, str] = {}
        self._commands: list[CommandResult] = []
        self._vars = dict(tutorial.vars)
        self._vars.update(line_vars(tutorial.lines[line], liqo_version))
        self._vars.update(
            manifests=tutorial.manifests, workdir=str(workdir), line=line, liqo_version=liqo_version
        )

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
        with self._lock:
            self._captures[f"{name}@{cluster}" if cluster else name] = value

    def captured(self, key: str) -> str | None:
        with self._lock:
            return self._captures.get(key)

    # -- commands ---------------------------------------------------------------------------

    def begin_step(self, step_id: str) -> None:
        with self._lock:
            self.step_id = step_id
            self._commands = []

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

    def run(
        self,
        argv: Sequence[str],
        *,
        cluster: str | None,
        timeout: float,
        ok_codes: Collection[int] = (0,),
        secret_values: Collection[str] = (),
    ) -> CommandResult:
        """Run through the seam with the cluster's kubeconfig (kubectl/liqoctl get `--kubeconfig`)."""
        args = list(argv)
        if cluster is not None:
            info = self.clusters[cluster]
            args = with_kubeconfig(args, str(info.kubeconfig), info.context)
        _thread.cluster = cluster
        try:
            result = runner.run(
                args,
                env=self.env,
                timeout=timeout,
                ok_codes=ok_codes,
                cluster=cluster,
                cwd=self.workdir,
                secrets=secret_values,
            )
        except (ToolFailed, ToolTimeout) as exc:
            self._record(exc.result)
            raise
        self._record(result)
        return result

    def note(self, text: str) -> None:
        self.reporter.note(text)

    def show(self, label: str, text: str) -> None:
        self.reporter.output_shown(self.step_id, label, secrets.redact(text))


_thread = threading.local()


def current_cluster() -> str | None:
    """The cluster of the command this thread is running (for the runner's start notification)."""
    return getattr(_thread, "cluster", None)


# ---------------------------------------------------------------------------------------------
# The verbs


def _with_retries(ctx: Context, action: Action, fn: Callable[[], CommandResult]) -> CommandResult:
    attempt = 0
    while True:
        try:
            return fn()
        except ToolFailed as exc:
            if attempt >= action.retries:
                raise
            attempt += 1
            ctx.note(
                f"`{exc.result.display}` failed (exit {exc.result.exit_code}); retry {attempt} of "
                f"{action.retries} in {action.retry_delay:g}s"
            )
            time.sleep(action.retry_delay)


def run_command(ctx: Context, action: Action, cluster: str | None) -> None:
    argv = ctx.argv(action.command, cluster)
    result = _with_retries(
        ctx,
        action,
        lambda: ctx.run(argv, cluster=cluster, timeout=ctx.scaled(action.timeout), ok_codes=action.ok_codes),
    )
    if action.save:
        ctx.save(action.save, cluster, result.stdout.strip())
    if action.show:
        ctx.show(ctx.text(action.show, cluster), result.stdout)


def _existing_clusters(ctx: Context) -> list[str]:
    argv = ctx.argv(ctx.tutorial.provider.list, None)
    with runner.quiet():
        result = ctx.run(argv, cluster=None, timeout=ctx.scaled(60.0))
    return kind_tool.parse_clusters(result.stdout)


def _delete_cluster(ctx: Context, cluster: str, timeout: float) -> None:
    argv = ctx.argv(ctx.tutorial.provider.delete, cluster)
    ctx.run(argv, cluster=None, timeout=ctx.scaled(timeout))


def create_cluster(ctx: Context, action: Action, cluster: str | None) -> None:
    assert cluster is not None
    info = ctx.clusters[cluster]
    if info.byo:
        ctx.note(f"cluster {cluster}: using your kubeconfig {info.kubeconfig}, nothing to create")
        return
    if cluster in _existing_clusters(ctx):
        if ctx.state.created(cluster) and info.kubeconfig.exists():
            ctx.note(f"cluster {cluster} already exists (created by liqo-tutor)")
            return
        if not ctx.state.created(cluster) and not ctx.replace:
            raise StepFailed(
                f'a kind cluster named "{cluster}" already exists and was not created by liqo-tutor',
                hint=f"delete it yourself (`kind delete cluster --name {cluster}`), or pass --replace to let "
                "liqo-tutor delete and recreate it",
            )
        ctx.note(f"deleting the existing cluster {cluster} before recreating it")
        _delete_cluster(ctx, cluster, action.timeout)
    # Recorded before creating: an interrupted create still gets cleaned up by teardown.
    ctx.state.add_cluster(cluster, str(info.kubeconfig))
    argv = ctx.argv(action.command, cluster)
    ctx.run(argv, cluster=None, timeout=ctx.scaled(action.timeout), ok_codes=action.ok_codes)


def delete_cluster(ctx: Context, action: Action, cluster: str | None) -> None:
    assert cluster is not None
    info = ctx.clusters[cluster]
    if info.byo or (not ctx.state.created(cluster) and not ctx.replace):
        if not info.byo and cluster in _existing_clusters(ctx):
            ctx.note(f"cluster {cluster} was not created by liqo-tutor: left alone (--replace deletes it)")
        return
    if cluster in _existing_clusters(ctx):
        ctx.run(
            ctx.argv(action.command, cluster),
            cluster=None,
            timeout=ctx.scaled(action.timeout),
            ok_codes=action.ok_codes,
        )
    try:
        info.kubeconfig.unlink()
    except FileNotFoundError:
        pass
    ctx.state.remove_cluster(cluster, str(info.kubeconfig))


def generated_command(ctx: Context, action: Action, cluster: str | None) -> None:
    """Run the generator on `source`, validate its one-line output, run it on `cluster`."""
    assert cluster is not None and action.source is not None and action.pattern is not None
    spec = parse_pattern(action.pattern)
    secret_types = {t for _, t, s in spec if s and t}
    gen_argv = ctx.argv(action.command, action.source)

    def register_found(text: str) -> None:
        for typ in secret_types:
            finder = _FIND_SECRET.get(typ)
            for m in finder.finditer(text) if finder else ():
                secrets.register(m.group(0))

    try:
        gen = ctx.run(gen_argv, cluster=action.source, timeout=ctx.scaled(120.0))
    except ToolFailed as exc:
        # v0.x liqoctl prints its errors on stdout: check the exit code before trusting the text.
        # A secret in that text is registered, and the error (message, result) rebuilt without it.
        register_found(exc.result.stdout + exc.result.stderr)
        safe = dataclasses.replace(
            exc.result, stdout=secrets.redact(exc.result.stdout), stderr=secrets.redact(exc.result.stderr)
        )
        raise ToolFailed(safe, hint=exc.hint) from None
    register_found(gen.stdout)
    lines = [line for line in gen.stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        raise GeneratedCommandError(
            f"`{gen.display}` printed {len(lines)} non-empty lines, expected exactly one command",
            hint=action.hint,
        )
    argv, values = match_generated(lines[0].strip(), action.pattern)
    for name, typ, secret in spec:
        if secret and typ is not None:
            secrets.register(values[name])
    if action.extra_args:
        argv += ctx.argv(action.extra_args, cluster)
    secret_values = [values[name] for name, typ, secret in spec if secret and typ is not None]
    _with_retries(
        ctx,
        action,
        lambda: ctx.run(
            argv,
            cluster=cluster,
            timeout=ctx.scaled(action.timeout),
            ok_codes=action.ok_codes,
            secret_values=secret_values,
        ),
    )


ACTIONS: dict[str, Callable[[Context, Action, str | None], None]] = {
    "run": run_command,
    "create-cluster": create_cluster,
    "delete-cluster": delete_cluster,
    "generated-command": generated_command,
    "run-pod": run_pod,
}

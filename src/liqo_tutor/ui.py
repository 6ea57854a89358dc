"""The only module that writes to the terminal: the Reporters (live rich, plain) and the print helpers.

Everything shown passes through `secrets.redact`. The plain mode (stdout not a terminal, NO_COLOR,
--no-color, tests) writes stable text with no ANSI codes and never wraps a command line, so it can be
copied and grepped; rich is only imported for the live mode.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from liqo_tutor import jsonview, secrets
from liqo_tutor.results import CheckResult, CommandResult, RunResult, Status, StepResult

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = [
    "LiveReporter",
    "PlainReporter",
    "RecordingReporter",
    "configure",
    "is_plain",
    "make_reporter",
    "print_env",
    "print_error",
    "print_interrupted",
    "print_json",
    "ask",
    "print_doctor",
    "print_note",
    "print_plan",
    "print_step_preview",
    "print_status",
    "print_tutorials",
]

_cfg: dict[str, Any] = {"no_color": False, "width": None, "plain": None}


def configure(*, no_color: bool = False, width: int | None = None, plain: bool | None = None) -> None:
    """Set once per command by the CLI. `plain=None` decides from the terminal and NO_COLOR."""
    _cfg.update(no_color=no_color, width=width, plain=plain)


def is_plain(stream: TextIO | None = None) -> bool:
    if _cfg["plain"] is not None:
        return bool(_cfg["plain"])
    if _cfg["no_color"] or os.environ.get("NO_COLOR", "") != "":
        return True
    stream = stream or sys.stdout
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(
        stderr=stderr,
        width=_cfg["width"],
        no_color=bool(_cfg["no_color"]) or None,
        highlight=False,
        emoji=False,
    )


def _unicode_ok(stream: TextIO) -> bool:
    encoding = getattr(stream, "encoding", None)
    if not encoding:  # an in-memory text stream holds any character
        return True
    return str(encoding).lower().replace("-", "") in ("utf8", "utf16", "utf32")


def _fmt_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(round(seconds)), 60)
    return f"{minutes}m{sec:02d}s"


def _check_line(check: CheckResult, ok_mark: str, bad_mark: str, dash: str) -> str:
    if check.status.ok:
        mark = ok_mark if check.status is Status.PASSED else "-"
        return f"{mark} {check.claim}" + (" (skipped)" if check.status is Status.SKIPPED else "")
    detail = ""
    if check.expected or check.seen:
        detail = f" {dash} expected {check.expected or '?'}, saw {check.seen or 'nothing'}"
    elif check.message:
        detail = f" {dash} {check.message}"
    return f"{bad_mark} {check.claim}{detail}"


def _failure_fields(result: StepResult) -> list[tuple[str, str]]:
    """What failed, expected, seen, the command to rerun, the hint, where the diagnostics are."""
    what = result.message or f"step {result.step_id} {result.status.value}"
    fields: list[tuple[str, str]] = [("failed", what)]
    bad = next((c for c in result.checks if not c.status.ok), None)
    if bad is not None:
        fields.append(("check", bad.claim))
        if bad.expected:
            fields.append(("expected", bad.expected))
        if bad.seen:
            fields.append(("seen", bad.seen))
    if result.rerun:
        fields.append(("rerun", f"$ {result.rerun}"))
    hint = result.hint or (bad.hint if bad is not None else None)
    if hint:
        fields.append(("hint", hint))
    if result.diagnostics:
        fields.append(("diagnostics", result.diagnostics))
    return [(k, secrets.redact(v)) for k, v in fields]


def _summary_rows(result: RunResult) -> list[tuple[str, str, str]]:
    return [(s.step_id, s.status.value, _fmt_duration(s.duration)) for s in result.steps]


def _final_line(result: RunResult) -> str:
    failed = next((s for s in result.steps if not s.status.ok), None)
    if failed is None:
        return f"{result.tutorial}: all {len(result.steps)} steps ok in {_fmt_duration(result.duration)}"
    return f"{result.tutorial}: step {failed.step_id} {failed.status.value}"


class _Base:
    """Shared bookkeeping: the engine's own command events win over the runner listener's."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._engine_commands = False

    def runner_listener(self, display: str, result: CommandResult | None) -> None:
        """Plug into `tools.runner.set_listener` when the engine does not report commands itself."""
        if self._engine_commands:
            return
        from liqo_tutor.tools import runner

        if runner.is_quiet() and not getattr(self, "verbose", False):
            return
        if result is None:
            self._command_started(display, None)
        else:
            self._command_finished(result)

    def command_started(self, display: str, cluster: str | None) -> None:
        self._engine_commands = True
        self._command_started(display, cluster)

    def command_finished(self, result: CommandResult) -> None:
        self._engine_commands = True
        self._command_finished(result)

    def _command_started(self, display: str, cluster: str | None) -> None:
        raise NotImplementedError

    def _command_finished(self, result: CommandResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop any live display (safe to call twice)."""

    def __enter__(self) -> _Base:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PlainReporter(_Base):
    """Stable text, no ANSI, no spinner, one event per line; commands are never wrapped."""

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False) -> None:
        super().__init__()
        self._stream = stream
        self.verbose = verbose
        out = self.stream
        fancy = _unicode_ok(out)
        self._ok, self._bad, self._dash = ("✓", "✗", "—") if fancy else ("+", "x", "--")

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def _w(self, *lines: str) -> None:
        text = "".join(secrets.redact(line) + "\n" for line in lines)
        with self._lock:
            self.stream.write(text)
            self.stream.flush()

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None:
        head = f"{title} ({tutorial})" if title and title != tutorial else tutorial
        self._w(f"# {head}" + (f", Liqo line {line}" if line else ""), f"# steps: {', '.join(steps)}")

    def step_started(self, step_id: str, title: str, explain: str) -> None:
        lines = ["", f"== {step_id}: {title} =="]
        if explain.strip():
            lines.extend(explain.strip().splitlines())
        self._w(*lines)

    def _command_started(self, display: str, cluster: str | None) -> None:
        self._w(f"$ {display}")

    def _command_finished(self, result: CommandResult) -> None:
        lines: list[str] = []
        if self.verbose or result.exit_code != 0:
            lines.append(f"  ({result.display}: exit {result.exit_code}, {_fmt_duration(result.duration)})")
        if self.verbose:
            for label, text in (("stdout", result.stdout), ("stderr", result.stderr)):
                if text.strip():
                    lines.append(f"  {label}:")
                    lines.extend(f"    {t}" for t in text.rstrip("\n").splitlines())
        if lines:
            self._w(*lines)

    def check_finished(self, step_id: str, check: CheckResult) -> None:
        self._w("  " + _check_line(check, self._ok, self._bad, self._dash))

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        text = jsonview.readable(text) or text
        self._w(f"  --- {label} ---", *(f"  {t}" for t in text.rstrip("\n").splitlines()))

    def note(self, text: str) -> None:
        self._w(f"  {text}")

    def step_finished(self, result: StepResult) -> None:
        lines = [f"-> {result.step_id}: {result.status.value} ({_fmt_duration(result.duration)})"
                 + (f": {result.message}" if result.message and result.status.ok else "")]
        if not result.status.ok:
            fields = _failure_fields(result)
            width = max(len(k) for k, _ in fields)
            lines.append(f"!! {result.step_id} {result.status.value}")
            lines.extend(f"   {k + ':':<{width + 1}} {v}" for k, v in fields)
        self._w(*lines)

    def run_finished(self, result: RunResult) -> None:
        rows = [("step", "status", "duration"), *_summary_rows(result)]
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        lines = ["", f"Summary ({_fmt_duration(result.duration)})"]
        lines.extend(f"  {a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows)
        lines.append(_final_line(result))
        self._w(*lines)


class RecordingReporter(_Base):
    """Keeps every event as a tuple (tests, reports)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[Any, ...]] = []

    def _add(self, *event: Any) -> None:
        with self._lock:
            self.events.append(event)

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None:
        self._add("run_started", tutorial, title, line, list(steps))

    def step_started(self, step_id: str, title: str, explain: str) -> None:
        self._add("step_started", step_id, title, explain)

    def _command_started(self, display: str, cluster: str | None) -> None:
        self._add("command_started", secrets.redact(display), cluster)

    def _command_finished(self, result: CommandResult) -> None:
        self._add("command_finished", result)

    def check_finished(self, step_id: str, check: CheckResult) -> None:
        self._add("check_finished", step_id, check)

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        self._add("output_shown", step_id, label, secrets.redact(text))

    def note(self, text: str) -> None:
        self._add("note", secrets.redact(text))

    def step_finished(self, result: StepResult) -> None:
        self._add("step_finished", result)

    def run_finished(self, result: RunResult) -> None:
        self._add("run_finished", result)


class _Running:
    """The live area: one spinner line per running command, with its elapsed time."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str | None, float]] = []
        self.lock = threading.Lock()

    def add(self, display: str, cluster: str | None) -> None:
        with self.lock:
            self.items.append((display, cluster, time.monotonic()))

    def remove(self, display: str) -> None:
        with self.lock:
            for i, item in enumerate(self.items):
                if item[0] == display:
                    del self.items[i]
                    return

    def render(self) -> RenderableType:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        now = time.monotonic()
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_column(no_wrap=True, justify="right")
        with self.lock:
            items = list(self.items)
        for display, cluster, t0 in items:
            label = Text("$ ", style="bold") + Text(secrets.redact(display), style="cyan")
            if cluster:
                label.append(f"  [{cluster}]", style="dim")
            grid.add_row(Spinner("dots", style="green"), label, Text(_fmt_duration(now - t0), style="dim"))
        return grid


class LiveReporter(_Base):
    """Rich: a rule and explanation per step, spinners for running commands, panels, a summary table."""

    def __init__(self, console: Console | None = None, *, verbose: bool = False) -> None:
        super().__init__()
        from rich.live import Live

        self.console = console or _console()
        self.verbose = verbose
        self._running = _Running()
        self._outputs: dict[str, list[tuple[str, str]]] = {}
        self._live = Live(console=self.console, get_renderable=self._running.render, transient=True,
                          refresh_per_second=8, redirect_stdout=False, redirect_stderr=False)
        self._started = False

    def _print(self, *objects: Any, **kwargs: Any) -> None:
        with self._lock:
            if not self._started:
                self._live.start()
                self._started = True
            self.console.print(*objects, **kwargs)

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._live.stop()
                self._started = False

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None:
        from rich.text import Text

        head = Text(title or tutorial, style="bold")
        if line:
            head.append(f"  (Liqo {line})", style="dim")
        self._print(head)
        self._print(Text(" → ".join(steps), style="dim"))

    def step_started(self, step_id: str, title: str, explain: str) -> None:
        from rich.text import Text

        self._print()
        self._print_rule(f"{step_id}: {title}")
        if explain.strip():
            self._print(Text(secrets.redact(explain.strip()), style="italic"))

    def _print_rule(self, title: str) -> None:
        from rich.rule import Rule
        from rich.text import Text

        self._print(Rule(Text(secrets.redact(title), style="bold"), align="left"))

    def _command_started(self, display: str, cluster: str | None) -> None:
        self._running.add(display, cluster)
        if not self._started:
            self._print()  # starts the live area

    def _command_finished(self, result: CommandResult) -> None:
        from rich.text import Text

        self._running.remove(result.display)
        line = Text("$ ", style="bold") + Text(secrets.redact(result.display), style="cyan")
        line.append(f"  {_fmt_duration(result.duration)}", style="dim")
        if result.exit_code != 0:
            line.append(f"  exit {result.exit_code}", style="yellow")
        self._print(line, soft_wrap=True)
        if self.verbose:
            for text in (result.stdout, result.stderr):
                if text.strip():
                    self._print(Text(secrets.redact(text.rstrip("\n")), style="dim"))

    def check_finished(self, step_id: str, check: CheckResult) -> None:
        from rich.text import Text

        style = "green" if check.status.ok else "red"
        self._print(Text("  " + secrets.redact(_check_line(check, "✓", "✗", "—")), style=style))

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        text = jsonview.readable(text) or text
        with self._lock:
            self._outputs.setdefault(step_id, []).append((label, secrets.redact(text)))

    def note(self, text: str) -> None:
        from rich.text import Text

        self._print(Text("  " + secrets.redact(text), style="dim"))

    def _flush_outputs(self, step_id: str) -> None:
        from rich.columns import Columns
        from rich.panel import Panel
        from rich.text import Text

        with self._lock:
            outputs = self._outputs.pop(step_id, [])
        if not outputs:
            return
        panels = [Panel(Text(text.rstrip("\n")), title=label, title_align="left", expand=True)
                  for label, text in outputs]
        self._print(Columns(panels, equal=True, expand=True) if len(panels) > 1 else panels[0])

    def step_finished(self, result: StepResult) -> None:
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        self._flush_outputs(result.step_id)
        if result.status.ok:
            mark = "✓" if result.status is Status.PASSED else "–"
            name = result.title or result.step_id
            msg = f"{mark} {name} {result.status.value} in {_fmt_duration(result.duration)}"
            if result.message:
                msg += f" ({result.message})"
            style = "green" if result.status is Status.PASSED else "yellow"
            self._print(Text(secrets.redact(msg), style=style))
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for key, value in _failure_fields(result):
            grid.add_row(key, Text(value, style="cyan" if key == "rerun" else ""))
        title = f"✗ {result.step_id}: {result.title} {result.status.value}"
        self._print(Panel(grid, title=Text(title, style="bold red"), border_style="red", title_align="left"))

    def run_finished(self, result: RunResult) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=f"{result.tutorial} ({_fmt_duration(result.duration)})", title_justify="left")
        table.add_column("step")
        table.add_column("status")
        table.add_column("duration", justify="right")
        for step in result.steps:
            style = {"passed": "green", "skipped": "yellow"}.get(step.status.value, "red")
            table.add_row(step.step_id, Text(step.status.value, style=style), _fmt_duration(step.duration))
        self._print()
        self._print(table)
        self._print(Text(_final_line(result), style="bold green" if result.ok else "bold red"))
        self.close()


def make_reporter(*, verbose: bool = False) -> PlainReporter | LiveReporter:
    """The live reporter on a colour terminal, the plain one otherwise."""
    if is_plain():
        return PlainReporter(verbose=verbose)
    return LiveReporter(verbose=verbose)


# ---- one-shot printing --------------------------------------------------------------------------


def _out(text: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(secrets.redact(text) + ("" if text.endswith("\n") else "\n"))
    stream.flush()


def print_error(err: BaseException) -> None:
    """One line (and a hint) on stderr; never a traceback."""
    message = getattr(err, "message", None) or str(err) or type(err).__name__
    first = str(message).strip().splitlines()[0] if str(message).strip() else type(err).__name__
    hint = getattr(err, "hint", None)
    if is_plain(sys.stderr):
        _out(f"error: {first}" + (f"\nhint: {hint}" if hint else ""), err=True)
        return
    from rich.text import Text

    console = _console(stderr=True)
    console.print(Text("error: ", style="bold red") + Text(secrets.redact(first)), soft_wrap=True)
    if hint:
        console.print(Text("hint: ", style="bold") + Text(secrets.redact(hint)), soft_wrap=True)


def print_note(text: str, *, err: bool = True) -> None:
    _out(text, err=err)


def print_interrupted() -> None:
    _out("interrupted: running commands were stopped.\n"
         "resume with `liqo-tutor run`, or clean up with `liqo-tutor teardown`.", err=True)


def print_json(obj: Any) -> None:
    _out(json.dumps(obj, indent=2, default=_json_default, ensure_ascii=False))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def print_env(exports: Iterable[tuple[str, str]]) -> None:
    """`export NAME=value` lines, values shell-quoted: `eval "$(liqo-tutor env)"` works."""
    _out("\n".join(f"export {name}={shlex.quote(value)}" for name, value in exports))


def print_tutorials(tutorials: Sequence[tuple[str, str]]) -> None:
    if not tutorials:
        _out("no tutorials found")
        return
    width = max(len(name) for name, _ in tutorials)
    if is_plain():
        _out("\n".join(f"{name:<{width}}  {title}" for name, title in tutorials))
        return
    from rich.table import Table

    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("tutorial", style="cyan", no_wrap=True)
    table.add_column("title")
    for name, title in tutorials:
        table.add_row(name, secrets.redact(title))
    _console().print(table)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def print_status(report: Any) -> None:
    """Steps done/pending/failed and the clusters, from an engine StatusReport."""
    tutorial = _get(report, "tutorial", "?")
    line = _get(report, "line")
    steps: Mapping[str, str] = _get(report, "steps", {}) or {}
    clusters = list(_get(report, "clusters", []) or [])
    lines = [f"tutorial: {tutorial}" + (f" (Liqo line {line})" if line else "")]
    if steps:
        width = max(len(s) for s in steps)
        lines.append("steps:")
        lines.extend(f"  {step:<{width}}  {state}" for step, state in steps.items())
    if clusters:
        lines.append("clusters:")
        for cluster in clusters:
            name = _get(cluster, "name", "?")
            exists = "exists" if _get(cluster, "exists") else "absent"
            extra = []
            if _get(cluster, "kubeconfig"):
                extra.append(f"kubeconfig {_get(cluster, 'kubeconfig')}")
            if _get(cluster, "created_by_us") is False and _get(cluster, "exists"):
                extra.append("not created by liqo-tutor")
            lines.append(f"  {name}  {exists}" + (f"  ({', '.join(extra)})" if extra else ""))
    _out("\n".join(lines))


def print_plan(plan: Any) -> None:
    """The tutorial as a readable lesson: each step, why, the commands to type, what is verified."""
    data = plan.to_json() if hasattr(plan, "to_json") else plan
    title = _get(data, "title") or _get(data, "tutorial") or "tutorial"
    lines = [f"# {title}"]
    if _get(data, "line"):
        lines.append(f"Liqo line: {_get(data, 'line')}")
    for index, step in enumerate(_get(data, "steps", []) or [], start=1):
        step_id = _get(step, "id") or _get(step, "step_id") or str(index)
        kind = " (teardown)" if _get(step, "teardown") else ""
        lines += ["", f"{index}. {_get(step, 'title') or step_id} [{step_id}]{kind}"]
        explain = (_get(step, "explain") or "").strip()
        lines.extend(f"   {t}" for t in explain.splitlines())
        for command in _get(step, "commands", []) or []:
            if isinstance(command, str):
                lines.append(f"   $ {command}")
                continue
            text = _get(command, "display") or _get(command, "command") or ""
            when = _get(command, "when")
            lines.append(f"   $ {text}" + (f"   ({when})" if when else ""))
        for check in _get(step, "checks", []) or []:
            text = check if isinstance(check, str) else (_get(check, "claim") or _get(check, "description"))
            lines.append(f"   verify: {text}")
    if is_plain():
        _out("\n".join(lines))
        return
    from rich.text import Text

    console = _console()
    for text in lines:
        style = "bold" if text.startswith(("#", "1", "2", "3", "4", "5", "6", "7", "8", "9")) else ""
        if text.lstrip().startswith("$ "):
            style = "cyan"
        elif text.lstrip().startswith("verify:"):
            style = "green"
        console.print(Text(secrets.redact(text), style=style), soft_wrap=True)


# ---- learner mode and doctor ----------------------------------------------------------------------


def ask(prompt: str) -> str | None:
    """One line typed by the learner (None at end of input)."""
    try:
        return input(prompt)
    except EOFError:
        _out("")
        return None


def print_step_preview(step: Any, *, skippable: bool) -> None:
    """Before a step in learner mode: its title, why, the commands it is about to run, the claims."""
    data = step.to_json() if hasattr(step, "to_json") else step
    step_id = _get(data, "id") or "?"
    lines = ["", f"next: {_get(data, 'title') or step_id} [{step_id}]"]
    lines.extend(f"  {t}" for t in (_get(data, "explain") or "").strip().splitlines())
    commands = list(_get(data, "commands", []) or [])
    if commands:
        lines.append("  it will run:")
    for command in commands:
        text = command if isinstance(command, str) else (_get(command, "display") or _get(command, "command"))
        cluster = None if isinstance(command, str) else _get(command, "cluster")
        when = None if isinstance(command, str) else _get(command, "when")
        where = (f"   [{cluster}]" if cluster else "") + (f"   ({when})" if when else "")
        lines.append(f"    $ {text}{where}")
    for check in _get(data, "checks", []) or []:
        lines.append(f"  then verify: {check}")
    if not skippable:
        lines.append("  (later steps need this one: it cannot be skipped)")
    if is_plain():
        _out("\n".join(lines))
        return
    from rich.text import Text

    console = _console()
    for text in lines:
        style = "bold" if text.startswith("next:") else ""
        if text.lstrip().startswith("$ "):
            style = "cyan"
        elif text.lstrip().startswith("then verify:"):
            style = "green"
        console.print(Text(secrets.redact(text), style=style), soft_wrap=True)


_MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}


def print_doctor(findings: Sequence[Any]) -> None:
    """One line per host check (status, check, what was found) and the exact fix under it."""
    rows = [(_get(f, "status"), _get(f, "check"), _get(f, "found"), _get(f, "fix")) for f in findings]
    failed = sum(1 for r in rows if r[0] == "fail")
    warned = sum(1 for r in rows if r[0] == "warn")
    verdict = (
        f"{failed} problem{'s' if failed != 1 else ''} to fix" if failed else "ready"
    ) + (f", {warned} warning{'s' if warned != 1 else ''}" if warned else "")
    if is_plain():
        width = max((len(r[1]) for r in rows), default=0)
        lines = []
        for status, check, found, fix in rows:
            lines.append(f"{_MARKS.get(status, status):<4}  {check:<{width}}  {found}")
            if fix:
                lines.append(f"{'':<4}  {'':<{width}}  fix: {fix}")
        lines.append(f"doctor: {verdict}")
        _out("\n".join(lines))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("status", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("found / fix", overflow="fold")
    for status, check, found, fix in rows:
        style = {"ok": "green", "warn": "yellow"}.get(status, "red")
        cell = Text(secrets.redact(str(found)))
        if fix:
            cell.append("\nfix: " + secrets.redact(str(fix)), style="cyan")
        table.add_row(Text(_MARKS.get(status, status), style=style), check, cell)
    console = _console()
    console.print(table)
    console.print(Text(f"doctor: {verdict}", style="bold red" if failed else "bold green"))

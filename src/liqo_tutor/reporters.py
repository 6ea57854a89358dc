"""Progress of a run on the terminal: the live (rich) and plain Reporters.

The plain mode (stdout not a terminal, NO_COLOR, --no-color, tests) writes stable text with no ANSI
codes and never wraps a command line, so it can be copied and grepped; rich is only imported for the
live mode. Everything shown passes through `secrets.redact`.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from liqo_tutor import jsonview, secrets
from liqo_tutor.results import CheckResult, CommandResult, RunResult, Status, StepResult
from liqo_tutor.terminal import console as _console
from liqo_tutor.terminal import is_plain
from liqo_tutor.terminal import unicode_ok as _unicode_ok

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

__all__ = ["LiveReporter", "PlainReporter", "TerminalReporter", "fmt_duration", "make_reporter"]


def fmt_duration(seconds: float) -> str:
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
    return [(s.step_id, s.status.value, fmt_duration(s.duration)) for s in result.steps]


def _final_line(result: RunResult) -> str:
    failed = next((s for s in result.steps if not s.status.ok), None)
    if failed is None:
        return f"{result.tutorial}: all {len(result.steps)} steps ok in {fmt_duration(result.duration)}"
    return f"{result.tutorial}: step {failed.step_id} {failed.status.value}"


class _Base:
    """Shared bookkeeping: a lock for the per-cluster threads, closing the live display."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

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

    def command_started(self, display: str, cluster: str | None) -> None:
        self._w(f"$ {display}")

    def command_finished(self, result: CommandResult) -> None:
        lines: list[str] = []
        if self.verbose or result.exit_code != 0:
            lines.append(f"  ({result.display}: exit {result.exit_code}, {fmt_duration(result.duration)})")
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
        lines = [f"-> {result.step_id}: {result.status.value} ({fmt_duration(result.duration)})"
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
        lines = ["", f"Summary ({fmt_duration(result.duration)})"]
        lines.extend(f"  {a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows)
        lines.append(_final_line(result))
        self._w(*lines)


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
            grid.add_row(Spinner("dots", style="green"), label, Text(fmt_duration(now - t0), style="dim"))
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

    def command_started(self, display: str, cluster: str | None) -> None:
        self._running.add(display, cluster)
        if not self._started:
            self._print()  # starts the live area

    def command_finished(self, result: CommandResult) -> None:
        from rich.text import Text

        self._running.remove(result.display)
        line = Text("$ ", style="bold") + Text(secrets.redact(result.display), style="cyan")
        line.append(f"  {fmt_duration(result.duration)}", style="dim")
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
            msg = f"{mark} {name} {result.status.value} in {fmt_duration(result.duration)}"
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

        table = Table(title=f"{result.tutorial} ({fmt_duration(result.duration)})", title_justify="left")
        table.add_column("step")
        table.add_column("status")
        table.add_column("duration", justify="right")
        for step in result.steps:
            style = {"passed": "green", "skipped": "yellow"}.get(step.status.value, "red")
            table.add_row(step.step_id, Text(step.status.value, style=style), fmt_duration(step.duration))
        self._print()
        self._print(table)
        self._print(Text(_final_line(result), style="bold green" if result.ok else "bold red"))
        self.close()


TerminalReporter = PlainReporter | LiveReporter


def make_reporter(*, verbose: bool = False) -> TerminalReporter:
    """The live reporter on a colour terminal, the plain one otherwise."""
    if is_plain():
        return PlainReporter(verbose=verbose)
    return LiveReporter(verbose=verbose)


# ---- one-shot printing --------------------------------------------------------------------------


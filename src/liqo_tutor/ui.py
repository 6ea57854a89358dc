"""One-shot printing for the CLI (errors, notes, JSON, plans, status, doctor) and the reporters.

With terminal.py (plain or rich, the configuration) and reporters.py (a run's progress), the only
code that writes to the terminal. Everything shown passes through `secrets.redact`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from liqo_tutor import secrets
from liqo_tutor.reporters import LiveReporter, PlainReporter, TerminalReporter, make_reporter
from liqo_tutor.terminal import configure, is_plain
from liqo_tutor.terminal import console as _console
from liqo_tutor.terminal import out as _out

if TYPE_CHECKING:
    from liqo_tutor.doctor import Finding
    from liqo_tutor.engine import Plan, PlanStep, StatusReport

__all__ = [
    "LiveReporter",
    "PlainReporter",
    "TerminalReporter",
    "ask",
    "configure",
    "is_plain",
    "make_reporter",
    "print_doctor",
    "print_env",
    "print_error",
    "print_interrupted",
    "print_json",
    "print_note",
    "print_plan",
    "print_status",
    "print_step_preview",
    "print_tutorials",
]


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


def print_json(obj: object) -> None:
    _out(json.dumps(obj, indent=2, default=_json_default, ensure_ascii=False))


def _json_default(obj: object) -> object:
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def print_env(exports: Iterable[tuple[str, str]]) -> None:
    """`export NAME=value` lines, values shell-quoted: `eval "$(liqo-tutor env)"` works."""
    _out("\n".join(f"export {name}={shlex.quote(value)}" for name, value in exports))


def print_tutorials(tutorials: Sequence[tuple[str, str]], details: Mapping[str, str] | None = None) -> None:
    """Name and title of each tutorial; `details`: name -> its clusters and Liqo lines (catalog.py)."""
    if not tutorials:
        _out("no tutorials found")
        return
    details = details or {}
    width = max(len(name) for name, _ in tutorials)
    twidth = max(len(title) for _, title in tutorials)
    if is_plain():
        _out("\n".join(f"{name:<{width}}  {title:<{twidth}}  {details.get(name, '')}".rstrip()
                        for name, title in tutorials))
        return
    from rich.table import Table

    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("tutorial", style="cyan", no_wrap=True)
    table.add_column("title")
    if details:
        table.add_column("clusters · Liqo lines")
    for name, title in tutorials:
        table.add_row(name, secrets.redact(title), *([details.get(name, "")] if details else []))
    _console().print(table)


def print_status(report: StatusReport) -> None:
    """Steps done/pending/failed and the clusters, from an engine StatusReport."""
    lines = [f"tutorial: {report.tutorial}" + (f" (Liqo line {report.line})" if report.line else "")]
    if report.steps:
        width = max(len(s) for s in report.steps)
        lines.append("steps:")
        lines.extend(f"  {step:<{width}}  {state}" for step, state in report.steps.items())
    if report.clusters:
        lines.append("clusters:")
        for cluster in report.clusters:
            extra = []
            if cluster.kubeconfig:
                extra.append(f"kubeconfig {cluster.kubeconfig}")
            if not cluster.created_by_us and cluster.exists:
                extra.append("not created by liqo-tutor")
            exists = "exists" if cluster.exists else "absent"
            lines.append(f"  {cluster.name}  {exists}" + (f"  ({', '.join(extra)})" if extra else ""))
    _out("\n".join(lines))


def print_plan(plan: Plan) -> None:
    """The tutorial as a readable lesson: each step, why, the commands to type, what is verified."""
    lines = [f"# {plan.title or plan.tutorial or 'tutorial'}"]
    if plan.line:
        lines.append(f"Liqo line: {plan.line}")
    for index, step in enumerate(plan.steps, start=1):
        kind = " (teardown)" if step.teardown else ""
        lines += ["", f"{index}. {step.title or step.id} [{step.id}]{kind}"]
        lines.extend(f"   {t}" for t in step.explain.strip().splitlines())
        for command in step.commands:
            lines.append(f"   $ {command.display}" + (f"   ({command.when})" if command.when else ""))
        lines.extend(f"   verify: {claim}" for claim in step.checks)
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


def print_step_preview(step: PlanStep, *, skippable: bool) -> None:
    """Before a step in learner mode: its title, why, the commands it is about to run, the claims."""
    lines = ["", f"next: {step.title or step.id} [{step.id}]"]
    lines.extend(f"  {t}" for t in step.explain.strip().splitlines())
    if step.commands:
        lines.append("  it will run:")
    for command in step.commands:
        where = (f"   [{command.cluster}]" if command.cluster else "") + (
            f"   ({command.when})" if command.when else ""
        )
        lines.append(f"    $ {command.display}{where}")
    lines.extend(f"  then verify: {check}" for check in step.checks)
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


def print_doctor(findings: Sequence[Finding]) -> None:
    """One line per host check (status, check, what was found) and the exact fix under it."""
    rows = [(f.status, f.check, f.found, f.fix) for f in findings]
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

"""Verification verbs used by the YAML (command, table, json-list, json-subset, distinct, cidr).

Each check polls with backoff until it holds or its deadline passes; `kubectl wait` does the waiting
itself when the command uses `{timeout}`. Nothing here knows the tutorial.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from liqo_tutor.errors import ToolTimeout
from liqo_tutor.results import CheckResult, CommandResult, Status
from liqo_tutor.tools import runner
from liqo_tutor.tutorial import Check

if TYPE_CHECKING:
    from liqo_tutor.actions import Context

__all__ = [
    "CHECKS",
    "Outcome",
    "cell",
    "evaluate_command",
    "in_cidr",
    "json_list",
    "json_subset",
    "parse_table",
    "poll",
    "run_check",
]

_ALL_CODES = tuple(range(256))
_MAX_INTERVAL = 0.5


@dataclass(frozen=True)
class Outcome:
    ok: bool
    expected: str
    seen: str
    final: bool = False  # no point in retrying (a definitive error)
    rerun: str | None = None


# ---------------------------------------------------------------------------------------------
# Pure helpers


def parse_table(text: str) -> list[dict[str, str]]:
    """kubectl's table output -> one dict per row keyed by header.

    Headers may contain single spaces (`OUTGOING PEERING`); columns are separated by at least two
    spaces (kubectl pads with three), so a cell is the text between two header start offsets.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [(m.start(), m.group(0)) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows: list[dict[str, str]] = []
    for line in lines[1:]:
        row: dict[str, str] = {}
        for i, (start, name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(line)
            value = line[start:end] if i + 1 < len(starts) else line[start:]
            row[name] = value.strip()
        rows.append(row)
    return rows


def cell(rows: list[dict[str, str]], name: str, column: str) -> str | None:
    for row in rows:
        if row.get("NAME") == name:
            return row.get(column)
    return None


def json_list(text: str) -> list[Any]:
    """The text parsed as a JSON list (possibly empty); ValueError otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = " ".join(text.split())[:80]
        raise ValueError(f"not JSON ({exc.msg} at char {exc.pos}): {snippet!r}") from None
    if not isinstance(value, list):
        raise ValueError(f"JSON {type(value).__name__}, not a list")
    return value


def json_subset(a: list[Any], b: list[Any]) -> tuple[bool, str]:
    """Consistent with one backend: every item of the shorter list is in the longer one."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    keys = {json.dumps(item, sort_keys=True) for item in large}
    missing = [item for item in small if json.dumps(item, sort_keys=True) not in keys]
    if missing:
        return False, f"{len(missing)} of {len(small)} items of the shorter list are not in the longer one"
    return True, f"{len(small)} items of the shorter list all in the longer one ({len(large)} items)"


def in_cidr(ip: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(ip.strip()) in ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return False


def _first_line(result: CommandResult) -> str:
    text = (result.stderr.strip() or result.stdout.strip()).splitlines()
    return text[-1][:200] if text else "no output"


def evaluate_command(result: CommandResult, expect: dict[str, Any]) -> Outcome:
    """Compare a finished command with the check's resolved expectations."""
    code = expect.get("exit_code")
    wants: list[str] = []
    if code is not None:
        wants.append(f"exit code {code}")
    for key, label in (("stdout", "stdout"), ("stderr", "stderr")):
        if expect.get(key) is not None:
            wants.append(f"{label} {expect[key]!r}" if expect[key] else f"empty {label}")
    for key, label in (
        ("stdout_contains", "stdout containing"),
        ("stdout_line", "a line"),
        ("stdout_regex", "stdout matching"),
    ):
        if expect.get(key) is not None:
            wants.append(f"{label} {expect[key]!r}")
    expected = ", ".join(wants) or "the command to run"
    if code is not None and result.exit_code != code:
        return Outcome(False, expected, f"exit code {result.exit_code}: {_first_line(result)}")
    if expect.get("stdout") is not None and result.stdout.strip() != expect["stdout"].strip():
        return Outcome(False, expected, f"stdout {result.stdout.strip()[:200]!r}")
    if expect.get("stderr") is not None and result.stderr.strip() != expect["stderr"].strip():
        return Outcome(False, expected, f"stderr {result.stderr.strip()[:200]!r}")
    if expect.get("stdout_contains") is not None and expect["stdout_contains"] not in result.stdout:
        return Outcome(False, expected, f"stdout {result.stdout.strip()[:200]!r}")
    if expect.get("stdout_line") is not None and expect["stdout_line"] not in [
        line.strip() for line in result.stdout.splitlines()
    ]:
        return Outcome(False, expected, f"lines {[s.strip() for s in result.stdout.splitlines()][:10]!r}")
    if expect.get("stdout_regex") is not None and not re.search(expect["stdout_regex"], result.stdout, re.M):
        return Outcome(False, expected, f"stdout {result.stdout.strip()[:200]!r}")
    seen = result.stdout.strip().splitlines()
    return Outcome(True, expected, seen[0][:200] if seen else f"exit code {result.exit_code}")


def poll(
    attempt: Callable[[float], Outcome],
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Call `attempt(remaining)` until it holds, is final, or the deadline passes (x1.5, max 0.5 s)."""
    deadline = time.monotonic() + timeout
    wait = max(0.05, interval)
    cancel = runner.cancelled()  # a sibling check failed: stop polling
    while True:
        remaining = deadline - time.monotonic()
        outcome = attempt(max(0.0, remaining))
        if outcome.ok or outcome.final:
            return outcome
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (cancel is not None and cancel.is_set()):
            return outcome
        if cancel is not None and sleep is time.sleep:
            cancel.wait(min(wait, remaining))
        else:
            sleep(min(wait, remaining))
        wait = min(wait * 1.5, _MAX_INTERVAL)


# ---------------------------------------------------------------------------------------------
# The verbs


def _capture_names(check: Check, cluster: str | None) -> list[str]:
    out = []
    for name in check.subject:
        out.append(name if "@" in name or cluster is None else f"{name}@{cluster}")
    return out


def _command_attempt(
    ctx: Context, check: Check, cluster: str | None, quick: bool
) -> Callable[[float], Outcome]:
    tries = 0

    def attempt(remaining: float) -> Outcome:
        nonlocal tries
        budget = 0 if quick else int(max(1.0, remaining))
        argv = ctx.argv(check.subject[0], cluster, extra={"timeout": f"{budget}s"})
        tries += 1
        try:
            # The first try shows the command; polling it again is plumbing (transcript, --verbose).
            with runner.quiet() if tries > 1 else contextlib.nullcontext():
                result = ctx.run(argv, cluster=cluster, timeout=budget + 30.0, ok_codes=_ALL_CODES)
        except ToolTimeout as exc:
            return Outcome(False, "an answer", f"no answer within {exc.timeout:g}s", rerun=exc.result.display)
        if check.kind == "table":
            outcome = _table(ctx, check, cluster, result)
            if outcome.ok and check.show and not quick:
                ctx.show(ctx.text(check.show, cluster), result.stdout)
        else:
            outcome = _command(ctx, check, cluster, result)
        return Outcome(outcome.ok, outcome.expected, outcome.seen, outcome.final, result.display)

    return attempt


def _command(ctx: Context, check: Check, cluster: str | None, result: CommandResult) -> Outcome:
    expect: dict[str, Any] = {"exit_code": check.exit_code}
    for key in ("stdout", "stderr", "stdout_contains", "stdout_line", "stdout_regex"):
        value = getattr(check, key)
        if value is not None:
            expect[key] = ctx.text(value, cluster)
    outcome = evaluate_command(result, expect)
    if (
        not outcome.ok
        and check.fail_fast
        and re.search(ctx.text(check.fail_fast, cluster), result.stderr + result.stdout)
    ):
        return Outcome(False, outcome.expected, outcome.seen, final=True)
    if outcome.ok and "stdout" in check.save:
        ctx.save(check.save["stdout"], cluster, result.stdout.strip())
    return outcome


def _table(ctx: Context, check: Check, cluster: str | None, result: CommandResult) -> Outcome:
    row_name = ctx.text(check.row or "", cluster)
    columns = {col: ctx.text(val, cluster) for col, val in check.columns.items()}
    expected = f"a row {row_name}" + "".join(f", {c} {v}" for c, v in columns.items())
    if result.exit_code != 0:
        return Outcome(False, expected, f"exit code {result.exit_code}: {_first_line(result)}")
    rows = parse_table(result.stdout)
    row = next((r for r in rows if r.get("NAME") == row_name), None)
    if row is None:
        names = [r.get("NAME", "") for r in rows]
        return Outcome(False, expected, f"rows {names}" if names else (_first_line(result) or "no rows"))
    wrong = [f"{c} {row.get(c, '<no such column>')}" for c, v in columns.items() if row.get(c) != v]
    if wrong:
        return Outcome(False, expected, f"row {row_name}: " + ", ".join(wrong))
    for column, name in check.save.items():
        if column in row:
            ctx.save(name, cluster, row[column])
    return Outcome(True, expected, "row " + "   ".join(row.values()))


def _capture_check(ctx: Context, check: Check, cluster: str | None) -> Outcome:
    names = _capture_names(check, cluster)
    values = [ctx.captured(n) for n in names]
    absent = [n for n, v in zip(names, values, strict=True) if v is None]
    if absent:
        return Outcome(
            False,
            "captured output",
            f"nothing captured as {', '.join(absent)} (the step's actions did not run)",
            final=True,
        )
    texts = [v or "" for v in values]
    if check.kind == "json-list":
        try:
            items = json_list(texts[0])
        except ValueError as exc:
            return Outcome(False, "a JSON list", str(exc), final=True)
        return Outcome(True, "a JSON list", f"a JSON list of {len(items)} items")
    if check.kind == "json-subset":
        try:
            a, b = json_list(texts[0]), json_list(texts[1])
        except ValueError as exc:
            return Outcome(False, "two JSON lists", str(exc), final=True)
        ok, detail = json_subset(a, b)
        return Outcome(ok, "the shorter list's items all in the longer one", detail, final=True)
    if check.kind == "distinct":
        pairs = ", ".join(f"{n}={v}" for n, v in zip(names, texts, strict=True))
        ok = len(set(texts)) == len(texts)
        return Outcome(ok, "different values", pairs, final=True)
    within = ctx.text(check.within or "", cluster)
    ok = in_cidr(texts[0], within)
    return Outcome(ok, f"an address in {within}", texts[0], final=True)


def run_check(ctx: Context, check: Check, cluster: str | None, *, quick: bool = False) -> CheckResult:
    """Verify one claim (polling until its deadline unless `quick`)."""
    claim = ctx.text(check.claim, cluster, extra={"timeout": ""})
    t0 = time.monotonic()
    if check.kind in ("command", "table"):
        attempt = _command_attempt(ctx, check, cluster, quick)
        outcome = attempt(0.0) if quick else poll(attempt, ctx.scaled(check.timeout), check.interval)
    else:
        outcome = _capture_check(ctx, check, cluster)
    status = Status.PASSED if outcome.ok else Status.FAILED
    message = "" if outcome.ok else f"{claim}: expected {outcome.expected}, saw {outcome.seen}"
    if not outcome.ok and outcome.rerun:
        message += f" (last command: {outcome.rerun})"
    return CheckResult(
        claim=claim,
        status=status,
        expected=outcome.expected,
        seen=outcome.seen,
        duration=time.monotonic() - t0,
        message=message,
        hint=check.hint,
    )


CHECKS: dict[str, Callable[..., CheckResult]] = dict.fromkeys(
    ("command", "table", "json-list", "json-subset", "distinct", "cidr"), run_check
)

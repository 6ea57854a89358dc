"""`command:` a command's exit code and output (polled until it holds).

```yaml
- claim: the namespace exists in naples
  command: kubectl get namespace {namespace}
  cluster: naples
  exit_code: 0                      # default; null = any
  stdout_contains: [a, b]           # str or list (all); also stdout, stderr, stdout_line,
  stdout_lines: [milan, rome]       # stdout_regex (str or list), stdout_lines (whole lines)
  stdout_json: [{path: [status, phase], equals: Active}]   # JSON or YAML (claims/jsonpath.py)
  fail_fast: NotFound               # stops polling at once when seen
  save: {stdout: ns_json}
  hold: 20s                         # still true 20 s after it first held
```
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import Field

from liqo_tutor.claims.base import Claim, Outcome
from liqo_tutor.claims.jsonpath import JsonAssert, check_asserts
from liqo_tutor.claims.matchers import as_list, regex_text, text_failures
from liqo_tutor.claims.polling import PolledModel, first_line, polled, validate_polled
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.results import CommandResult
    from liqo_tutor.tutorial import Check

__all__ = ["CommandClaim", "CommandModel", "evaluate_command"]


# The expectations on a command's output text (besides `stdout_json`).
_TEXT_KEYS = ("stdout", "stderr", "stdout_contains", "stdout_line", "stdout_lines", "stdout_regex")


class CommandModel(PolledModel):
    command: str
    exit_code: int | None = 0
    stdout: str | None = None
    stderr: str | None = None
    stdout_contains: str | list[str] | None = None
    stdout_line: str | None = None
    stdout_lines: list[str] | None = Field(default=None, min_length=1)
    stdout_regex: str | list[str] | None = None
    stdout_json: list[JsonAssert] | None = Field(default=None, min_length=1)
    fail_fast: str | None = None
    save: dict[str, str] = Field(default_factory=dict)


def _same(expand: Any) -> Any:
    return expand if expand is not None else (lambda s: s)


def evaluate_command(result: CommandResult, expect: dict[str, Any], expand: Any = None) -> Outcome:
    """Compare a finished command with the check's expectations (values already resolved, except
    inside `stdout_regex`, whose variables `expand` substitutes escaped)."""
    expand = _same(expand)
    code = expect.get("exit_code")
    wants: list[str] = []
    if code is not None:
        wants.append(f"exit code {code}")
    for key in ("stdout", "stderr"):
        if expect.get(key) is not None:
            wants.append(f"{key} {expect[key]!r}" if expect[key] else f"empty {key}")
    for key, label in (
        ("stdout_contains", "stdout containing"),
        ("stdout_line", "a line"),
        ("stdout_lines", "a line"),
        ("stdout_regex", "stdout matching"),
    ):
        for item in as_list(expect.get(key)):
            wants.append(f"{label} {regex_text(item, expand) if key == 'stdout_regex' else item!r}")
    expected = ", ".join(wants) or "the command to run"
    out = result.stdout
    if code is not None and result.exit_code != code:
        return Outcome(False, expected, f"exit code {result.exit_code}: {first_line(result)}")
    if expect.get("stdout") is not None and out.strip() != expect["stdout"].strip():
        return Outcome(False, expected, f"stdout {out.strip()[:200]!r}")
    if expect.get("stderr") is not None and result.stderr.strip() != expect["stderr"].strip():
        return Outcome(False, expected, f"stderr {result.stderr.strip()[:200]!r}")
    lines = as_list(expect.get("stdout_line")) + as_list(expect.get("stdout_lines"))
    _, bad_contains = text_failures(out, lambda s: s, contains=as_list(expect.get("stdout_contains")))
    if bad_contains:
        return Outcome(False, expected, f"stdout {out.strip()[:200]!r}")
    _, bad_lines = text_failures(out, lambda s: s, lines=lines)
    if bad_lines:
        return Outcome(False, expected, f"lines {[s.strip() for s in out.splitlines()][:10]!r}")
    _, bad_regex = text_failures(out, expand, regex=as_list(expect.get("stdout_regex")))
    if bad_regex:
        return Outcome(False, expected, f"stdout {out.strip()[:200]!r}")
    seen = out.strip().splitlines()
    return Outcome(True, expected, seen[0][:200] if seen else f"exit code {result.exit_code}")


class CommandClaim(Claim[CommandModel]):
    name = "command"
    model = CommandModel
    queries_cluster = True

    def validate(self, spec: CommandModel, refs: Refs, scope: Scope) -> None:
        validate_polled(spec, refs, scope, "command", spec.command)
        for name in spec.save.values():
            refs.save(name, scope.loc + ("save",))
        for key in (*_TEXT_KEYS, "fail_fast"):
            for j, value in enumerate(as_list(getattr(spec, key))):
                where = scope.at(key) if isinstance(getattr(spec, key), str) else scope.at(key, j)
                refs.variables(value, where)
                if key in ("stdout_regex", "fail_fast"):
                    refs.regex(value, where.loc)
        if set(spec.save) - {"stdout"}:
            raise refs.error(scope.loc + ("save",), "a command check can only save `stdout`")

    def saves(self, spec: CommandModel) -> list[str]:
        return list(spec.save.values())

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        spec = self.spec(check)

        def judge(result: CommandResult, _quick: bool) -> Outcome:
            return _judge(ctx, spec, cluster, result)

        exit_code_only = (
            spec.exit_code == 0
            and not spec.save
            and all(getattr(spec, key) is None for key in (*_TEXT_KEYS, "stdout_json"))
        )
        return polled(ctx, check, spec, spec.command, cluster, quick, judge, probe_wait=exit_code_only)


def _judge(ctx: Context, spec: CommandModel, cluster: str | None, result: CommandResult) -> Outcome:
    def expand(text: str) -> str:
        return ctx.text(text, cluster)

    expect: dict[str, Any] = {"exit_code": spec.exit_code}
    for key in ("stdout", "stderr", "stdout_line"):
        value = getattr(spec, key)
        if value is not None:
            expect[key] = expand(value)
    for key in ("stdout_contains", "stdout_lines"):
        if getattr(spec, key) is not None:
            expect[key] = [expand(v) for v in as_list(getattr(spec, key))]
    if spec.stdout_regex is not None:
        expect["stdout_regex"] = spec.stdout_regex
    outcome = evaluate_command(result, expect, expand)
    if outcome.ok and spec.stdout_json:
        expected, seen = check_asserts(result.stdout, spec.stdout_json, expand)
        if seen is not None:
            outcome = Outcome(False, f"{outcome.expected}, {expected}", seen)
    if not outcome.ok and spec.fail_fast and re.search(expand(spec.fail_fast), result.stderr + result.stdout):
        return Outcome(False, outcome.expected, outcome.seen, final=True)
    if outcome.ok and "stdout" in spec.save:
        ctx.save(spec.save["stdout"], cluster, result.stdout.strip())
    return outcome


register(CommandClaim())

"""The part of jq that tutorials use: `.`, paths (`.a.b`, `.[0]`, `.["k"]`, `.[]`), `length`, `keys`, `|`."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["run"]

_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\["([^"]*)"\]|\[\]|\.(?=\[)')


class _JqError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _path_steps(expr: str) -> list[tuple[str, Any]]:
    if expr == ".":
        return []
    if not expr.startswith("."):
        raise _JqError(f"jq: error: {expr}/0 is not defined at <top-level>, line 1:", 3)
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if m is None or m.end() == pos:
            raise _JqError(f"jq: error: syntax error, unexpected INVALID_CHARACTER: {expr}", 3)
        if m.group(1) is not None:
            steps.append(("key", m.group(1)))
        elif m.group(2) is not None:
            steps.append(("index", int(m.group(2))))
        elif m.group(3) is not None:
            steps.append(("key", m.group(3)))
        elif m.group(0) == "[]":
            steps.append(("each", None))
        pos = m.end()
    return steps


def _apply_step(values: list[Any], step: tuple[str, Any]) -> list[Any]:
    kind, arg = step
    out: list[Any] = []
    for v in values:
        if kind == "key":
            if v is None:
                out.append(None)
            elif isinstance(v, dict):
                out.append(v.get(arg))
            else:
                raise _JqError(f'jq: error (at <stdin>:0): Cannot index {_type(v)} with "{arg}"', 5)
        elif kind == "index":
            if v is None:
                out.append(None)
            elif isinstance(v, list):
                out.append(v[arg] if -len(v) <= arg < len(v) else None)
            else:
                raise _JqError(f"jq: error (at <stdin>:0): Cannot index {_type(v)} with number", 5)
        else:
            if isinstance(v, list):
                out.extend(v)
            elif isinstance(v, dict):
                out.extend(v.values())
            else:
                raise _JqError(f"jq: error (at <stdin>:0): Cannot iterate over {_type(v)}", 5)
    return out


def _filter(values: list[Any], expr: str) -> list[Any]:
    for stage in (s.strip() for s in expr.split("|")):
        if stage == "length":
            values = [
                len(v) if isinstance(v, (list, dict, str)) else (0 if v is None else abs(v)) for v in values
            ]
        elif stage == "keys":
            values = [sorted(v) if isinstance(v, dict) else list(range(len(v))) for v in values]
        else:
            for step in _path_steps(stage):
                values = _apply_step(values, step)
    return values


def _parse_inputs(text: str) -> list[Any]:
    decoder = json.JSONDecoder()
    values: list[Any] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return values
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _JqError(
                f"jq: parse error: Invalid numeric literal at line {exc.lineno}, column {exc.colno}", 2
            ) from None
        values.append(value)


def run(args: list[str], text: str) -> tuple[str, str, int]:
    """(stdout, stderr, exit code) of `jq ARGS` reading `text`."""
    compact = any(a in ("-c", "--compact-output") for a in args)
    raw = any(a in ("-r", "--raw-output") for a in args)
    filters = [a for a in args if not a.startswith("-")]
    expr = filters[0] if filters else "."
    out: list[str] = []
    try:
        for value in _filter(_parse_inputs(text), expr.strip()):
            if raw and isinstance(value, str):
                out.append(value)
            elif compact:
                out.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
            else:
                out.append(json.dumps(value, indent=2, ensure_ascii=False))
    except _JqError as err:
        return "".join(o + "\n" for o in out), f"{err}\n", err.code
    return "".join(o + "\n" for o in out), "", 0

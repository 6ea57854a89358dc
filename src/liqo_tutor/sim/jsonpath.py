"""The small JSONPath subset CRD printer columns use: .a.b, ['k'], [n], [*], [?(@.x=="y")], escaped dots."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["JsonPathError", "evaluate", "first"]


class JsonPathError(ValueError):
    pass


_FILTER = re.compile(
    r"""^\?\(\s*@((?:\.[A-Za-z0-9_\-/\\.]+?)+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?)|(true|false))\s*\)$"""
)


def _split_path(path: str) -> list[str]:
    """Turn `.a.b[0]['c.d'][?(...)]` into steps; `\\.` inside a name is a literal dot."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if text.startswith("$"):
        text = text[1:]
    steps: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ".":
            i += 1
            name = []
            while i < len(text) and text[i] not in ".[":
                if text[i] == "\\" and i + 1 < len(text):
                    name.append(text[i + 1])
                    i += 2
                    continue
                name.append(text[i])
                i += 1
            if name:
                steps.append("." + "".join(name))
        elif ch == "[":
            depth = 0
            j = i
            quote = ""
            while j < len(text):
                c = text[j]
                if quote:
                    if c == quote:
                        quote = ""
                elif c in "\"'":
                    quote = c
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(text):
                raise JsonPathError(f"unterminated [ in {path!r}")
            steps.append(text[i : j + 1])
            i = j + 1
        else:
            raise JsonPathError(f"unexpected {ch!r} in {path!r}")
    return steps


def _get_field(value: Any, dotted: str) -> tuple[bool, Any]:
    for part in [p for p in re.split(r"(?<!\\)\.", dotted) if p]:
        part = part.replace("\\.", ".")
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def evaluate(obj: Any, path: str) -> list[Any]:
    current: list[Any] = [obj]
    for step in _split_path(path):
        nxt: list[Any] = []
        if step.startswith("."):
            name = step[1:]
            for v in current:
                if name == "*":
                    if isinstance(v, dict):
                        nxt.extend(v.values())
                    elif isinstance(v, list):
                        nxt.extend(v)
                elif isinstance(v, dict) and name in v:
                    nxt.append(v[name])
        else:
            inner = step[1:-1].strip()
            for v in current:
                if inner == "*":
                    if isinstance(v, list):
                        nxt.extend(v)
                    elif isinstance(v, dict):
                        nxt.extend(v.values())
                elif inner[:1] in "\"'":
                    key = inner[1:-1]
                    if isinstance(v, dict) and key in v:
                        nxt.append(v[key])
                elif inner.startswith("?"):
                    m = _FILTER.match(inner)
                    if not m:
                        raise JsonPathError(f"unsupported filter {inner!r}")
                    field, op, s1, s2, num, boolean = m.groups()
                    want: Any
                    if s1 is not None or s2 is not None:
                        want = s1 if s1 is not None else s2
                    elif num is not None:
                        want = float(num)
                    else:
                        want = boolean == "true"
                    items = v if isinstance(v, list) else list(v.values()) if isinstance(v, dict) else []
                    for item in items:
                        ok, got = _get_field(item, field)
                        if isinstance(want, float) and isinstance(got, (int, float)):
                            got = float(got)
                        if ok and ((got == want) if op == "==" else (got != want)):
                            nxt.append(item)
                elif re.fullmatch(r"-?\d+", inner):
                    if isinstance(v, list):
                        idx = int(inner)
                        if -len(v) <= idx < len(v):
                            nxt.append(v[idx])
                elif ":" in inner:
                    parts = inner.split(":")
                    if isinstance(v, list):
                        start = int(parts[0]) if parts[0] else None
                        end = int(parts[1]) if len(parts) > 1 and parts[1] else None
                        nxt.extend(v[start:end])
                else:
                    raise JsonPathError(f"unsupported step {step!r}")
        current = nxt
    return current


def first(obj: Any, path: str) -> Any:
    found = evaluate(obj, path)
    return found[0] if found else None

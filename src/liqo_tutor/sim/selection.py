"""Label and field selectors as the API server parses them (apimachinery labels/fields)."""

from __future__ import annotations

import re
from typing import Any

from liqo_tutor.sim.store import ApiError, Obj

__all__ = ["field_selector_matches", "label_selector_matches", "parse_label_selector"]


def _split_selector(text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return [p for p in parts if p]


_SET_RE = re.compile(r"^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$")


def parse_label_selector(text: str) -> list[tuple[str, str, list[str]]]:
    reqs: list[tuple[str, str, list[str]]] = []
    for part in _split_selector(text or ""):
        m = _SET_RE.match(part)
        if m:
            reqs.append((m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",") if v.strip()]))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k.strip(), "!=", [v.strip()]))
        elif "==" in part:
            k, v = part.split("==", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif "=" in part:
            k, v = part.split("=", 1)
            reqs.append((k.strip(), "=", [v.strip()]))
        elif part.startswith("!"):
            reqs.append((part[1:].strip(), "!", []))
        else:
            if not re.fullmatch(r"[A-Za-z0-9._/\-]+", part):
                raise ApiError(400, "BadRequest", f"unable to parse requirement: {part}")
            reqs.append((part, "exists", []))
    return reqs


def label_selector_matches(text: str, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    for key, op, values in parse_label_selector(text):
        have = labels.get(key)
        if op == "=" and have != values[0]:
            return False
        if op == "!=" and have == values[0]:
            return False
        if op == "in" and have not in values:
            return False
        if op == "notin" and have in values:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!" and key in labels:
            return False
    return True


def field_selector_matches(text: str, obj: Obj) -> bool:
    for part in _split_selector(text or ""):
        if "!=" in part:
            path, want = part.split("!=", 1)
            negate = True
        else:
            path, _, want = part.replace("==", "=").partition("=")
            negate = False
        value: Any = obj
        for step in path.strip().split("."):
            value = value.get(step) if isinstance(value, dict) else None
        have = "" if value is None else str(value)
        if (have == want.strip()) == negate:
            return False
    return True

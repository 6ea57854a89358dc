"""`liqoctl offload namespace --selector`: a label selector string as a NodeSelectorTerm.

liqoctl (pkg/liqoctl/offload/handler.go, ParseClusterSelectors and toNodeSelector, same at v0.10.3 and
v1.2.0) parses each --selector with metav1.ParseToLabelSelector (apimachinery labels.Parse: requirements
sorted by key, set values sorted), then appends the `k=v` ones as `In [v]` expressions after the others.
Each --selector is one term (the terms are OR'ed); the requirements of one selector are AND'ed.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SelectorError", "parse_term"]

Obj = dict[str, Any]

_SET = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_CMP = re.compile(r"^\s*([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_KEY = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s*$")


class SelectorError(ValueError):
    """Not a label selector (the message is the one liqoctl prints)."""


def _split(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def parse_term(selector: str) -> Obj:
    """One --selector value -> {"matchExpressions": [...]}."""
    expressions: list[Obj] = []
    labels: dict[str, str] = {}
    for part in _split(selector):
        if not part.strip():
            continue
        m = _SET.match(part)
        if m and not m.group(1):
            values = sorted({v.strip() for v in m.group(4).split(",") if v.strip()})
            op = "In" if m.group(3) == "in" else "NotIn"
            expressions.append({"key": m.group(2), "operator": op, "values": values})
            continue
        m = _CMP.match(part)
        if m:
            if m.group(2) == "!=":
                expressions.append({"key": m.group(1), "operator": "NotIn", "values": [m.group(3)]})
            else:
                labels[m.group(1)] = m.group(3)
            continue
        m = _KEY.match(part)
        if m:
            op = "DoesNotExist" if m.group(1) else "Exists"
            expressions.append({"key": m.group(2), "operator": op})
            continue
        raise SelectorError(f"unable to parse requirement: found '{part.strip()}', expected: identifier")
    expressions.sort(key=lambda e: str(e["key"]))
    for key in sorted(labels):
        expressions.append({"key": key, "operator": "In", "values": [labels[key]]})
    return {"matchExpressions": expressions}

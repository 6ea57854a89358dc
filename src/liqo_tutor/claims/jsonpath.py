"""Assertions on a JSON (or YAML) document by path: `{path: [peerings, peers, {clusterID: milan}, role],
equals: Provider}`.

A path item is a mapping key (taken literally: `topology.liqo.io/region` needs no escaping), a list
index (negative from the end), or `{field: value}`: in a list, the first item whose fields equal
those values. Each assertion has exactly one matcher: equals (as strings), contains (substring of a
string, member of a list), regex, in, exists, length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import yaml
from pydantic import Field, field_validator, model_validator

from liqo_tutor.kinds import YamlModel

__all__ = ["JsonAssert", "check_asserts", "parse_document", "path_text"]

_MATCHERS = ("equals", "contains", "regex", "in_", "exists", "length")
Expand = Callable[[str], str]
PathItem = str | int | dict[str, str]


class JsonAssert(YamlModel):
    path: list[PathItem]
    equals: str | int | float | bool | None = None
    contains: str | list[str] | None = None
    regex: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    exists: bool | None = None
    length: int | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, path: list[PathItem]) -> list[PathItem]:
        if not path:
            raise ValueError("must be a non-empty list of keys, indexes and {field: value} filters")
        for j, item in enumerate(path):
            if isinstance(item, dict) and not item:
                raise ValueError(f"path[{j}]: a filter needs at least one field")
        return path

    @model_validator(mode="after")
    def _one(self) -> JsonAssert:
        given = [k for k in _MATCHERS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, contains, regex, in, exists, length")
        return self


def parse_document(text: str) -> Any:
    """JSON, or YAML when it is not JSON (`kubectl ... -o yaml` as the doc types it)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"neither JSON nor YAML ({str(exc).splitlines()[0]})") from None


def path_text(path: list[PathItem]) -> str:
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        elif isinstance(item, dict):
            out += "[" + ",".join(f"{k}={v}" for k, v in item.items()) + "]"
        else:
            out += f".{item}" if out else str(item)
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _walk(doc: Any, path: list[PathItem], expand: Expand) -> tuple[bool, Any, str]:
    """(found, value, why not found)."""
    cur = doc
    for item in path:
        if isinstance(item, dict):
            if not isinstance(cur, list):
                return False, None, f"not a list at {path_text(path)}"
            want = {k: expand(str(v)) for k, v in item.items()}
            match = [
                x for x in cur if isinstance(x, dict) and all(_scalar(x.get(k)) == v for k, v in want.items())
            ]
            if not match:
                shown = ",".join(f"{k}={v}" for k, v in want.items())
                return False, None, f"no item with {shown} among {len(cur)}"
            cur = match[0]
        elif isinstance(item, int) and not isinstance(item, bool):
            if not isinstance(cur, list) or not -len(cur) <= item < len(cur):
                return False, None, f"no index {item}"
            cur = cur[item]
        else:
            key = expand(str(item))
            if not isinstance(cur, dict) or key not in cur:
                return False, None, f"no key {key!r}"
            cur = cur[key]
    return True, cur, ""


def _judge(a: JsonAssert, found: bool, value: Any, expand: Expand) -> tuple[str, bool]:
    """(what was expected, whether it holds)."""
    if a.exists is not None:
        return ("present" if a.exists else "absent"), found == a.exists
    if a.equals is not None:
        want = expand(_scalar(a.equals))
        return want, found and not isinstance(value, (dict, list)) and _scalar(value) == want
    if a.contains is not None:
        items = [expand(c) for c in ([a.contains] if isinstance(a.contains, str) else a.contains)]
        if isinstance(value, list):
            ok = all(any(_scalar(v) == i for v in value) for i in items)
        else:
            ok = isinstance(value, str) and all(i in value for i in items)
        return "containing " + " and ".join(repr(i) for i in items), found and ok
    if a.regex is not None:
        rx = a.regex
        return f"matching {rx!r}", found and isinstance(value, (str, int, float)) and bool(
            re.search(rx, _scalar(value))
        )
    if a.in_ is not None:
        allowed = [expand(v) for v in a.in_]
        return f"one of {', '.join(allowed)}", found and _scalar(value) in allowed
    return f"length {a.length}", found and isinstance(value, (list, dict, str)) and len(value) == a.length


def check_asserts(text: str, asserts: list[JsonAssert], expand: Expand) -> tuple[str, str | None]:
    """(expected, None) when all hold, else (expected, what was seen instead)."""
    try:
        doc = parse_document(text)
    except ValueError as exc:
        return "a JSON or YAML document", str(exc)
    wants: list[str] = []
    for a in asserts:
        found, value, why = _walk(doc, a.path, expand)
        want, ok = _judge(a, found, value, expand)
        where = path_text([expand(p) if isinstance(p, str) else p for p in a.path])
        wants.append(f"{where} {want}")
        if not ok:
            seen = json.dumps(value)[:200] if found else f"not found ({why})"
            return ", ".join(f"path {w}" for w in wants), f"path {where}: {seen}"
    return ", ".join(f"path {w}" for w in wants), None

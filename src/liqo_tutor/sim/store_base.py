"""Small helpers of the simulated store: copies of stored objects, metadata timestamps."""

from __future__ import annotations

import copy
import datetime as _dt
import marshal
import time
from typing import Any, TypeVar, cast

__all__ = ["clone", "now_iso", "parse_iso"]

_T = TypeVar("_T")


def clone(value: _T) -> _T:
    """A deep copy of JSON-like data (dicts, lists, strings, numbers, ...), as copy.deepcopy makes it but
    about four times faster (marshal copies in C); anything marshal does not know goes to deepcopy."""
    try:
        return cast(_T, marshal.loads(marshal.dumps(cast(Any, value))))
    except ValueError:
        return copy.deepcopy(value)


def now_iso(t: float | None = None) -> str:
    """RFC 3339 UTC timestamp with second precision, as the apiserver writes metadata times."""
    when = _dt.datetime.fromtimestamp(time.time() if t is None else t, tz=_dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    return _dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc).timestamp()

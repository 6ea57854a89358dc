"""`30s`, `5m`, `1m30s`, `2h` or a number of seconds -> seconds (the one parser of durations)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["parse_duration"]

_DURATION_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(value: Any) -> float:
    """`30s`, `5m`, `1m30s`, `2h` or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 5m)")
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError(f"duration must be positive, got {value}")
        return float(value)
    if isinstance(value, str):
        m = _DURATION_RE.match(value.strip())
        if m and any(m.groups()):
            h, mins, s = (float(g) if g else 0.0 for g in m.groups())
            total = h * 3600 + mins * 60 + s
            if total > 0:
                return total
    raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 5m)")

"""JSON made readable for a person (jq-like): indented, long lists cut to a few items with "… N more".

Only what is shown is shortened; the transcript keeps every byte of the output.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["readable"]

MAX_ITEMS = 2  # list items shown before "… N more"
MAX_KEYS = 8  # object keys shown before "… N more keys"
MAX_STRING = 60
ONE_LINE = 90  # characters of a flat object's keys and values shown on its one line


def _scalar(value: Any) -> str:
    if isinstance(value, str) and len(value) > MAX_STRING:
        value = value[: MAX_STRING - 1] + "…"
    return json.dumps(value, ensure_ascii=False)


def _lines(value: Any, indent: int, max_items: int) -> list[str]:
    pad = "  " * (indent + 1)
    if isinstance(value, (list, dict)) and len(value) <= max_items:
        compact = json.dumps(value, ensure_ascii=False)
        if len(compact) <= 60:  # short enough to read on one line, as printed
            return [compact]
    if isinstance(value, list):
        if not value:
            return ["[]"]
        out = ["["]
        shown = value[:max_items]
        for i, item in enumerate(shown):
            sub = _lines(item, indent + 1, max_items)
            comma = "," if i < len(value) - 1 else ""
            out.append(pad + sub[0])
            out.extend(sub[1:])
            out[-1] += comma
        if len(value) > len(shown):
            more = len(value) - len(shown)
            out.append(f"{pad}… {more} more item{'s' if more != 1 else ''}")
        out.append("  " * indent + "]")
        return out
    if isinstance(value, dict):
        if not value:
            return ["{}"]
        items = list(value.items())
        shown_items = items[:MAX_KEYS]
        # Flat objects stay on one line, as jq -c would print them, cut to what fits a terminal line.
        if all(not isinstance(v, (dict, list)) for _, v in items):
            parts: list[str] = []
            for key, item in items:
                part = f"{json.dumps(key, ensure_ascii=False)}: {_scalar(item)}"
                if parts and len(", ".join([*parts, part])) > ONE_LINE:
                    break
                parts.append(part)
            rest = len(items) - len(parts)
            return ["{" + ", ".join(parts) + (f", … {rest} more" if rest else "") + "}"]
        out = ["{"]
        for i, (key, item) in enumerate(shown_items):
            sub = _lines(item, indent + 1, max_items)
            comma = "," if i < len(items) - 1 else ""
            out.append(f"{pad}{json.dumps(key, ensure_ascii=False)}: {sub[0]}")
            out.extend(sub[1:])
            out[-1] += comma
        if len(items) > len(shown_items):
            out.append(f"{pad}… {len(items) - len(shown_items)} more keys")
        out.append("  " * indent + "}")
        return out
    return [_scalar(value)]


def readable(text: str, *, max_items: int = MAX_ITEMS) -> str | None:
    """`text` pretty-printed and cut down if it is one JSON array or object; None if it is not JSON."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    head = ""
    if isinstance(value, list) and len(value) > max_items:
        head = f"// a list of {len(value)} items\n"
    return head + "\n".join(_lines(value, 0, max_items))

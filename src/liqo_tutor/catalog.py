"""What `liqo-tutor list` tells about each tutorial besides its title: its clusters and Liqo lines.

Read from the raw YAML (no validation, no engine), as the title is: `list` must stay fast, and a file
that does not validate is still listed (with what can be read of it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import yaml

from liqo_tutor.loader import steps_dir

__all__ = ["Summary", "describe", "summaries"]

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Summary(TypedDict):
    clusters: list[str]
    lines: dict[str, str]  # line name -> its liqoctl version range


def _summary(data: object) -> Summary:
    out: Summary = {"clusters": [], "lines": {}}
    if not isinstance(data, dict):
        return out
    for cluster in data.get("clusters") or []:
        if isinstance(cluster, dict) and isinstance(cluster.get("name"), str):
            out["clusters"].append(cluster["name"])
    lines = data.get("lines")
    if isinstance(lines, dict):
        for name, line in lines.items():
            if name != "detect" and isinstance(line, dict):
                out["lines"][str(name)] = str(line.get("range", ""))
    return out


def summaries(steps_dir_override: Path | None = None) -> dict[str, Summary]:
    """Tutorial name -> its clusters and lines; an unreadable file gives empty lists."""
    found: dict[str, Summary] = {}
    where = steps_dir(steps_dir_override)
    if not where.is_dir():
        return found
    for path in sorted(where.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
        except (OSError, yaml.YAMLError):
            data = None
        found[path.stem] = _summary(data)
    return found


def describe(summary: Summary) -> str:
    """`rome, milan · Liqo v1` for the terminal; empty when the file says neither."""
    if not summary["clusters"] and not summary["lines"]:
        return ""
    clusters = ", ".join(summary["clusters"]) or "?"
    lines = ", ".join(summary["lines"]) or "?"
    return f"{clusters} · Liqo {lines}"

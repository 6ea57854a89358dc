"""Chart repositories the playground's `helm` can reach, and the charts it can render.

An index maps a repository URL to its charts and their versions (newest first); a version that can
be installed has a `render(release, namespace, values) -> objects` and its default values.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChartVersion", "coalesce", "index_for", "known_hosts"]

Obj = dict[str, Any]
Render = Callable[[str, str, Obj, "ChartVersion"], list[Obj]]
Notes = Callable[[str, str, Obj, "ChartVersion"], str]


@dataclass(frozen=True)
class ChartVersion:
    name: str
    version: str
    app_version: str
    description: str
    defaults: Obj = field(default_factory=dict)
    render: Render | None = None
    notes: Notes | None = None
    note_unsupported: str = ""


def coalesce(base: Obj, override: Obj) -> Obj:
    """Values as helm merges them: maps merge key by key, anything else from `override` wins; null deletes."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _indexes() -> dict[str, dict[str, list[ChartVersion]]]:
    from liqo_tutor.sim.charts import liqo, mariadb_galera

    return {
        "https://charts.bitnami.com/bitnami": {"mariadb-galera": mariadb_galera.VERSIONS},
        "https://helm.liqo.io": {"liqo": liqo.VERSIONS},
    }


def index_for(url: str) -> dict[str, list[ChartVersion]] | None:
    """The index.yaml served at `url` (a trailing slash does not matter), None when there is none."""
    return _indexes().get(url.rstrip("/"))


def known_hosts() -> set[str]:
    """Hosts that answer (a wrong path on them gets 404, an unknown host does not resolve)."""
    from urllib.parse import urlsplit

    return {urlsplit(u).hostname or "" for u in _indexes()}

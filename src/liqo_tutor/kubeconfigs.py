"""Reading kubeconfig files without ever showing their contents (tokens, keys): validity and contexts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KIND_CONTEXT", "contexts", "default_paths", "problem"]

# The context (and cluster, user) name kind writes for a cluster.
KIND_CONTEXT = "kind-{cluster}"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def problem(path: Path) -> str | None:
    """Why `path` is not a usable kubeconfig, or None. The message never quotes the file."""
    try:
        data = _load(path)
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return f"not valid YAML{where}"
    except UnicodeDecodeError:
        return "not text"
    if isinstance(data, str):
        return None  # a one-word stand-in (test doubles); kubectl itself says what is wrong with it
    if not isinstance(data, dict):
        return "not a kubeconfig (empty)" if data is None else "not a kubeconfig (no mapping at the top)"
    if data.get("kind", "Config") != "Config":
        return f"not a kubeconfig (kind {data.get('kind')!r})"
    for key in ("clusters", "contexts", "users"):
        if not isinstance(data.get(key) or [], list):
            return f"not a kubeconfig (`{key}` is not a list)"
    if not data.get("clusters") or not data.get("contexts"):
        return "not a kubeconfig (no clusters or no contexts)"
    return None


def contexts(path: Path) -> list[str]:
    """Context names in `path`; [] when it is missing or unreadable."""
    try:
        data = _load(path)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or not isinstance(data.get("contexts"), list):
        return []
    return [str(c.get("name")) for c in data["contexts"] if isinstance(c, dict) and c.get("name")]


def default_paths(env: Mapping[str, str]) -> list[Path]:
    """The kubeconfig files kubectl uses without --kubeconfig: $KUBECONFIG's list, else ~/.kube/config."""
    value = env.get("KUBECONFIG", "")
    if value:
        return [Path(p).expanduser() for p in value.split(os.pathsep) if p]
    home = env.get("HOME") or os.path.expanduser("~")
    return [Path(home) / ".kube" / "config"]

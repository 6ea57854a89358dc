"""Simulated kind: kubeconfig files written, merged and cleaned the way kind (client-go) does."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import yaml

from liqo_tutor.sim.tools.common import atomic_write
from liqo_tutor.sim.tools.kind_base import KindError

__all__ = ["kubeconfig", "kubeconfig_targets", "merge_kubeconfig", "remove_from_kubeconfig", "server_of"]


def kubeconfig_targets(explicit: str | None, *, for_write: bool) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if env:
        if not for_write:
            return [Path(p) for p in env]
        existing = [p for p in env if Path(p).exists()]
        return [Path(existing[0] if existing else env[-1])]
    return [Path.home() / ".kube" / "config"]


class _FileLock:
    """client-go's convention: an exclusive `PATH.lock` file while the kubeconfig is rewritten."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")

    def __enter__(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                return
            except FileExistsError:
                if time.monotonic() > deadline:
                    self.path.unlink(missing_ok=True)  # a stale lock of a killed process
                time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _read_kubeconfig(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise KindError(f"failed to load kubeconfig {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _write_kubeconfig(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    atomic_write(path, yaml.safe_dump(data, sort_keys=True, default_flow_style=False), 0o600)


def kubeconfig(name: str, server: str, token: str) -> dict[str, Any]:
    ctx = f"kind-{name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": ctx, "cluster": {"server": server}}],
        "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": ctx}}],
        "current-context": ctx,
        "preferences": {},
        "users": [{"name": ctx, "user": {"token": token}}],
    }


def _upsert(entries: Any, entry: dict[str, Any]) -> list[Any]:
    items = [e for e in (entries or []) if isinstance(e, dict)]
    for idx, e in enumerate(items):
        if e.get("name") == entry["name"]:
            items[idx] = entry
            return items
    return [*items, entry]


def merge_kubeconfig(path: Path, fresh: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    with _FileLock(path):
        data = _read_kubeconfig(path)
        data.setdefault("apiVersion", "v1")
        data.setdefault("kind", "Config")
        data.setdefault("preferences", {})
        for key in ("clusters", "contexts", "users"):
            data[key] = _upsert(data.get(key), fresh[key][0])
        data["current-context"] = fresh["current-context"]
        _write_kubeconfig(path, data)


def remove_from_kubeconfig(path: Path, name: str) -> None:
    if not path.exists():
        return
    ctx = f"kind-{name}"
    with _FileLock(path):
        data = _read_kubeconfig(path)
        if not data:
            return
        changed = False
        for key in ("clusters", "contexts", "users"):
            kept = [e for e in data.get(key) or [] if not (isinstance(e, dict) and e.get("name") == ctx)]
            if len(kept) != len(data.get(key) or []):
                changed = True
            if kept:
                data[key] = kept
            else:
                data.pop(key, None)
        if data.get("current-context") == ctx:
            data.pop("current-context")
            changed = True
        if changed:
            _write_kubeconfig(path, data)


def server_of(info: dict[str, Any], internal: bool) -> str:
    if internal:
        return f"http://{info['name']}-control-plane:6443"
    return f"http://127.0.0.1:{info['port']}"


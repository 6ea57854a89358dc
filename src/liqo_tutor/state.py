"""Progress of a tutorial in a workdir: `.liqo-tutor/state.json`, rewritten atomically after every change."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liqo_tutor.constants import STATE_DIR_NAME, STATE_FILE
from liqo_tutor.errors import InputError

__all__ = ["CorruptState", "State", "state_path"]

_FORMAT = 1


class CorruptState(InputError):
    """The state file exists but cannot be read."""


def state_path(workdir: Path) -> Path:
    return workdir / STATE_DIR_NAME / STATE_FILE


@dataclass
class State:
    """A hint about progress: the clusters are the truth, steps are re-verified live before skipping."""

    path: Path
    tutorial: str | None = None
    line: str | None = None
    liqo_version: str | None = None
    tutorial_hash: str | None = None
    steps: dict[str, str] = field(default_factory=dict)  # step id -> pending | done | failed
    clusters_created: list[str] = field(default_factory=list)  # kind clusters this tool created
    kubeconfigs: list[str] = field(default_factory=list)  # kubeconfig files written on our behalf
    undo: list[dict[str, str]] = field(default_factory=list)  # what to undo, newest last
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def load(cls, workdir: Path) -> State:
        path = state_path(workdir)
        if not path.exists():
            return cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError("unknown format")
            return cls(
                path=path,
                tutorial=_opt_str(data.get("tutorial")),
                line=_opt_str(data.get("line")),
                liqo_version=_opt_str(data.get("liqo_version")),
                tutorial_hash=_opt_str(data.get("tutorial_hash")),
                steps={str(k): str(v) for k, v in dict(data.get("steps") or {}).items()},
                clusters_created=[str(x) for x in data.get("clusters_created") or []],
                kubeconfigs=[str(x) for x in data.get("kubeconfigs") or []],
                undo=[{str(k): str(v) for k, v in dict(u).items()} for u in data.get("undo") or []],
            )
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise CorruptState(
                f"the state file {path} is corrupt ({exc})",
                hint="`liqo-tutor teardown` sets it aside and cleans up; or delete the file to start over",
            ) from None

    @staticmethod
    def set_aside(workdir: Path) -> Path:
        """Rename a corrupt state file to `state.json.corrupt-<time>` (kept for inspection)."""
        path = state_path(workdir)
        target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, target)
        return target

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "format": _FORMAT,
                "tutorial": self.tutorial,
                "line": self.line,
                "liqo_version": self.liqo_version,
                "tutorial_hash": self.tutorial_hash,
                "steps": dict(self.steps),
                "clusters_created": list(self.clusters_created),
                "kubeconfigs": list(self.kubeconfigs),
                "undo": [dict(u) for u in self.undo],
            }

    def save(self) -> None:
        """Write atomically (temp file in the same directory, then rename)."""
        with self._lock:
            payload = json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise

    # -- mutations (each saves) -------------------------------------------------------------

    def set_step(self, step_id: str, status: str) -> None:
        with self._lock:
            self.steps[step_id] = status
            self.save()

    def add_cluster(self, name: str, kubeconfig: str) -> None:
        with self._lock:
            if name not in self.clusters_created:
                self.clusters_created.append(name)
            if kubeconfig not in self.kubeconfigs:
                self.kubeconfigs.append(kubeconfig)
            self.undo.append({"what": "cluster", "name": name, "kubeconfig": kubeconfig})
            self.save()

    def remove_cluster(self, name: str, kubeconfig: str | None) -> None:
        with self._lock:
            if name in self.clusters_created:
                self.clusters_created.remove(name)
            if kubeconfig is not None and kubeconfig in self.kubeconfigs:
                self.kubeconfigs.remove(kubeconfig)
            self.undo = [u for u in self.undo if not (u.get("what") == "cluster" and u.get("name") == name)]
            self.save()

    def reset_steps(self) -> None:
        with self._lock:
            self.steps = {}
            self.save()

    def created(self, name: str) -> bool:
        with self._lock:
            return name in self.clusters_created

    # -- what this tool did inside clusters it did not create (bring-your-own) ---------------

    def record(self, what: str, cluster: str) -> None:
        with self._lock:
            entry = {"what": "did", "name": what, "cluster": cluster}
            if entry not in self.undo:
                self.undo.append(entry)
                self.save()

    def recorded(self, what: str, cluster: str) -> bool:
        with self._lock:
            return {"what": "did", "name": what, "cluster": cluster} in self.undo

    def forget(self, what: str, cluster: str) -> None:
        with self._lock:
            entry = {"what": "did", "name": what, "cluster": cluster}
            if entry in self.undo:
                self.undo.remove(entry)
                self.save()

    # -- temporary objects (probe pods): recorded before creating, dropped once deleted --------

    def add_pod(self, cluster: str, namespace: str, name: str) -> None:
        with self._lock:
            self.undo.append({"what": "pod", "cluster": cluster, "namespace": namespace, "name": name})
            self.save()

    def drop_pod(self, cluster: str, namespace: str, name: str) -> None:
        with self._lock:
            entry = {"what": "pod", "cluster": cluster, "namespace": namespace, "name": name}
            if entry in self.undo:
                self.undo.remove(entry)
                self.save()

    def pods(self) -> list[dict[str, str]]:
        """Probe pods that may still exist, newest first (the order teardown undoes them in)."""
        with self._lock:
            return [dict(u) for u in reversed(self.undo) if u.get("what") == "pod"]


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)

"""Saved outputs (`save:`) kept in `.liqo-tutor/captures.json`, so a later `liqo-tutor step X` in a new
process can use `{local_pod_ip}` saved by an earlier step as a variable. Claims on saved outputs
judge only what this process saved (a re-run must not pass on yesterday's answers). Keyed by the
tutorial's digest: a changed tutorial starts with no captures. Values holding a registered secret
are never written."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from liqo_tutor import secrets
from liqo_tutor.constants import STATE_DIR_NAME

__all__ = ["CaptureStore", "captures_path"]

_FORMAT = 1


def captures_path(workdir: Path) -> Path:
    return workdir / STATE_DIR_NAME / "captures.json"


class CaptureStore:
    """Thread-safe `name@cluster -> value`, written through to the workdir."""

    def __init__(self, workdir: Path, digest: str) -> None:
        self.path = captures_path(workdir)
        self.digest = digest
        self._lock = threading.Lock()
        self._values: dict[str, str] = self._read()
        self._fresh: set[str] = set()  # saved by this process

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("digest") != self.digest:
            return {}
        values = data.get("values")
        return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}

    def get(self, key: str, *, fresh: bool = False) -> str | None:
        """The value; `fresh`: only if saved by this process (claims judge this run's outputs)."""
        with self._lock:
            if fresh and key not in self._fresh:
                return None
            return self._values.get(key)

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = value
            self._fresh.add(key)
            self._write()

    def _write(self) -> None:
        # A value holding a registered secret is kept in memory for this run only.
        safe = {k: v for k, v in self._values.items() if secrets.redact(v) == v}
        payload = json.dumps({"format": _FORMAT, "digest": self.digest, "values": safe}, indent=1)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".captures-", suffix=".json", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload + "\n")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only workdir: captures still work within this process

"""The JSON-lines record of every command run: what ran, where, how it ended; secrets masked."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

from liqo_tutor import secrets
from liqo_tutor.results import CommandResult

__all__ = ["Transcript", "entry", "read"]


def entry(result: CommandResult) -> dict[str, Any]:
    """One transcript line for `result`, masked (safe to write to disk or show)."""
    return {
        "started": round(result.started, 3),
        "cluster": result.cluster,
        "argv": secrets.redact_argv(result.argv),
        "display": secrets.redact(result.display),
        "exit_code": result.exit_code,
        "duration": round(result.duration, 3),
        "stdout": secrets.redact(result.stdout),
        "stderr": secrets.redact(result.stderr),
    }


class Transcript:
    """Appends one JSON object per command to `path`; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, result: CommandResult) -> None:
        line = json.dumps(entry(result), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Every command's output is in here: owner-only, like state.json and the reports
            # (a file left 0644 by an older version is tightened on the next append).
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
                    os.fchmod(fd, 0o600)
                data = memoryview(line.encode("utf-8"))
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)


def read(path: Path) -> list[dict[str, Any]]:
    """Every entry of a transcript file (an unreadable trailing line is ignored)."""
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries

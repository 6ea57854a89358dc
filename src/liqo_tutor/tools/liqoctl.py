"""liqoctl: its client-version argv and its log lines (INFO/WARN/ERRO; stdout in v0.x, stderr in v1.x)."""

from __future__ import annotations

import re

__all__ = ["CLIENT_VERSION", "last_error", "log_lines"]

# The client alone: never touches a cluster (doctor; the tutorials detect the line with their own command).
CLIENT_VERSION = ("liqoctl", "version", "--client")

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_LOG_RE = re.compile(r"^(INFO|WARN|ERRO)[: ]\s*(.*)$")


def log_lines(text: str) -> list[tuple[str, str]]:
    """[(level, message)] from raw liqoctl output: strip ANSI, keep the text after the last CR."""
    out: list[tuple[str, str]] = []
    for raw in _ANSI_RE.sub("", text).split("\n"):
        line = raw.rsplit("\r", 1)[-1].strip()
        m = _LOG_RE.match(line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def last_error(stdout: str, stderr: str) -> str | None:
    """The last `ERRO:` message on either stream (v0.x logs on stdout, v1.x on stderr)."""
    errors = [msg for level, msg in log_lines(stdout + "\n" + stderr) if level == "ERRO"]
    return errors[-1] if errors else None

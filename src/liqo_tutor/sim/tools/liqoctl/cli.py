"""What every command of the simulated liqoctl gets: its context, the printer (pterm in raw mode), the errors.

The command line itself (flags, commands, argv) is sim/tools/cobra.py, shared with kind, docker and helm;
tree.py declares each Liqo line's commands on it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from liqo_tutor.sim.liqo.versions import Line
from liqo_tutor.sim.tools.cobra import UsageError
from liqo_tutor.sim.tools.common import parse_duration

__all__ = ["CobraError", "Ctx", "Failed", "Printer", "parse_duration"]


class CobraError(UsageError):
    """An error a command returns to cobra: `Error: <msg>` on stderr, exit 1 (the root has SilenceUsage)."""


class Failed(Exception):
    """The command already printed its error; exit 1."""


@dataclass
class Ctx:
    line: Line
    version: str
    path: list[str]
    flags: dict[str, Any]
    args: list[str]
    out: Printer
    seen: set[str] = field(default_factory=set)

    def f(self, name: str) -> Any:
        return self.flags.get(name)


class Printer:
    """v0.x writes every log line to stdout, v1.x to stderr; plain results always go to stdout."""

    def __init__(self, line: Line) -> None:
        self.log: TextIO = sys.stdout if line.v0 else sys.stderr
        self._spinning = ""

    def _w(self, text: str) -> None:
        if self._spinning:
            self.log.write("\r" + " " * len(self._spinning) + "\r")
            self._spinning = ""
        self.log.write(text)
        self.log.flush()

    def step(self, text: str) -> None:
        self._w(text + "\n")
        self._spinning = text

    def info(self, msg: str) -> None:
        self._w(f"INFO: {msg}\n")

    def warn(self, msg: str) -> None:
        self._w(f"WARN: {msg}\n")

    def error(self, msg: str) -> None:
        self._w(f"ERRO: {msg}\n")

    def fail(self, msg: str) -> Failed:
        self.error(msg)
        return Failed(msg)

    @staticmethod
    def result(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

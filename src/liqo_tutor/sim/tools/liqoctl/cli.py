"""The cobra-like command line of the simulated liqoctl: flags, commands, argv parsing, the printer."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from liqo_tutor.sim.liqo.versions import (
    Line,
)

__all__ = ["parse_argv", "parse_duration"]


# --------------------------------------------------------------------------------------------
# cobra-like command line
# --------------------------------------------------------------------------------------------


class CobraError(Exception):
    """A usage error: printed as `Error: <msg>` on stderr, exit 1 (root has SilenceUsage)."""


class Failed(Exception):
    """The command already printed its error; exit 1."""


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str  # bool | str | dur | int | list
    default: Any = None
    short: str | None = None
    required: bool = False


@dataclass
class Command:
    name: str
    flags: list[Flag] = field(default_factory=list)
    persistent: list[Flag] = field(default_factory=list)
    subs: list[Command] = field(default_factory=list)
    aliases: tuple[str, ...] = ()
    args: tuple[int, int] | None = (0, 0)  # (min, max) positional args; None = has no Run
    run: Callable[[Ctx], int] | None = None

    def sub(self, word: str) -> Command | None:
        for c in self.subs:
            if word == c.name or word in c.aliases:
                return c
        return None


@dataclass
class Ctx:
    line: Line
    version: str
    path: list[str]
    flags: dict[str, Any]
    args: list[str]
    out: Printer

    def f(self, name: str) -> Any:
        return self.flags.get(name)


_DUR = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration (enough of it): `10m`, `120s`, `1h2m3.5s`, `0`."""
    if text in ("0", "+0", "-0"):
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DUR.match(text, pos)
        if m is None:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text:
        raise ValueError('time: invalid duration ""')
    return total


def _convert(flag: Flag, value: str) -> Any:
    try:
        if flag.kind == "bool":
            low = value.lower()
            if low in ("1", "t", "true"):
                return True
            if low in ("0", "f", "false"):
                return False
            raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax')
        if flag.kind == "dur":
            return parse_duration(value)
        if flag.kind == "int":
            return int(value)
    except ValueError as exc:
        raise CobraError(f'invalid argument "{value}" for "{_flag_label(flag)}" flag: {exc}') from None
    return value


def _flag_label(flag: Flag) -> str:
    return f"-{flag.short}, --{flag.name}" if flag.short else f"--{flag.name}"


def _all_flags(chain: list[Command]) -> list[Flag]:
    flags = list(chain[-1].flags)
    for c in chain:
        flags.extend(c.persistent)
    return flags


def _find_path(root: Command, argv: list[str]) -> tuple[list[Command], list[str]]:
    """Select the subcommand chain like cobra's Find: skip flags (and their values), descend on words."""
    every: dict[str, Flag] = {}

    def collect(c: Command) -> None:
        for fl in c.flags + c.persistent:
            every.setdefault(fl.name, fl)
            if fl.short:
                every.setdefault(fl.short, fl)
        for s in c.subs:
            collect(s)

    collect(root)
    chain = [root]
    rest: list[str] = []
    positional = False  # a word that is no subcommand ends the descent (flag values do not)
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            rest.extend(argv[i:])
            break
        if tok.startswith("-") and len(tok) > 1:
            rest.append(tok)
            name = tok.lstrip("-")
            fl = every.get(name)
            if "=" not in tok and fl is not None and fl.kind != "bool" and i + 1 < len(argv):
                rest.append(argv[i + 1])
                i += 1
            i += 1
            continue
        nxt = chain[-1].sub(tok) if not positional else None
        if nxt is not None:
            chain.append(nxt)
        else:
            rest.append(tok)
            positional = True
        i += 1
    return chain, rest


def parse_argv(root: Command, argv: list[str]) -> tuple[list[Command], dict[str, Any], list[str], bool]:
    chain, rest = _find_path(root, argv)
    flags = _all_flags(chain)
    by_long = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    values: dict[str, Any] = {
        f.name: (list(f.default) if isinstance(f.default, list) else f.default) for f in flags
    }
    seen: set[str] = set()
    positional: list[str] = []
    want_help = False
    i = 0
    while i < len(rest):
        tok = rest[i]
        i += 1
        if tok == "--":
            positional.extend(rest[i:])
            break
        if tok in ("-h", "--help"):
            want_help = True
            continue
        if tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            fl = by_long.get(name)
            if fl is None:
                raise CobraError(f"unknown flag: --{name}")
        elif tok.startswith("-") and len(tok) > 1:
            name, eq, value = tok[1], "=" if len(tok) > 2 else "", tok[2:].lstrip("=")
            fl = by_short.get(name)
            if fl is None:
                raise CobraError(f"unknown shorthand flag: '{name}' in {tok}")
        else:
            positional.append(tok)
            continue
        if not eq:
            if fl.kind == "bool":
                value = "true"
            elif i < len(rest):
                value = rest[i]
                i += 1
            else:
                raise CobraError(f"flag needs an argument: {tok}")
        converted = _convert(fl, value)
        if fl.kind == "list":
            values[fl.name] = ([] if fl.name not in seen else values[fl.name]) + [
                v for v in value.split(",") if v
            ]
        elif fl.kind == "array":  # pflag StringArray: one value per occurrence, commas kept
            values[fl.name] = ([] if fl.name not in seen else values[fl.name]) + [value]
        else:
            values[fl.name] = converted
        seen.add(fl.name)
    values["__seen__"] = seen
    return chain, values, positional, want_help


# --------------------------------------------------------------------------------------------
# output (pterm in raw mode: stdout is not a TTY)
# --------------------------------------------------------------------------------------------


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


def _help(chain: list[Command]) -> str:
    cmd = chain[-1]
    path = " ".join(c.name for c in chain)
    lines = [f"Usage:\n  {path}" + (" [command]" if cmd.subs else " [flags]"), ""]
    if cmd.subs:
        lines.append("Available Commands:")
        lines += [f"  {s.name}" for s in cmd.subs]
        lines.append("")
    flags = _all_flags(chain)
    if flags:
        lines.append("Flags:")
        for fl in sorted(flags, key=lambda f: f.name):
            short = f"-{fl.short}, " if fl.short else "    "
            lines.append(f"  {short}--{fl.name}")
    return "\n".join(lines) + "\n"

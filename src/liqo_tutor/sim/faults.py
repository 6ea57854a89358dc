"""Fault injection for the simulated tools: LIQO_TUTOR_SIM_FAULTS rules, matched against each call's argv."""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from liqo_tutor.sim.tools.common import file_lock, read_json, write_json

__all__ = [
    "ENV",
    "FaultSyntaxError",
    "Rule",
    "docker_down",
    "inject",
    "match",
    "parse",
    "words_of",
]

ENV = "LIQO_TUTOR_SIM_FAULTS"
TOOLS = ("kind", "kubectl", "liqoctl", "docker")
MODES = ("fail", "fail-once", "hang", "garbage", "slow", "down")
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class FaultSyntaxError(ValueError):
    """A rule of LIQO_TUTOR_SIM_FAULTS that cannot be parsed; `rule` is its text."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(f"invalid {ENV} rule {rule!r}: {reason}")
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    tool: str
    words: tuple[str, ...]
    mode: str
    seconds: float = 0.0
    text: str = ""


def parse(text: str | None) -> list[Rule]:
    """`TOOL[ WORD...]:MODE[=ARG]`, comma-separated; raises FaultSyntaxError naming the first bad rule."""
    rules: list[Rule] = []
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        head, sep, mode_part = item.rpartition(":")
        if not sep or not head.strip():
            raise FaultSyntaxError(item, "expected TOOL[ WORD...]:MODE")
        words = head.split()
        tool, subwords = words[0], tuple(words[1:])
        if tool not in TOOLS:
            raise FaultSyntaxError(item, f"unknown tool {tool!r} (one of {', '.join(TOOLS)})")
        for w in subwords:
            if not _WORD.match(w):
                raise FaultSyntaxError(item, f"bad word {w!r}")
        mode, eq, arg = mode_part.strip().partition("=")
        if mode not in MODES:
            raise FaultSyntaxError(item, f"unknown mode {mode!r} (one of fail, fail-once, hang, garbage, "
                                         "slow=SECONDS, docker:down)")
        seconds = 0.0
        if mode == "slow":
            try:
                seconds = float(arg)
            except ValueError:
                raise FaultSyntaxError(item, "slow needs a number of seconds, e.g. slow=3") from None
            if seconds < 0:
                raise FaultSyntaxError(item, "slow needs a non-negative number of seconds")
        elif eq:
            raise FaultSyntaxError(item, f"mode {mode!r} takes no argument")
        if mode == "down" and (tool != "docker" or subwords):
            raise FaultSyntaxError(item, "only `docker:down` exists")
        rules.append(Rule(tool, subwords, mode, seconds, item))
    return rules


def words_of(argv: list[str]) -> list[str]:
    """The non-flag words of an argv, up to `--` (a flag's separate value still counts as a word)."""
    words = []
    for a in argv:
        if a == "--":
            break
        if a.startswith("-") and a != "-":
            continue
        words.append(a)
    return words


def _subsequence(want: tuple[str, ...], have: list[str]) -> bool:
    it = iter(have)
    return all(any(w == h for h in it) for w in want)


def match(rules: list[Rule], tool: str, argv: list[str]) -> Rule | None:
    words = words_of(argv)
    for rule in rules:
        if rule.mode != "down" and rule.tool == tool and _subsequence(rule.words, words):
            return rule
    return None


def docker_down(rules: list[Rule] | None = None) -> bool:
    """Whether `docker:down` is active (for simulated docker and kind); bad syntax counts as no."""
    if rules is None:
        try:
            rules = parse(os.environ.get(ENV, ""))
        except FaultSyntaxError:
            return False
    return any(r.tool == "docker" and r.mode == "down" for r in rules)


def _first_time(simdir: Path, rule: Rule) -> bool:
    """Counts matching calls of a fail-once rule in <simdir>/faults.json; True for the first one."""
    path = simdir / "faults.json"
    with file_lock(simdir / "faults.lock"):
        counts = read_json(path, {})
        if not isinstance(counts, dict):
            counts = {}
        seen = int(counts.get(rule.text, 0))
        counts[rule.text] = seen + 1
        write_json(path, counts)
    return seen == 0


def _fail_message(tool: str, argv: list[str], rule: Rule) -> tuple[str, TextIO]:
    """The tool's own error format with a plausible message (and the rule, for whoever debugs it)."""
    why = f"simulated fault ({ENV}={rule.text})"
    words = words_of(argv)
    if tool == "kind":
        what = " ".join(words[:2]) or "run"
        return f"ERROR: failed to {what}: {why}\n", sys.stderr
    if tool == "kubectl":
        return (f'Error from server (InternalError): an error on the server ("{why}") has prevented '
                "the request from succeeding\n"), sys.stderr
    if tool == "liqoctl":
        v0 = os.environ.get("LIQO_TUTOR_SIM_LIQO_VERSION", "").startswith("v0")
        return f"ERRO: {' '.join(words[:1]) or 'command'} failed: {why}\n", (sys.stdout if v0 else sys.stderr)
    return f"Error response from daemon: {why}\n", sys.stderr


def _hang() -> None:
    while True:
        time.sleep(3600)


def inject(tool: str, argv: list[str], rules: list[Rule], simdir: Path) -> int | None:
    """Apply the first matching rule: an exit code when the fault replaces the call, None to run it."""
    rule = match(rules, tool, argv)
    if rule is None:
        return None
    if rule.mode == "slow":
        time.sleep(rule.seconds)
        return None
    if rule.mode == "hang":
        _hang()
    if rule.mode == "garbage":
        sys.stdout.buffer.write(b"\x1f\x8b\x08\x00\xde\xad\xbe\xef\x00\xff{\"kind\":\"Stat\xc3")
        sys.stdout.flush()
        return 0
    if rule.mode == "fail-once" and not _first_time(simdir, rule):
        return None
    text, stream = _fail_message(tool, argv, rule)
    stream.write(text)
    stream.flush()
    return 1

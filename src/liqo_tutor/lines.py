"""Liqo line detection: which family of releases (v0.x, v1.x) the installed liqoctl belongs to."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from liqo_tutor import timeouts
from liqo_tutor.errors import InputError, LiqoTutorError
from liqo_tutor.tutorial import Line, LineDetect

if TYPE_CHECKING:
    from liqo_tutor.shell import ClusterShell
    from liqo_tutor.tutorial import Tutorial

__all__ = [
    "Detected",
    "ServerVerdict",
    "Version",
    "choose_line",
    "detect_client",
    "detect_line",
    "forced_note",
    "in_range",
    "judge_servers",
    "line_of",
    "line_vars",
    "parse_range",
    "parse_version",
    "probe_servers",
    "server_version_from_output",
    "version_from_output",
]

Version = tuple[int, int, int]
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?$")
_BOUND_RE = re.compile(r"^(>=|<=|>|<|==)\s*(v?\d+\.\d+\.\d+)$")


def parse_version(text: str) -> Version:
    """`v1.2.0` / `v0.10.3-rc.1` -> (1, 2, 0); anything else (a git SHA, `unknown`) -> ValueError."""
    m = _VERSION_RE.match(text.strip())
    if not m:
        raise ValueError(f"not a release version: {text!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def parse_range(spec: str) -> list[tuple[str, Version]]:
    """`>=1.0.0,<2.0.0` -> [(">=", (1,0,0)), ("<", (2,0,0))]."""
    bounds: list[tuple[str, Version]] = []
    for part in spec.split(","):
        m = _BOUND_RE.match(part.strip())
        if not m:
            raise ValueError(f"invalid version range {spec!r} (use e.g. >=1.0.0,<2.0.0)")
        bounds.append((m.group(1), parse_version(m.group(2))))
    return bounds


def in_range(version: Version, spec: str) -> bool:
    ops = {
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        "==": lambda a, b: a == b,
    }
    return all(ops[op](version, bound) for op, bound in parse_range(spec))


def version_from_output(detect: LineDetect, stdout: str) -> str | None:
    """The version string the detection command printed (`v1.2.0`), or None if it did not match."""
    m = re.search(detect.pattern, stdout, re.MULTILINE)
    return m.group("version") if m else None


def server_version_from_output(detect: LineDetect, stdout: str) -> str | None:
    """The server version the per-cluster probe printed, or None (no probe, Liqo absent, unreachable)."""
    if not detect.server_pattern:
        return None
    m = re.search(detect.server_pattern, stdout, re.MULTILINE)
    return m.group("version") if m else None


def line_of(lines: Mapping[str, Line], version: str) -> str | None:
    """The name of the line whose range contains `version`; None if none does or it is not a release."""
    try:
        parsed = parse_version(version)
    except ValueError:
        return None
    return next((name for name, line in lines.items() if in_range(parsed, line.range)), None)


@dataclass(frozen=True)
class ServerVerdict:
    """What the per-cluster server versions mean for a run with this client."""

    notes: tuple[str, ...]  # "Liqo v0.10.3 runs in london"
    warnings: tuple[str, ...]  # same line, another version
    error: str | None  # another line (or an unsupported version): the run cannot work
    hint: str | None = None


def judge_servers(
    lines: Mapping[str, Line], *, line: str, version: str, servers: Mapping[str, str]
) -> ServerVerdict:
    """Compare the Liqo found in each cluster (`servers`: cluster -> version) with the chosen line/version.

    Another line is an error: commands, API groups and peering of the two lines are incompatible.
    Another version of the same line is a warning, as liqoctl itself warns.
    """
    notes = tuple(f"Liqo {v} runs in {c}" for c, v in servers.items())
    warnings: list[str] = []
    other: dict[str, list[str]] = {}
    for cluster, found in servers.items():
        found_line = line_of(lines, found)
        if found_line != line:
            other.setdefault(found, []).append(cluster)
        elif found != version:
            warnings.append(
                f"liqoctl {version} differs from the Liqo {found} running in {cluster} (both line {line}); "
                "Liqo supports only matching versions"
            )
    if not other:
        return ServerVerdict(notes, tuple(warnings), None)
    found, clusters = next(iter(other.items()))
    found_line = line_of(lines, found)
    what = f"line {found_line}" if found_line else f"not supported; supported: {_ranges(lines)}"
    return ServerVerdict(
        notes,
        tuple(warnings),
        f"the Liqo running in {', '.join(clusters)} is {found} ({what}), but this run uses line {line} "
        f"(liqoctl {version}): a liqoctl of one line cannot drive Liqo of the other",
        hint=(
            f"use a liqoctl of line {found_line} ({found}) for these clusters, "
            if found_line
            else "use a supported liqoctl, "
        )
        + "or remove them with `liqo-tutor teardown` and run again",
    )


def forced_note(lines: Mapping[str, Line], *, forced: str | None, detected: str | None) -> str | None:
    """A warning when --line chooses another line than the installed liqoctl belongs to."""
    if forced is None or detected is None:
        return None
    actual = line_of(lines, detected)
    if actual is None or actual == forced:
        return None
    return (
        f"--line {forced} overrides liqoctl {detected} (line {actual}): the commands of line {forced} "
        "will fail with this liqoctl"
    )


def _ranges(lines: Mapping[str, Line]) -> str:
    return "; ".join(f"{name}: {line.range}" for name, line in lines.items())


def choose_line(
    lines: Mapping[str, Line], *, detected: str | None, forced: str | None, raw_output: str = ""
) -> tuple[str, str]:
    """(line name, Liqo version to install) from the detected client version and an optional override.

    A forced line wins; the detected version is used for `--version` when it belongs to that line,
    otherwise the line's fallback version. Without an override, an unparsable or unsupported version
    is an InputError naming the supported ranges.
    """
    if forced is not None:
        if forced not in lines:
            raise InputError(
                f"unknown Liqo line {forced!r} (supported: {_ranges(lines)})",
                hint="use one of: " + ", ".join(lines),
            )
        line = lines[forced]
        if detected is not None:
            try:
                if in_range(parse_version(detected), line.range):
                    return forced, detected
            except ValueError:
                pass
        return forced, line.fallback_version
    if detected is None:
        seen = raw_output.strip().splitlines()[0] if raw_output.strip() else "no output"
        raise InputError(
            f"cannot read the liqoctl version (saw: {seen!r}); supported: {_ranges(lines)}",
            hint="install a released liqoctl, or choose the line with --line v0|v1",
        )
    try:
        version = parse_version(detected)
    except ValueError:
        raise InputError(
            f"liqoctl reports {detected!r}, not a release version; supported: {_ranges(lines)}",
            hint="install a released liqoctl, or choose the line with --line v0|v1",
        ) from None
    for name, line in lines.items():
        if in_range(version, line.range):
            return name, detected
    needs = " or ".join(f"Liqo {name}" for name in lines)
    raise InputError(
        f"liqoctl {detected} is not supported: this tutorial needs {needs} (supported: {_ranges(lines)})",
        hint="install a liqoctl release in a supported range; `liqo-tutor list` shows the Liqo lines of "
        "each tutorial",
    )


def line_vars(line: Line, version: str) -> dict[str, str]:
    """The line's variables with the overrides whose range contains `version` applied in order."""
    out = dict(line.vars)
    try:
        parsed = parse_version(version)
    except ValueError:
        return out
    for o in line.overrides:
        if in_range(parsed, o.range):
            out.update(o.vars)
    return out


# ---------------------------------------------------------------------------------------------
# Asking the tools (through the shell): the client's version, the Liqo each cluster runs


@dataclass(frozen=True)
class Detected:
    """The line and Liqo version a run uses, and the liqoctl version read (None: not read)."""

    line: str
    version: str
    client: str | None


def detect_client(tut: Tutorial, shell: ClusterShell) -> tuple[str | None, str]:
    """(version the YAML's detection command printed or None, its raw stdout). Raises on failure."""
    result = shell.run(shlex.split(tut.detect.command), timeout=shell.scaled(timeouts.QUICK))
    return version_from_output(tut.detect, result.stdout), result.stdout


def detect_line(
    tut: Tutorial, shell: ClusterShell, *, forced: str | None, recorded: str | None, strict: bool
) -> Detected:
    """The line for a run. `strict`: an unreadable or unsupported client is an InputError unless
    --line (`forced`) chooses. Otherwise it never fails: the detected line, else --line, the line
    recorded in the workdir, the tutorial's default."""
    if strict:
        detected, raw = detect_client(tut, shell)
        line, version = choose_line(tut.lines, detected=detected, forced=forced, raw_output=raw)
        return Detected(line, version, detected)
    detected, raw = None, ""
    try:
        detected, raw = detect_client(tut, shell)
    except LiqoTutorError:
        pass
    choice = forced or (recorded if detected is None else None)
    if choice is None and detected is None:
        choice = tut.detect.default
    try:
        line, version = choose_line(tut.lines, detected=detected, forced=choice, raw_output=raw)
    except InputError:
        fallback = recorded if recorded in tut.lines else tut.detect.default
        line, version = choose_line(tut.lines, detected=None, forced=forced or fallback)
    return Detected(line, version, detected)


def probe_servers(tut: Tutorial, shell: ClusterShell, *, line: str, version: str) -> ServerVerdict:
    """The Liqo version each existing cluster runs (the YAML's server probe), judged against the run's
    line. Clusters without Liqo, unreachable or not yet created are simply not reported."""
    detect = tut.detect
    servers: dict[str, str] = {}
    if detect.server_command:
        for name, target in shell.clusters.items():
            if not target.kubeconfig.exists():
                continue
            try:
                res = shell.run(
                    shlex.split(detect.server_command),
                    cluster=name,
                    timeout=shell.scaled(timeouts.QUICK),
                    ok_codes=range(256),
                )
            except LiqoTutorError:
                continue
            found = server_version_from_output(detect, res.stdout)
            if found:
                servers[name] = found
    return judge_servers(tut.lines, line=line, version=version, servers=servers)

"""Liqo line detection: which family of releases (v0.x, v1.x) the installed liqoctl belongs to."""

from __future__ import annotations

import re
from collections.abc import Mapping

from liqo_tutor.errors import InputError
from liqo_tutor.tutorial import Line, LineDetect

__all__ = [
    "Version",
    "choose_line",
    "in_range",
    "line_vars",
    "parse_range",
    "parse_version",
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
    raise InputError(
        f"liqoctl {detected} is not supported (supported: {_ranges(lines)})",
        hint="install a supported liqoctl release",
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

"""generated-command patterns: `liqoctl peer out-of-band {name:dns-label} --auth-url {url:https-url}`.

A pattern declares the exact shape of a command printed by another command; a generated line is
accepted only if it has that shape word for word, and every placeholder's value has its type.
"""

from __future__ import annotations

import os
import re
import shlex

from liqo_tutor.errors import LiqoTutorError

__all__ = [
    "FIND_SECRET",
    "PATTERN_TYPES",
    "SHELL_META",
    "TYPE_PATTERNS",
    "GeneratedCommandError",
    "match_generated",
    "parse_pattern",
]

SHELL_META = set(";&|$`<>(){}\\\n")
PATTERN_TYPES = ("dns-label", "https-url", "uuid", "hex128", "word")
TYPE_PATTERNS: dict[str, re.Pattern[str]] = {
    "dns-label": re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$"),
    "https-url": re.compile(r"^https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/-]*)?$"),
    "uuid": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    "hex128": re.compile(r"^[0-9a-f]{128}$"),
    "word": re.compile(r"^[A-Za-z0-9._-]+$"),
}
# Secrets of these types are found (and registered for redaction) anywhere in a generator's output.
FIND_SECRET = {"hex128": re.compile(r"[0-9a-fA-F]{128}")}
_PLACEHOLDER_RE = re.compile(r"^\{([a-z][a-z0-9_]*):([a-z0-9-]+)(?::(secret))?\}$")


class GeneratedCommandError(LiqoTutorError):
    """A generated command that is not exactly the declared shape."""


def parse_pattern(pattern: str) -> list[tuple[str, str | None, bool]]:
    """A generated-command pattern -> [(literal, None, False) | (name, type, secret)]."""
    out: list[tuple[str, str | None, bool]] = []
    try:
        words = shlex.split(pattern)
    except ValueError as exc:
        raise ValueError(f"cannot split the pattern: {exc}") from None
    if not words:
        raise ValueError("empty pattern")
    for word in words:
        if word.startswith("{"):
            m = _PLACEHOLDER_RE.match(word)
            if not m:
                raise ValueError(f"bad placeholder {word!r} (use {{name:type}} or {{name:type:secret}})")
            if m.group(2) not in PATTERN_TYPES:
                raise ValueError(
                    f"unknown placeholder type {m.group(2)!r} (known: {', '.join(PATTERN_TYPES)})"
                )
            out.append((m.group(1), m.group(2), bool(m.group(3))))
        else:
            out.append((word, None, False))
    if out[0][1] is not None:
        raise ValueError("the pattern must start with the program name")
    return out


def pattern_shape(pattern: str) -> str:
    """`liqoctl peer out-of-band <name> --auth-url <url>`: the pattern as shown to a person."""
    return " ".join(w if t is None else f"<{w}>" for w, t, _ in parse_pattern(pattern))


def match_generated(line: str, pattern: str) -> tuple[list[str], dict[str, str]]:
    """Validate a generated command line against `pattern` -> (argv, {placeholder: value}).

    Refuses shell syntax, extra or missing words, another program or subcommand, and values that do
    not have their declared type. Messages never quote values of secret placeholders.
    """
    bad = sorted({c for c in line if c in SHELL_META})
    if bad:
        raise GeneratedCommandError(
            f"refusing the generated command: it contains shell syntax {''.join(bad)!r}"
        )
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise GeneratedCommandError(f"refusing the generated command: cannot split it ({exc})") from None
    spec = parse_pattern(pattern)
    shape = pattern_shape(pattern)
    if len(words) != len(spec):
        raise GeneratedCommandError(
            f"refusing the generated command: {len(words)} words where `{shape}` has {len(spec)}"
        )
    values: dict[str, str] = {}
    for i, (word, (lit, typ, secret)) in enumerate(zip(words, spec, strict=True)):
        if typ is None:
            ok = word == lit or (i == 0 and "/" in word and os.path.basename(word) == lit)
            if not ok:
                raise GeneratedCommandError(
                    f"refusing the generated command: word {i + 1} is {word!r}, expected {lit!r} (`{shape}`)"
                )
            continue
        if not TYPE_PATTERNS[typ].match(word):
            shown = "the value" if secret else repr(word)
            raise GeneratedCommandError(
                f"refusing the generated command: {shown} for <{lit}> is not a valid {typ}"
            )
        values[lit] = word
    argv = [spec[0][0]] + words[1:]
    return argv, values

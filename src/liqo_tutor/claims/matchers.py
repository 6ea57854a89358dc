"""Text matchers shared by claims: contains / not_contains / regex / equals / whole lines, and
table column matchers (exact, or one of contains / regex / in / not).

Variables inside a regular expression are substituted with escaped values: a pod IP's dots must
not match any character.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pydantic import Field, model_validator

from liqo_tutor.kinds import YamlModel
from liqo_tutor.tutorial import VAR_RE

__all__ = [
    "ColumnMatcher",
    "as_list",
    "column_ok",
    "column_problem",
    "describe_column",
    "regex_text",
    "text_failures",
]

Expand = Callable[[str], str]


def as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def regex_text(pattern: str, expand: Expand) -> str:
    """`pattern` with each `{var}` replaced by its escaped value."""
    return VAR_RE.sub(lambda m: re.escape(expand(m.group(0))), pattern)


def text_failures(
    text: str,
    expand: Expand,
    *,
    contains: Sequence[str] = (),
    not_contains: Sequence[str] = (),
    regex: Sequence[str] = (),
    equals: str | None = None,
    lines: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """(what was expected, what did not hold) for `text`; every matcher must hold."""
    wants: list[str] = []
    bad: list[str] = []
    if equals is not None:
        want = expand(equals).strip()
        wants.append(f"text {want!r}")
        if text.strip() != want:
            bad.append(wants[-1])
    for item in contains:
        want = expand(item)
        wants.append(f"containing {want!r}")
        if want not in text:
            bad.append(wants[-1])
    for item in not_contains:
        want = expand(item)
        wants.append(f"not containing {want!r}")
        if want in text:
            bad.append(wants[-1])
    for item in regex:
        rx = regex_text(item, expand)
        wants.append(f"matching {rx!r}")
        if not re.search(rx, text, re.MULTILINE):
            bad.append(wants[-1])
    stripped = [line.strip() for line in text.splitlines()]
    for item in lines:
        want = expand(item).strip()
        wants.append(f"a line {want!r}")
        if want not in stripped:
            bad.append(wants[-1])
    return wants, bad


class ColumnMatcher(YamlModel):
    """A table cell: exactly one of contains (all), regex, in (one of), not (anything but)."""

    contains: str | list[str] | None = None
    regex: str | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    not_: str | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one(self) -> ColumnMatcher:
        given = [k for k in ("contains", "regex", "in_", "not_") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of contains, regex, in, not")
        return self


def describe_column(column: str, want: str | ColumnMatcher, expand: Expand) -> str:
    if isinstance(want, str):
        return f"{column} {expand(want)}"
    if want.contains is not None:
        return f"{column} containing " + " and ".join(repr(expand(c)) for c in as_list(want.contains))
    if want.regex is not None:
        return f"{column} matching {regex_text(want.regex, expand)!r}"
    if want.in_ is not None:
        return f"{column} one of {', '.join(expand(v) for v in want.in_)}"
    return f"{column} not {expand(want.not_ or '')}"


def column_ok(value: str | None, want: str | ColumnMatcher, expand: Expand) -> bool:
    if value is None:
        return False
    if isinstance(want, str):
        return value == expand(want)
    if want.contains is not None:
        return all(expand(c) in value for c in as_list(want.contains))
    if want.regex is not None:
        return re.search(regex_text(want.regex, expand), value) is not None
    if want.in_ is not None:
        return value in [expand(v) for v in want.in_]
    return value != expand(want.not_ or "")


def column_problem(column: str, value: str | None, want: str | ColumnMatcher, expand: Expand) -> str | None:
    """None when the cell matches, else what is wrong with it (for `contains`: what it lacks)."""
    if column_ok(value, want, expand):
        return None
    if value is None:
        return f"{column} <no such column>"
    if isinstance(want, ColumnMatcher) and want.contains is not None:
        missing = [expand(c) for c in as_list(want.contains) if expand(c) not in value]
        return f"{column} lacks " + ", ".join(repr(m) for m in missing)
    return f"{column} {value}"

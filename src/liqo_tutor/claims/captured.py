"""Claims computed from saved outputs (`save:`): evaluated once, after the step's actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liqo_tutor.claims.base import Outcome
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context

__all__ = ["capture_keys", "read_captures", "validate_captures"]


def capture_keys(names: list[str], cluster: str | None) -> list[str]:
    """`name` -> `name@cluster` in a cluster context; `name@other` stays."""
    return [n if "@" in n or cluster is None else f"{n}@{cluster}" for n in names]


def validate_captures(refs: Refs, names: list[str], scope: Scope, key: str, indexed: bool) -> None:
    for j, name in enumerate(names):
        refs.capture(name, scope.at(key, j) if indexed else scope.at(key))


def read_captures(
    ctx: Context, names: list[str], cluster: str | None
) -> tuple[list[str], list[str]] | Outcome:
    """(keys, values), or a final failed Outcome naming what was never captured."""
    keys = capture_keys(names, cluster)
    values = [ctx.captured(k) for k in keys]
    absent = [k for k, v in zip(keys, values, strict=True) if v is None]
    if absent and all(ctx.not_produced(k) for k in absent):
        return Outcome(
            True,
            "captured output",
            f"not run: {', '.join(absent)} was not produced",
            final=True,
            skipped=True,
        )
    if absent:
        return Outcome(
            False,
            "captured output",
            f"nothing captured as {', '.join(absent)} (the step's actions did not run)",
            final=True,
        )
    return keys, [v or "" for v in values]

"""The claim protocol: one YAML check kind = one module with a model, validation and evaluation.

A claim module defines a subclass of `Claim` and registers it (claims/registry.py). A claim that
`queries_cluster` runs a command and is polled until it holds (the engine asks those together); the
others are computed from saved outputs, once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from pydantic import Field

from liqo_tutor.kinds import Duration, Refs, Scope, YamlModel

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["CheckModel", "Claim", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    expected: str
    seen: str
    final: bool = False  # no point in retrying (a definitive error)
    rerun: str | None = None  # the last command, for the failure message
    skipped: bool = False  # not applicable (what it judges was not produced): reported as skipped


class CheckModel(YamlModel):
    """The keys every check has, whatever its kind."""

    claim: str
    cluster: str | None = None
    each: bool = False
    lines: list[str] = Field(default_factory=list)
    timeout: Duration = 60.0
    interval: Duration = 0.2
    hint: str | None = None


M = TypeVar("M", bound=CheckModel)


class Claim(ABC, Generic[M]):
    """One check kind. `name` is its YAML key; `model` its pydantic model (common keys included)."""

    name: ClassVar[str]
    model: type[M]
    queries_cluster: ClassVar[bool] = False  # runs a command (polled; asked together with others)

    def spec(self, check: Check) -> M:
        spec = check.spec
        if not isinstance(spec, self.model):
            raise TypeError(f"{self.name}: got a {type(spec).__name__}")
        return spec

    @abstractmethod
    def validate(self, spec: M, refs: Refs, scope: Scope) -> None:
        """Cross-references of this kind (variables, captures, regular expressions)."""

    def saves(self, spec: M) -> list[str]:
        return []

    def describe(self, ctx: Context, check: Check, cluster: str | None) -> str:
        """The claim as `show`/`--dry-run` print it (`(for 20s)` when it must keep holding)."""
        text = ctx.text(check.claim, cluster, extra={"timeout": ""})
        hold = getattr(check.spec, "hold", None)
        return f"{text} (for {hold:g}s)" if hold else text

    @abstractmethod
    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        """Whether the claim holds (`quick`: one try, no polling)."""

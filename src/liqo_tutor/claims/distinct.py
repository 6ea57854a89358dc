"""`distinct: [a@x, a@y]`: saved values are pairwise different (each cluster has its own address)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.captured import read_captures, validate_captures
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["DistinctClaim", "DistinctModel"]


class DistinctModel(CheckModel):
    distinct: list[str] = Field(min_length=2)


class DistinctClaim(Claim[DistinctModel]):
    name = "distinct"
    model = DistinctModel

    def validate(self, spec: DistinctModel, refs: Refs, scope: Scope) -> None:
        validate_captures(refs, spec.distinct, scope, self.name, indexed=True)

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        got = read_captures(ctx, self.spec(check).distinct, cluster)
        if isinstance(got, Outcome):
            return got
        keys, texts = got
        pairs = ", ".join(f"{n}={v}" for n, v in zip(keys, texts, strict=True))
        return Outcome(len(set(texts)) == len(texts), "different values", pairs, final=True)


register(DistinctClaim())

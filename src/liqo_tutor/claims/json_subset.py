"""`json-subset: [a, b]`: two saved JSON lists are consistent with one backend (the shorter's items
are all in the longer one)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import Field

from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.captured import read_captures, validate_captures
from liqo_tutor.claims.json_list import json_list
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["JsonSubsetClaim", "JsonSubsetModel", "json_subset"]


class JsonSubsetModel(CheckModel):
    json_subset: list[str] = Field(alias="json-subset", min_length=2, max_length=2)


def json_subset(a: list[Any], b: list[Any]) -> tuple[bool, str]:
    """Consistent with one backend: every item of the shorter list is in the longer one."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    keys = {json.dumps(item, sort_keys=True) for item in large}
    missing = [item for item in small if json.dumps(item, sort_keys=True) not in keys]
    if missing:
        return False, f"{len(missing)} of {len(small)} items of the shorter list are not in the longer one"
    return True, f"{len(small)} items of the shorter list all in the longer one ({len(large)} items)"


class JsonSubsetClaim(Claim[JsonSubsetModel]):
    name = "json-subset"
    model = JsonSubsetModel

    def validate(self, spec: JsonSubsetModel, refs: Refs, scope: Scope) -> None:
        validate_captures(refs, spec.json_subset, scope, self.name, indexed=True)

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        got = read_captures(ctx, self.spec(check).json_subset, cluster)
        if isinstance(got, Outcome):
            return got
        try:
            a, b = json_list(got[1][0]), json_list(got[1][1])
        except ValueError as exc:
            return Outcome(False, "two JSON lists", str(exc), final=True)
        ok, detail = json_subset(a, b)
        return Outcome(ok, "the shorter list's items all in the longer one", detail, final=True)


register(JsonSubsetClaim())

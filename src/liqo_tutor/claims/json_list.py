"""`json-list:` a saved output is a JSON list (possibly empty)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import Field

from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.captured import read_captures, validate_captures
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["JsonListClaim", "JsonListModel", "json_list"]


class JsonListModel(CheckModel):
    json_list: str = Field(alias="json-list")


def json_list(text: str) -> list[Any]:
    """The text parsed as a JSON list (possibly empty); ValueError otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = " ".join(text.split())[:80]
        raise ValueError(f"not JSON ({exc.msg} at char {exc.pos}): {snippet!r}") from None
    if not isinstance(value, list):
        raise ValueError(f"JSON {type(value).__name__}, not a list")
    return value


class JsonListClaim(Claim[JsonListModel]):
    name = "json-list"
    model = JsonListModel

    def validate(self, spec: JsonListModel, refs: Refs, scope: Scope) -> None:
        validate_captures(refs, [spec.json_list], scope, self.name, indexed=False)

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        got = read_captures(ctx, [self.spec(check).json_list], cluster)
        if isinstance(got, Outcome):
            return got
        try:
            items = json_list(got[1][0])
        except ValueError as exc:
            return Outcome(False, "a JSON list", str(exc), final=True)
        return Outcome(True, "a JSON list", f"a JSON list of {len(items)} items")


register(JsonListClaim())

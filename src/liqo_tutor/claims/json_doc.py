"""`json:` assertions by path on a saved JSON (or YAML) output, evaluated once (claims/jsonpath.py).

```yaml
- claim: naples is selected, florence is not
  json: offloading@venice
  assert:
    - {path: [status, remoteNamespacesConditions, naples, {type: Ready}, reason], equals: NamespaceCreated}
```
On a command, the same assertions are `stdout_json:` (polled).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.captured import read_captures, validate_captures
from liqo_tutor.claims.jsonpath import JsonAssert, check_asserts
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["JsonClaim", "JsonModel"]


class JsonModel(CheckModel):
    json_: str = Field(alias="json")
    assert_: list[JsonAssert] = Field(alias="assert", min_length=1)


class JsonClaim(Claim[JsonModel]):
    name = "json"
    model = JsonModel

    def validate(self, spec: JsonModel, refs: Refs, scope: Scope) -> None:
        for j, a in enumerate(spec.assert_):
            for k, item in enumerate(a.path):
                if isinstance(item, str):
                    refs.variables(item, scope.at("assert", j, "path", k))
            for value in (a.equals, a.contains, a.in_):
                for text in [value] if isinstance(value, str) else value if isinstance(value, list) else []:
                    refs.variables(text, scope.at("assert", j))
            if a.regex is not None:
                refs.regex(a.regex, scope.loc + ("assert", j, "regex"))
        validate_captures(refs, [spec.json_], scope, self.name, indexed=False)

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        spec = self.spec(check)
        got = read_captures(ctx, [spec.json_], cluster)
        if isinstance(got, Outcome):
            return got
        expected, seen = check_asserts(got[1][0], spec.assert_, lambda s: ctx.text(s, cluster))
        return Outcome(seen is None, expected, seen or "all hold", final=True)


register(JsonClaim())

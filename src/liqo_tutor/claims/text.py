"""`text:` the text of a saved output: contains / not_contains / regex / equals / lines (all must hold).

```yaml
- claim: the remote pod answers with the nginx page
  text: remote_page@rome          # or `text: remote_page` + cluster:/each:
  contains: Welcome to nginx!     # str or list; also not_contains, regex, equals, line
```
Evaluated once: a saved output does not change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liqo_tutor import secrets
from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.captured import read_captures, validate_captures
from liqo_tutor.claims.matchers import as_list, text_failures
from liqo_tutor.claims.registry import register
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Check

__all__ = ["TextClaim", "TextModel"]

_MATCHERS = ("contains", "not_contains", "regex", "equals", "line")
_SHOWN_LINES = 20


class TextModel(CheckModel):
    text: str
    contains: str | list[str] | None = None
    not_contains: str | list[str] | None = None
    regex: str | list[str] | None = None
    equals: str | None = None
    line: str | list[str] | None = None  # each a whole line (`lines:` names Liqo lines)


class TextClaim(Claim[TextModel]):
    name = "text"
    model = TextModel

    def validate(self, spec: TextModel, refs: Refs, scope: Scope) -> None:
        if all(getattr(spec, k) is None for k in _MATCHERS):
            raise refs.error(scope.loc, f"a text check needs one of {', '.join(_MATCHERS)}")
        for key in _MATCHERS:
            value = getattr(spec, key)
            for j, item in enumerate(as_list(value)):
                here = scope.at(key) if isinstance(value, str) else scope.at(key, j)
                refs.variables(item, here)
                if key == "regex":
                    refs.regex(item, here.loc)
        validate_captures(refs, [spec.text], scope, self.name, indexed=False)

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        spec = self.spec(check)
        got = read_captures(ctx, [spec.text], cluster)
        if isinstance(got, Outcome):
            return got
        text = got[1][0]
        wants, bad = text_failures(
            text,
            lambda s: ctx.text(s, cluster),
            contains=as_list(spec.contains),
            not_contains=as_list(spec.not_contains),
            regex=as_list(spec.regex),
            equals=spec.equals,
            lines=as_list(spec.line),
        )
        expected = f"{got[0][0]} " + ", ".join(wants)
        if not bad:
            first = text.strip().splitlines()
            return Outcome(True, expected, first[0][:200] if first else "empty text", final=True)
        shown = "\n".join(secrets.redact(text).strip().splitlines()[:_SHOWN_LINES])
        return Outcome(False, expected, f"not {bad[0]}: {shown!r}", final=True)


register(TextClaim())

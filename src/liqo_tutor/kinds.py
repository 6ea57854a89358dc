"""What verbs (actions) and claims (checks) share: the YAML model base, and what the loader offers them.

A kind validates its own YAML with its pydantic model; cross-references (variables, clusters, lines,
manifests, captures) are checked through `Refs`, which the loader implements, so that every error
reads `FILE:LINE: breadcrumb: problem`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from liqo_tutor.durations import parse_duration
from liqo_tutor.errors import TutorialError

__all__ = ["CAPTURE_NAME_RE", "Duration", "Loc", "Refs", "Scope", "YamlModel", "duration"]

Loc = tuple[str | int, ...]
CAPTURE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def duration(value: Any) -> float:
    return parse_duration(value)


# A duration in the YAML: `30s`, `5m`, `1m30s`, `2h` or a number of seconds.
Duration = Annotated[
    float,
    BeforeValidator(duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?$"},
            ]
        }
    ),
]


class YamlModel(BaseModel):
    """One YAML mapping: unknown keys are errors; keys with dashes are aliases (`run-pod`)."""

    # defer_build: a model's validator is built when first used, not when its module is imported.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True, frozen=True)


@dataclass(frozen=True)
class Scope:
    """Where an item sits: its location, its cluster context (`*` = each cluster) and its lines."""

    loc: Loc
    cluster: str | None
    lines: Sequence[str] | None

    def at(self, *keys: str | int) -> Scope:
        return replace(self, loc=self.loc + keys)


class Refs(Protocol):
    """Cross-reference checks the loader offers to kinds; each raises a `FILE:LINE:` TutorialError."""

    def error(self, loc: Loc, problem: str) -> TutorialError: ...

    def cluster(self, name: str | None, loc: Loc) -> None: ...

    def variables(self, text: str, scope: Scope, extra: frozenset[str] = frozenset()) -> None: ...

    def split(self, text: str, loc: Loc) -> list[str]: ...

    def regex(self, pattern: str, loc: Loc) -> None: ...

    def manifests_in(self, text: str, scope: Scope) -> None: ...

    def save(self, name: str, loc: Loc) -> None: ...

    def capture(self, name: str, scope: Scope) -> None: ...

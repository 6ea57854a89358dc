"""The JSON schema of a tutorial file for editors, generated from the same pydantic models the loader
validates with (the top level, and every registered action and check kind).

`python -m liqo_tutor.schema` prints it; `--write` updates data/schemas/tutorial.schema.json (a test
keeps the shipped file equal to the generated one).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from liqo_tutor import claims, verbs
from liqo_tutor.loader_models import StepModel, TopModel

__all__ = ["SCHEMA_FILE", "tutorial_schema"]

SCHEMA_FILE = Path(__file__).parent / "data" / "schemas" / "tutorial.schema.json"
_REF = "#/$defs/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def tutorial_schema() -> dict[str, Any]:
    """The schema: TopModel at the root; a step's actions and checks are one of the registered kinds."""
    action_models = [verbs.get(n).model for n in verbs.names()]
    check_models = [claims.get(n).model for n in claims.names()]
    everything: list[type[BaseModel]] = [TopModel, StepModel, *action_models, *check_models]
    _, top = models_json_schema([(m, "validation") for m in everything], ref_template=_REF)
    defs: dict[str, Any] = top["$defs"]
    one_action = {"oneOf": [_ref(m) for m in action_models]}
    one_check = {"oneOf": [_ref(m) for m in check_models]}
    defs["StepModel"]["properties"]["actions"]["items"] = one_action
    defs["StepModel"]["properties"]["checks"]["items"] = one_check
    for model in action_models:
        for key in ("guards", "unless", "before"):
            defs[model.__name__]["properties"][key]["items"] = one_check
    root = dict(defs.pop("TopModel"))
    root["properties"]["steps"]["items"] = _ref(StepModel)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "liqo-tutor tutorial",
        **{k: v for k, v in root.items() if k != "title"},
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(tutorial_schema(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--write"]:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

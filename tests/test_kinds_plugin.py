"""Adding a kind is one module: a verb and a claim defined HERE (a test module) are registered, and
the loader, the engine-facing protocol and the editor schema pick them up without any other change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kind_helpers import context, load, step, step_yaml, write_tutorial
from liqo_tutor import claims, schema, verbs
from liqo_tutor.claims import CheckModel, Claim, Outcome
from liqo_tutor.context import Context
from liqo_tutor.errors import TutorialError
from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.results import Status
from liqo_tutor.tutorial import Action, Check
from liqo_tutor.verbs import ActionModel, Verb


class TouchModel(ActionModel):
    touch: str  # a file name in the workdir


class TouchVerb(Verb[TouchModel]):
    """`touch: NAME`: creates a file in the workdir (no command at all)."""

    name = "touch"
    model = TouchModel

    def command(self, spec: TouchModel) -> str:
        return f"touch {spec.touch}"

    def validate(self, spec: TouchModel, refs: Refs, scope: Scope) -> None:
        if "/" in spec.touch:
            raise refs.error(scope.loc + ("touch",), "a plain file name, please")

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        (ctx.workdir / ctx.text(self.spec(action).touch, cluster)).write_text("touched")


class ExistsModel(CheckModel):
    exists: str


class ExistsClaim(Claim[ExistsModel]):
    """`exists: NAME`: a file of the workdir exists."""

    name = "exists"
    model = ExistsModel

    def validate(self, spec: ExistsModel, refs: Refs, scope: Scope) -> None:
        refs.variables(spec.exists, scope.at("exists"))

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        name = ctx.text(self.spec(check).exists, cluster)
        ok = (ctx.workdir / name).is_file()
        return Outcome(ok, f"a file {name}", "there" if ok else "no such file", final=True)


@pytest.fixture
def plugged() -> Iterator[None]:
    verbs.register(TouchVerb())
    claims.register(ExistsClaim())
    yield
    verbs.unregister("touch")
    claims.unregister("exists")


STEPS = step_yaml(
    actions="- touch: '{namespace}.txt'\n",
    checks="- claim: the file is there\n  exists: '{namespace}.txt'\n- claim: another is not\n  exists: other.txt\n",
)


def test_a_kind_from_a_test_module_loads_runs_and_verifies(tmp_path: Path, plugged: None) -> None:
    tut = load(write_tutorial(tmp_path, STEPS))
    [action] = step(tut).actions
    assert action.kind == "touch" and isinstance(action.spec, TouchModel)
    ctx = context(tut, tmp_path / "work")
    [planned] = verbs.get(action.kind).plan(ctx, action, None)
    assert planned.display == "touch demo.txt"
    verbs.get(action.kind).run(ctx, action, None)
    results = [claims.run_check(ctx, c, None) for c in step(tut).checks]
    assert [r.status for r in results] == [Status.PASSED, Status.FAILED]
    assert results[1].message == "another is not: expected a file other.txt, saw no such file"


def test_its_errors_and_its_schema_come_with_it(tmp_path: Path, plugged: None) -> None:
    path = write_tutorial(tmp_path, step_yaml(actions="- touch: a/b\n"))
    with pytest.raises(TutorialError, match=r"kinds.yaml:\d+: steps\[s\]\.actions\[0\]\.touch: a plain file name"):
        load(path)
    path = write_tutorial(tmp_path, step_yaml(actions="- touch: x\n  colour: red\n"))
    with pytest.raises(TutorialError, match=r"actions\[0\]\.colour: unknown field"):
        load(path)
    generated = schema.tutorial_schema()
    assert "TouchModel" in generated["$defs"] and "ExistsModel" in generated["$defs"]


def test_without_the_module_the_kind_is_unknown(tmp_path: Path) -> None:
    path = write_tutorial(tmp_path, STEPS)
    with pytest.raises(TutorialError, match=r"actions\[0\]\.touch: unknown action kind `touch` \(known: run, "):
        load(path)

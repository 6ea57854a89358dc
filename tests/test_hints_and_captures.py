"""A YAML `hint:` is text like a claim: its variables are checked when the file loads (file:line) and
filled in when it is shown (claims/runner.py, engine/act.py, engine/steps.py). A teardown claim on a
value no step saved is skipped, not failed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from kind_helpers import check, context, load, step, step_yaml, write_tutorial
from liqo_tutor.engine.act import action
from liqo_tutor.errors import CaptureMissing, LiqoTutorError, TutorialError
from liqo_tutor.results import Status
from liqo_tutor.state import State
from liqo_tutor.tools import runner


def test_a_hint_with_an_unknown_variable_is_refused_at_its_line(tmp_path: Path) -> None:
    checks = "- claim: c\n  command: printf x\n  cluster: alpha\n  hint: look at {nowhere}\n"
    path = write_tutorial(tmp_path / "t", step_yaml(checks=checks))
    with pytest.raises(TutorialError) as info:
        load(path)
    text = str(info.value)
    assert "nowhere" in text and "hint" in text
    line = next(i for i, text_line in enumerate(path.read_text().splitlines(), 1) if "{nowhere}" in text_line)
    assert f"kinds.yaml:{line}" in text, text


def test_hints_of_a_claim_and_an_action_show_their_values(tmp_path: Path) -> None:
    checks = "- claim: c\n  command: 'false'\n  cluster: alpha\n  timeout: 1s\n  hint: look at {namespace} on {cluster}\n"
    actions = "- run: 'false'\n  cluster: beta\n  hint: rerun it in {namespace} on {cluster}\n"
    tut = load(write_tutorial(tmp_path / "t", step_yaml(actions=actions, checks=checks)))
    ctx = context(tut, tmp_path / "wd")
    try:
        res = check(ctx, step(tut).checks[0], "alpha", quick=True)
        assert res.hint == "look at demo on alpha"
        session = SimpleNamespace(tut=tut, fresh=set(), state=State.load(tmp_path / "wd"), before=[])
        with pytest.raises(LiqoTutorError) as info:
            action(session, ctx, step(tut).actions[0], "beta")  # type: ignore[arg-type]
        assert info.value.hint == "rerun it in demo on beta"
    finally:
        runner.reset()


STEPS_WITH_TEARDOWN = """\
- id: s
  title: T
  explain: E.
  actions: []
  checks:
    - claim: the name is saved
      command: printf twin
      cluster: alpha
      save: {stdout: twin}
- id: t
  title: Undo
  explain: E.
  teardown: true
  actions: []
  checks:
    - claim: the namespace {twin} is gone
      command: printf '%s' {twin}
      cluster: alpha
      stdout: ""
"""


def test_a_teardown_claim_on_a_value_never_saved_is_skipped_elsewhere_it_fails(tmp_path: Path) -> None:
    """A teardown works from any partial state (claims/runner.py): a run that stopped before saving the
    value set up nothing that claim could verify; outside a teardown the missing value is an error."""
    tut = load(write_tutorial(tmp_path / "t", STEPS_WITH_TEARDOWN))
    ctx = context(tut, tmp_path / "wd")
    try:
        ctx.begin_step("t")
        res = check(ctx, step(tut, "t").checks[0], "alpha", quick=True)
        assert res.status is Status.SKIPPED and "twin" in res.seen and "never saved" in res.seen
        ctx.begin_step("s")
        with pytest.raises(CaptureMissing):
            check(ctx, step(tut, "t").checks[0], "alpha", quick=True)
    finally:
        runner.reset()

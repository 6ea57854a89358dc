"""A check that reads what another check of the same step saves runs after it (engine/parallel.py):
the loader records which captures each check reads, through variables too (loader_refs.py), and the
engine starts a new batch of concurrent checks there instead of asking both at once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from kind_helpers import HEAD, context, load, step, step_yaml, write_tutorial
from liqo_tutor.engine import parallel
from liqo_tutor.results import Status
from liqo_tutor.tools import runner

CHECKS = """\
- claim: the greeting is saved (slowly)
  command: sh -c 'sleep 0.5; printf hello'
  cluster: alpha
  save: {stdout: greeting}
- claim: an unrelated check runs beside it
  command: printf x
  cluster: beta
  stdout: x
- claim: the saved greeting is read back through a variable
  command: printf '%s' {echoed}
  cluster: alpha
  stdout: hello
"""

HEAD_WITH_VAR = HEAD.replace(
    "vars:\n  namespace: demo\n", "vars:\n  namespace: demo\n  echoed: '{greeting@alpha}'\n"
)


def test_a_check_reading_a_capture_of_its_step_waits_for_the_one_saving_it(tmp_path: Path) -> None:
    assert HEAD_WITH_VAR != HEAD
    tut = load(write_tutorial(tmp_path / "t", step_yaml(checks=CHECKS), head=HEAD_WITH_VAR))
    saving, unrelated, reading = step(tut).checks
    assert reading.uses == {"greeting"} and saving.saves == {"greeting"}
    assert not unrelated.uses and not unrelated.saves
    ctx = context(tut, tmp_path / "wd")
    session = SimpleNamespace(tut=tut, early={}, opts=SimpleNamespace(sequential=False), undone_on=set())
    try:
        ctx.begin_step("s")
        results = list(parallel.checks(session, ctx, step(tut)))  # type: ignore[arg-type]
    finally:
        runner.reset()
    assert [r.status for r in results] == [Status.PASSED] * 3, [(r.claim, r.seen) for r in results]

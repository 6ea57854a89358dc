"""The one-liner shown for a run-pod (verbs/run_pod.py): `--command` where the doc types it
(`command: true`, or with `stdin:`), not otherwise; the pod itself is always created with it
(tools/kubectl.py run_pod_create)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kind_helpers import context, load, step, step_yaml, write_tutorial
from liqo_tutor import verbs
from liqo_tutor.tools import kubectl


@pytest.mark.parametrize(
    ("extra", "flagged"),
    [("", False), ("  command: true\n", True), ("  stdin: SELECT 1;\n", True)],
)
def test_command_flag_shown_as_the_doc_types_it(tmp_path: Path, extra: str, flagged: bool) -> None:
    actions = "- run-pod: mariadb -h db my_database\n  image: mariadb\n  cluster: alpha\n" + extra
    tut = load(write_tutorial(tmp_path / "t", step_yaml(actions=actions)))
    ctx = context(tut, tmp_path / "wd")
    [planned] = verbs.get("run-pod").plan(ctx, step(tut).actions[0], "alpha")
    words = planned.display.splitlines()[0].split()
    assert ("--command" in words) is flagged, planned.display
    assert words[words.index("--") + 1 :][:3] == ["mariadb", "-h", "db"]
    assert "--command" in kubectl.run_pod_create("p", "default", "mariadb", ["mariadb"])

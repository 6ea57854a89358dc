"""run-pod with `stdin:`: the one-liner `kubectl run NAME --rm -i --restart=Never ... --command -- CMD`
gets the text on its stdin (as `kubectl run -i` attaches it, cmd/run/run.go in kubernetes), its output
is saved, the pod is deleted and forgotten. A fake kubectl on PATH records what it was given."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kind_helpers import context, load, step, step_yaml, write_tutorial
from liqo_tutor import verbs
from liqo_tutor.errors import ToolFailed

FAKE = """\
import json, os, sys
args = sys.argv[1:]
data = sys.stdin.read() if args[:1] == ["run"] else ""
with open(os.environ["FAKE_LOG"], "a") as fh:
    fh.write(json.dumps({"args": args, "stdin": data}) + "\\n")
if args[:1] == ["run"]:
    sys.stdout.write("name\\n" + data.splitlines()[-1].split("'")[1] + "\\n")
    sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""

STEPS = step_yaml(
    actions="""\
    - run-pod: mariadb -h db.{namespace} -uuser my_database
      cluster: alpha
      image: mariadb:11
      namespace: "{namespace}"
      pod_prefix: client
      save: rows
      stdin: |
        CREATE TABLE People (name VARCHAR(20));
        INSERT INTO People VALUES ('{namespace}-row');
    """
)


@pytest.fixture
def fake_kubectl(tmp_path: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "fake.py").write_text(FAKE)
    (bindir / "kubectl").write_text(f'#!/bin/sh\nexec {sys.executable} {bindir / "fake.py"} "$@"\n')
    (bindir / "kubectl").chmod(0o755)
    return bindir


def _ctx(tmp_path: Path, bindir: Path, exit_code: int = 0):  # type: ignore[no-untyped-def]
    tut = load(write_tutorial(tmp_path, STEPS))
    ctx = context(tut, tmp_path / "work")
    ctx.env.update(PATH=f"{bindir}:/usr/bin:/bin", FAKE_LOG=str(tmp_path / "log"), FAKE_EXIT=str(exit_code))
    return tut, ctx


def test_stdin_reaches_the_pod_and_its_output_is_saved(tmp_path: Path, fake_kubectl: Path) -> None:
    tut, ctx = _ctx(tmp_path, fake_kubectl)
    verbs.get("run-pod").run(ctx, step(tut).actions[0], "alpha")
    calls = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]
    run, delete = calls
    pod = run["args"][1]
    assert pod.startswith("client-")
    kubeconfig = str(tmp_path / "work" / "kc_alpha")
    assert run["args"] == ["run", pod, "-n", "demo", "--rm", "-i", "--restart=Never", "--image", "mariadb:11",
                           "--command", "--kubeconfig", kubeconfig, "--", "mariadb", "-h", "db.demo", "-uuser",
                           "my_database"]
    assert run["stdin"].endswith("INSERT INTO People VALUES ('demo-row');\n")
    assert delete["args"][:4] == ["delete", "pod", pod, "-n"]
    assert ctx.captured("rows@alpha") == "name\ndemo-row\n"
    assert ctx.state.pods() == []


def test_the_containers_exit_code_fails_the_action_and_the_pod_still_goes(tmp_path: Path, fake_kubectl: Path) -> None:
    tut, ctx = _ctx(tmp_path, fake_kubectl, exit_code=1)
    with pytest.raises(ToolFailed):
        verbs.get("run-pod").run(ctx, step(tut).actions[0], "alpha")
    calls = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]
    assert [c["args"][0] for c in calls] == ["run", "delete"]
    assert ctx.state.pods() == []


def test_the_plan_shows_stdin_as_a_here_document(tmp_path: Path, fake_kubectl: Path) -> None:
    tut, ctx = _ctx(tmp_path, fake_kubectl)
    [planned] = verbs.get("run-pod").plan(ctx, step(tut).actions[0], "alpha")
    first, *rest = planned.display.splitlines()
    assert first.startswith("kubectl run client -n demo --rm -i") and first.endswith("my_database <<'EOF'")
    assert rest == ["CREATE TABLE People (name VARCHAR(20));", "INSERT INTO People VALUES ('demo-row');", "EOF"]

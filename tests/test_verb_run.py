"""The `run` verb's saves (stdout/stderr/output), captures used as variables in later commands (also
from a new process: captures persist in the workdir), `shell_var` in the plan, and background
actions that stop with their step."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kind_helpers import Recorder, context, load, run_action, step, step_yaml, write_tutorial
from liqo_tutor import verbs
from liqo_tutor.errors import StepFailed

SAVE_STEPS = step_yaml(
    actions="""\
    - run: sh -c "printf 'out\\n'; printf 'err\\n' >&2"
      cluster: alpha
      save: {stdout: only_out, stderr: only_err, output: both}
    - run: printf 10.1.2.3
      cluster: alpha
      save: pod_ip
      shell_var: POD_IP
    - run: printf '%s' {pod_ip}
      cluster: alpha
      save: echoed
    """,
    step_id="first",
) + step_yaml(
    actions="""\
    - run: printf 'got %s' {pod_ip@alpha}
      save: later
    """,
    step_id="second",
)


def test_save_streams_and_a_capture_as_one_argv_word(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, SAVE_STEPS))
    assert tut.saves == {"only_out": "first", "only_err": "first", "both": "first", "pod_ip": "first",
                         "echoed": "first", "later": "second"}
    ctx = context(tut, tmp_path / "work")
    for action in step(tut, "first").actions:
        run_action(ctx, action, "alpha")
    assert ctx.captured("only_out@alpha") == "out"
    assert ctx.captured("only_err@alpha") == "err"
    assert ctx.captured("both@alpha") == "out\nerr"
    assert ctx.captured("echoed@alpha") == "10.1.2.3"


def test_a_capture_is_seen_by_a_new_process_and_a_missing_one_names_its_step(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, SAVE_STEPS))
    work = tmp_path / "work"
    later = step(tut, "second").actions[0]
    with pytest.raises(StepFailed, match=r"capture pod_ip@alpha is not set: run step first first"):
        run_action(context(tut, work), later, None)
    run_action(context(tut, work), step(tut, "first").actions[1], "alpha")
    fresh = context(tut, work)  # as `liqo-tutor step second` in another process
    run_action(fresh, later, None)
    assert fresh.captured("later") == "got 10.1.2.3"


def test_a_capture_with_several_lines_is_refused_as_a_command_word(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, SAVE_STEPS))
    ctx = context(tut, tmp_path / "work")
    ctx.save("pod_ip", "alpha", "a\nb")
    with pytest.raises(StepFailed, match="capture pod_ip@alpha has several lines"):
        run_action(ctx, step(tut, "first").actions[2], "alpha")


def test_shell_var_is_how_the_plan_shows_the_saving_command(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, SAVE_STEPS))
    action = step(tut, "first").actions[1]
    [planned] = verbs.get("run").plan(context(tut, tmp_path / "work"), action, "alpha")
    assert planned.display == "POD_IP=$(printf 10.1.2.3)"


BACKGROUND = step_yaml(
    actions="""\
    - run: sh -c "echo pid $$; sleep 0.2; echo 'Forwarding from 127.0.0.1:{port}'; exec sleep 60"
      cluster: alpha
      background: true
      ready: '^Forwarding from 127\\.0\\.0\\.1:{port}$'
      timeout: 20s
    - run: sh -c "echo bye; exit 3"
      cluster: alpha
      background: true
      ready: never printed
      timeout: 20s
    """,
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_background_action_is_ready_on_its_line_and_stops_with_the_step(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, BACKGROUND.replace("{port}", "{fwd_port}"),
                              head=_with_var("fwd_port", "18080")))
    rec = Recorder()
    ctx = context(tut, tmp_path / "work", rec)
    ctx.begin_step("s")
    run_action(ctx, step(tut).actions[0], "alpha")
    assert rec.started[0].endswith("exec sleep 60' &") and "127.0.0.1:18080" in rec.started[0]
    out = rec.finished[0].stdout
    assert rec.finished[0].exit_code == 0 and "Forwarding from 127.0.0.1:18080" in out
    pid = int(out.splitlines()[0].split()[1])
    assert _alive(pid)
    ctx.end_step()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_a_background_action_that_exits_before_ready_fails_with_its_output(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, BACKGROUND.replace("{port}", "1")))
    ctx = context(tut, tmp_path / "work")
    ctx.begin_step("s")
    with pytest.raises(StepFailed, match=r"exited \(code 3\) before it was ready: bye"):
        run_action(ctx, step(tut).actions[1], "alpha")
    ctx.end_step()


def test_the_plan_shows_a_background_command_with_an_ampersand(tmp_path: Path) -> None:
    tut = load(write_tutorial(tmp_path, BACKGROUND.replace("{port}", "1")))
    [planned] = verbs.get("run").plan(context(tut, tmp_path / "w"), step(tut).actions[1], "alpha")
    assert planned.display.endswith(" &") and "stopped at the end of the step" in planned.when


def _with_var(name: str, value: str) -> str:
    from kind_helpers import HEAD

    return HEAD.replace("vars:\n  namespace: demo\n", f"vars:\n  namespace: demo\n  {name}: '{value}'\n")

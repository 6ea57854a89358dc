"""A background action (`background: true`) lives exactly as long as its step, through the real engine
with the fake tools of test_engine.py: stopped when the step passes and when a later claim fails."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from liqo_tutor import engine
from liqo_tutor.results import Status
from test_engine import DATA, Recorder, World, world  # noqa: F401  (fixture)


def _steps_with_background(tmp_path: Path, pidfile: Path, fail: bool) -> Path:
    root = tmp_path / "tut"
    shutil.copytree(DATA / "steps", root / "steps")
    shutil.copytree(DATA / "manifests", root / "manifests")
    path = root / "steps" / "minimal.yaml"
    data = yaml.safe_load(path.read_text())
    consume = next(s for s in data["steps"] if s["id"] == "consume")
    consume["actions"].insert(0, {
        "run": f"sh -c 'echo $$ > {pidfile}; echo Forwarding from 127.0.0.1; exec sleep 60'",
        "cluster": "alpha",
        "background": True,
        "ready": "^Forwarding from",
        "timeout": "20s",
    })
    if fail:
        consume["checks"].append({"claim": "a claim that fails", "text": "response@alpha", "contains": "nope"})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "steps"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("fail", [False, True], ids=["step passes", "a claim fails"])
def test_the_background_command_ends_with_its_step(world: World, tmp_path: Path, fail: bool) -> None:  # noqa: F811
    pidfile = tmp_path / "bg.pid"
    opts = world.opts()
    opts = type(opts)(**{**opts.__dict__, "steps_dir": _steps_with_background(tmp_path, pidfile, fail)})
    result = engine.run("minimal", opts, Recorder())
    consume = next(s for s in result.steps if s.step_id == "consume")
    assert consume.status is (Status.FAILED if fail else Status.PASSED), consume.message
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not any((world.workdir / ".liqo-tutor" / "background").glob("*.json"))
    assert os.path.exists(pidfile)

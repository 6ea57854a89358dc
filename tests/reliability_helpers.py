"""Shared by the reliability tests: the CLI as a subprocess, tutorial copies, and "nothing is left"."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

CLI = [sys.executable, "-m", "liqo_tutor"]
REPO = Path(__file__).resolve().parents[1]


def tutor(workdir: Path, *args: str, faults: str = "", timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if faults:
        env["LIQO_TUTOR_SIM_FAULTS"] = faults
    return subprocess.run([*CLI, *args], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def steps_copy(dest: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    """A --steps-dir holding an edited copy of the real tutorial, the real manifests next to it.

    Test-speed edits only: no diagnostics commands, no pause between retries."""
    shutil.copytree(REPO / "steps", dest / "steps")
    if not (dest / "manifests").exists():
        shutil.copytree(REPO / "manifests", dest / "manifests")
    path = dest / "steps" / "service-offloading.yaml"
    data = yaml.safe_load(path.read_text())
    data["diagnostics"] = []
    for step in data["steps"]:
        for action in step.get("actions", []):
            if "retries" in action or "retry_delay" in action:  # the default pause is 3 s
                action["retry_delay"] = "0.1s"
    if edit is not None:
        edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return dest / "steps"


def with_timeout(words: str, timeout: str) -> Callable[[dict[str, Any]], None]:
    """Edit: `timeout:` on every action whose command contains `words`."""

    def edit(data: dict[str, Any]) -> None:
        for step in data["steps"]:
            for action in step.get("actions", []):
                command = next((v for k, v in action.items() if k in (
                    "run", "create-cluster", "delete-cluster", "generated-command")), "")
                if words in str(command) or (words == "kubectl run" and "run-pod" in action):
                    action["timeout"] = timeout

    return edit


def sim_processes(workdir: Path) -> list[str]:
    """Command lines of live processes that belong to this workdir's playground."""
    needle = str(workdir.resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline and "pytest" not in cmdline:
            found.append(cmdline)
    return found


def sim_clusters(workdir: Path) -> list[str]:
    """What the simulated kind lists (the playground's truth, not our state file)."""
    env = dict(os.environ, LIQO_TUTOR_SIM_DIR=str(workdir / ".liqo-tutor" / "sim"))
    env.pop("LIQO_TUTOR_SIM_FAULTS", None)
    res = subprocess.run([sys.executable, "-m", "liqo_tutor.sim.tools", "kind", "get", "clusters"],
                         env=env, capture_output=True, text=True, timeout=60, cwd=workdir)
    return [line for line in res.stdout.split() if line]


def assert_clean(workdir: Path) -> None:
    """No cluster, no kubeconfig file, no playground process, teardown said so."""
    assert sim_clusters(workdir) == [], "clusters left behind"
    assert not list(workdir.glob("liqo_kubeconf_*")), "kubeconfig files left behind"
    assert sim_processes(workdir) == [], "playground processes left behind"


def teardown_clean(workdir: Path) -> subprocess.CompletedProcess[str]:
    res = tutor(workdir, "teardown", "--simulate")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "teardown complete: nothing left behind" in res.stdout
    assert_clean(workdir)
    return res


def failure_line(out: str) -> str:
    """The `failed:` field of the plain failure panel."""
    m = re.search(r"^\s+failed:\s+(.*)$", out, re.M)
    return m.group(1) if m else ""


def status_steps(workdir: Path) -> dict[str, str]:
    res = tutor(workdir, "status", "--json")
    assert res.returncode == 0, res.stderr
    steps: dict[str, str] = json.loads(res.stdout)["steps"]
    return steps


def stop_playground(workdir: Path) -> None:
    subprocess.run([*CLI, "teardown", "--simulate"], cwd=workdir, capture_output=True, timeout=120,
                   stdin=subprocess.DEVNULL)
    from liqo_tutor.sim.client import stop

    stop(workdir / ".liqo-tutor" / "sim")

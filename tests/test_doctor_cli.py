"""`liqo-tutor doctor` end to end: a bare machine fails with fixes, the simulated tools pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from liqo_tutor.sim.client import stop

DOCKER_NO_DAEMON = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "Docker version 28.2.2, build e6534b4"; exit 0; fi
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
exit 1
"""


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "liqo_tutor", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_bare_machine_fails_with_the_fixes(tmp_path: Path, kubectl_bin: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").symlink_to(kubectl_bin)
    docker = bin_dir / "docker"
    docker.write_text(DOCKER_NO_DAEMON)
    docker.chmod(0o755)
    env = dict(os.environ, PATH=str(bin_dir))
    res = _cli("doctor", cwd=tmp_path, env=env)
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout
    assert "FAIL  docker daemon" in out and "Is the docker daemon running?" in out
    assert "sudo systemctl start docker" in out
    assert "FAIL  kind" in out and "https://kind.sigs.k8s.io/docs/user/quick-start/#installation" in out
    assert "FAIL  liqoctl" in out and "supported: v1: >=1.0.0,<2.0.0" in out
    assert "Traceback" not in res.stderr

    as_json = _cli("doctor", "--json", cwd=tmp_path, env=env)
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    by = {f["check"]: f for f in data["findings"]}
    assert data["ok"] is False
    assert by["kind"]["status"] == "fail" and by["kind"]["fix"]
    assert by["kubectl"]["status"] == "ok"


def test_simulated_tools_are_all_found(tmp_path: Path, kubectl_bin: str) -> None:
    env = dict(os.environ, PATH=str(Path(kubectl_bin).parent) + os.pathsep + os.environ.get("PATH", ""))
    try:
        res = _cli("doctor", "--simulate", "--json", cwd=tmp_path, env=env)
    finally:
        stop(tmp_path / ".liqo-tutor" / "sim")
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.loads(res.stdout)
    by = {f["check"]: f for f in data["findings"]}
    for check in ("docker", "docker daemon", "kind", "kubectl", "liqoctl"):
        assert by[check]["status"] == "ok", by[check]
    assert "Liqo line v1" in by["liqoctl"]["found"]
    # Conditions that only may hurt are warnings with their fix, never failures.
    assert all(f["status"] in ("ok", "warn") for f in data["findings"])
    assert all(f["fix"] for f in data["findings"] if f["status"] == "warn")


@pytest.mark.parametrize("fault", ["docker:down"])
def test_run_stops_before_touching_anything(tmp_path: Path, kubectl_bin: str, fault: str) -> None:
    """`run` does doctor's fast checks first and stops with the fix; reports still say why (CI)."""
    env = dict(os.environ, LIQO_TUTOR_SIM_FAULTS=fault)
    try:
        res = _cli("run", "--simulate", "--report", "r.json", "--junit", "j.xml", cwd=tmp_path, env=env)
    finally:
        stop(tmp_path / ".liqo-tutor" / "sim")
    assert res.returncode == 1, res.stdout + res.stderr
    assert "docker daemon" in res.stdout and "sudo systemctl start docker" in res.stdout
    assert "liqo-tutor doctor" in res.stdout and "--simulate" in res.stdout
    assert "kind create" not in res.stdout
    assert not (tmp_path / "liqo_kubeconf_london").exists()
    report = json.loads((tmp_path / "r.json").read_text())
    assert [(s["id"], s["status"]) for s in report["steps"]] == [("provision", "failed")]
    assert "docker daemon" in report["steps"][0]["message"]

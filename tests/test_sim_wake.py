"""A persisted playground whose server stopped (idle, reboot) comes back on the first kubectl call."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
from liqo_tutor.sim.client import connect, stop


def test_kubectl_brings_a_stopped_playground_back(tmp_path: Path, kubectl_bin: str) -> None:
    simdir = simdir_for(tmp_path)
    ensure_bin(simdir)
    env = {**os.environ, **sim_env(simdir, tmp_path)}
    kubeconfig = str(tmp_path / "kc")

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)

    try:
        assert run("kind", "create", "cluster", "--name", "paris", "--kubeconfig", kubeconfig).returncode == 0
        stop(simdir)  # what an idle exit does: state saved, server gone
        assert connect(simdir) is None
        nodes = run("kubectl", "get", "nodes", "-o", "name", "--kubeconfig", kubeconfig)
        assert nodes.returncode == 0, nodes.stderr
        assert nodes.stdout.splitlines() == ["node/paris-control-plane"]
    finally:
        run("kind", "delete", "cluster", "--name", "paris", "--kubeconfig", kubeconfig)
        stop(simdir)

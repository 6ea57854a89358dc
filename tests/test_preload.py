"""--preload-images: the tutorial's images are pulled once on the host and loaded into each kind cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from liqo_tutor.sim.client import stop

CLI = [sys.executable, "-m", "liqo_tutor"]


def _tutor(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=workdir, env=dict(os.environ), capture_output=True, text=True,
                          timeout=240, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_preload_pulls_once_and_loads_into_both_clusters(tmp_path: Path, kubectl_bin: str) -> None:
    try:
        res = _tutor(tmp_path, "run", "--simulate", "--preload-images", "--to", "provision")
        assert res.returncode == 0, res.stdout + res.stderr
        argvs = [json.loads(line)["argv"] for line in (tmp_path / ".liqo-tutor" / "transcript.jsonl").read_text().splitlines()]
        pulls = [a[2] for a in argvs if a[:2] == ["docker", "pull"]]
        loads = [a for a in argvs if a[:3] == ["kind", "load", "docker-image"]]
        assert sorted(pulls) == ["curlimages/curl", "liqo/flights-service"]
        assert sorted(a[a.index("--name") + 1] for a in loads) == ["london", "newyork"]
        # The images really are on every node of both clusters now (what the kubelet would use).
        for cluster in ("london", "newyork"):
            nodes = subprocess.run(
                ["kubectl", "get", "nodes", "-o", "jsonpath={.items[*].status.images[*].names}",
                 "--kubeconfig", str(tmp_path / f"liqo_kubeconf_{cluster}")],
                env={**os.environ, "PATH": f"{tmp_path / '.liqo-tutor' / 'sim' / 'bin'}:{os.environ['PATH']}"},
                capture_output=True, text=True, timeout=60,
            )
            assert "flights-service" in nodes.stdout and "curlimages/curl" in nodes.stdout, nodes.stderr
    finally:
        _tutor(tmp_path, "teardown", "--simulate")
        stop(tmp_path / ".liqo-tutor" / "sim")


def test_without_the_option_nothing_is_preloaded(tmp_path: Path) -> None:
    res = _tutor(tmp_path, "show", "--line", "v1", "--json")
    assert res.returncode == 0, res.stderr
    commands = json.dumps(json.loads(res.stdout))
    assert "docker pull" not in commands and "kind load" not in commands

"""quick-start (Liqo's docs/examples/quick-start.md at v1.2.0) end to end in the playground, and a wrong
copy of it. The real kubectl reads the playground; the claims are the doc's (steps/quick-start.yaml)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tutorial_helpers import run_green, run_wrong, wrong_copy

pytestmark = pytest.mark.slow

NAME = "quick-start"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_runs_green_with_a_passed_line_for_every_claim(tmp_path: Path, kubectl_bin: str) -> None:
    """The shipped tutorial; where the doc's local port 8080 is busy on this machine, a copy whose
    `frontend_port` is a free port (the port-forward would fail there as it would for a person)."""
    port = 8080
    steps = None
    if not _port_free(port):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        steps = wrong_copy(tmp_path / "copy", NAME, steps_edit=('frontend_port: "8080"', f'frontend_port: "{port}"'))
    out = run_green(NAME, tmp_path / "wd", steps)
    assert f"✓ http://localhost:{port} serves Online Boutique's home page" in out, out
    for claim in (
        "`liqoctl info` shows milan as a Provider with networking, authentication and offloading Healthy",
        "the virtual node milan is Ready in rome with the role agent",
        "the remote twin of liqo-demo is named liqo-demo-rome",
        "nginx-remote runs on the virtual node milan",
        "the remote pod answers with the nginx page",
        "the Service liqo-demo has both pods as endpoints",
        "the 12 pods of the microservices demo are Running",
        "the virtual node milan is gone",
    ):
        assert f"✓ {claim}" in out, claim


# The copy-paste slip: nginx-remote's node affinity copied from nginx-local (NotIn virtual-node instead
# of In). kube-scheduler's NodeAffinity filter (pkg/scheduler/framework/plugins/nodeaffinity) then only
# admits rome's own nodes; the control plane is tainted, so nginx-remote lands on rome-worker.
_REMOTE_AFFINITY = """  name: nginx-remote
  labels:
    app: liqo-demo
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions:
              - {key: liqo.io/type, operator: In, values: [virtual-node]}"""


def test_nginx_remote_without_its_virtual_node_affinity_fails_at_that_claim(tmp_path: Path, kubectl_bin: str) -> None:
    steps = wrong_copy(tmp_path / "wrong", NAME, manifest_edit=(
        "hello-world.yaml", _REMOTE_AFFINITY, _REMOTE_AFFINITY.replace("operator: In,", "operator: NotIn,")))
    res = run_wrong(NAME, tmp_path / "wd", steps, "--to", "hello-world", "--timeout-scale", "0.05")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "✓ nginx-local runs on rome's worker node" in out, out
    assert "✗ nginx-remote runs on the virtual node milan" in out, out
    assert "NODE rome-worker" in out, out
    assert "-> hello-world: failed" in out and "-> peer: passed" in out, out

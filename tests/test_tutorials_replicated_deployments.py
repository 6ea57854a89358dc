"""replicated-deployments (docs/examples/replicated-deployments.md at v1.2.0) end to end in the
playground, and a wrong copy of it (steps/replicated-deployments.yaml, manifests/replicated-deployments/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutorial_helpers import HOLD_SCALE, run_green, run_wrong, wrong_copy

pytestmark = pytest.mark.slow

NAME = "replicated-deployments"


def test_runs_green_with_a_passed_line_for_every_claim(tmp_path: Path, kubectl_bin: str) -> None:
    out = run_green(NAME, tmp_path / "wd", None, *HOLD_SCALE)
    for claim in (
        "europe-cloud has both edges as providers (ForeignCluster ROLE Provider)",
        "the virtual nodes carry topology.liqo.io/type=destination and their cluster's ID",
        "the namespace liqo-demo exists in europe-milan-edge (Active)",
        "the two replicas run, one on each edge's virtual node",
        "no replica runs on europe-cloud's own node",
        "europe-cloud has no virtual node left",
    ):
        assert f"✓ {claim}" in out, claim
    # The doc's own mistake, said and avoided: its teardown deletes `origin`, never created.
    assert "kind delete cluster --name origin" not in out
    assert "$ kind delete cluster --name europe-cloud" in out


def test_a_spread_over_a_label_the_virtual_nodes_lack_fails_at_the_one_per_edge_claim(
    tmp_path: Path, kubectl_bin: str
) -> None:
    """The spread constraint written over topology.kubernetes.io/zone (the usual idiom) instead of
    kubernetes.io/hostname: Liqo's virtual nodes carry no zone label, and with DoNotSchedule
    kube-scheduler's PodTopologySpread filter rejects a node without the topology key
    (pkg/scheduler/framework/plugins/podtopologyspread/filtering.go), so both replicas stay Pending.
    (Removing the constraint altogether is no reliable fault: the scheduler's default, soft spreading
    usually still puts one replica per edge.)"""
    steps = wrong_copy(tmp_path / "wrong", NAME, manifest_edit=(
        "deploy.yaml", "topologyKey: kubernetes.io/hostname", "topologyKey: topology.kubernetes.io/zone"),
        # Test plumbing, not the fault: the claim that must fail gives up sooner.
        steps_edit=("timeout: 3m", "timeout: 1m"))
    res = run_wrong(NAME, tmp_path / "wd", steps, "--to", "deploy", "--timeout-scale", "0.1")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "✗ the two replicas run, one on each edge's virtual node" in out, out
    assert "STATUS Pending, NODE <none>" in out, out
    assert "-> deploy: failed" in out and "-> offload: passed" in out, out

"""stateful-applications (docs/examples/stateful-applications.md at v1.2.0) end to end in the
playground, and a wrong copy of it (steps/stateful-applications.yaml, manifests/stateful-applications/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutorial_helpers import run_green, run_wrong, wrong_copy

pytestmark = pytest.mark.slow

NAME = "stateful-applications"


def test_runs_green_with_a_passed_line_for_every_claim(tmp_path: Path, kubectl_bin: str) -> None:
    out = run_green(NAME, tmp_path / "wd")
    for claim in (
        "the Helm release db is deployed in liqo-demo",
        "the replicas carry a required (hard) pod anti-affinity on the node's hostname",
        "the two replicas are Running, one on turin's node and one on the virtual node lyon",
        "both replicas' volumes are Bound through the storage class liqo",
        "the SELECT returns the inserted row (1, Smith, John, 123 Main St, Anytown)",
        "after deleting one replica the row is still there",
        "the virtual node lyon is gone",
    ):
        assert f"✓ {claim}" in out, claim


def test_the_wrong_storage_class_fails_at_the_replicas_and_volumes(tmp_path: Path, kubectl_bin: str) -> None:
    """values.yaml with kind's `standard` class instead of Liqo's `liqo`: the replica bound to the virtual
    node lyon cannot get a volume there (only Liqo's virtual storage class provisions for a virtual node:
    pkg/liqo-controller-manager/offloading/storageprovisioner/remoteprovisioner.go in v1.2.0), so the
    StatefulSet never has its two replicas Running, one per cluster."""
    steps = wrong_copy(tmp_path / "wrong", NAME, manifest_edit=(
        "values.yaml", "  storageClass: liqo\n", "  storageClass: standard\n"),
        # Test plumbing, not the fault: the claims that must fail give up sooner.
        steps_edit=("timeout: 10m", "timeout: 2m"))
    res = run_wrong(NAME, tmp_path / "wd", steps, "--to", "deploy", "--timeout-scale", "0.05")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "✓ the Helm release db is deployed in liqo-demo" in out, out
    assert "✗ the two replicas are Running, one on turin's node and one on the virtual node lyon" in out or \
        "✗ both replicas' volumes are Bound through the storage class liqo" in out, out
    assert "-> deploy: failed" in out and "-> peer: passed" in out, out

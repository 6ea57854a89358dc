"""offloading-with-policies (docs/examples/offloading-with-policies.md at v1.2.0) end to end in the
playground, and a wrong copy of it (steps/offloading-with-policies.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutorial_helpers import HOLD_SCALE, run_green, run_wrong, wrong_copy

pytestmark = pytest.mark.slow

NAME = "offloading-with-policies"


def test_runs_green_with_a_passed_line_for_every_claim(tmp_path: Path, kubectl_bin: str) -> None:
    out = run_green(NAME, tmp_path / "wd", None, *HOLD_SCALE)
    for claim in (
        "the virtual node naples carries the label topology.liqo.io/region=south",
        "the status says florence was not selected: OffloadingRequired False, ClusterNotSelected",
        "florence answers NotFound for the namespace liqo-demo",
        "app-south runs on the virtual node naples",
        "app-center stays Pending, on no node",
        "the scheduler marked app-center's pod Unschedulable",
    ):
        assert f"✓ {claim}" in out, claim


def test_a_selector_for_the_wrong_region_fails_at_the_selection_claims(tmp_path: Path, kubectl_bin: str) -> None:
    """The offload selects region=center: Liqo's NamespaceOffloading controller marks florence selected
    and naples not (pkg/liqo-controller-manager/offloading/namespaceoffloading-controller), so the
    namespace is created in florence instead of naples."""
    steps = wrong_copy(tmp_path / "wrong", NAME, steps_edit=(
        "--selector 'topology.liqo.io/region=south'", "--selector 'topology.liqo.io/region=center'"))
    res = run_wrong(NAME, tmp_path / "wd", steps, "--to", "offload", "--timeout-scale", "0.1")
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "✓ the offloading of liqo-demo is Ready" in out, out
    assert "✗ the status says florence was not selected" in out or \
        "✗ the status says naples was selected" in out or \
        "✗ the namespace liqo-demo exists in naples" in out or \
        "✗ florence answers NotFound" in out, out
    assert "-> offload: failed" in out and "-> peer: passed" in out, out

"""A wrong copy of the tutorial fails where real Liqo makes it fail (issue 12), on both Liqo lines.

The copy offloads liqo-demo with `--pod-offloading-strategy Remote` and applies the app only after
that: Liqo's pod webhook (pkg/webhooks/pod/mutations.go) gives the new pod the virtual-node toleration
and a node affinity to virtual nodes only, the scheduler binds it to the virtual node and the virtual
kubelet (pkg/virtualKubelet/reflection/workload/podns.go) runs it in newyork: the claim "no pod runs in
the liqo-demo namespace of newyork" must fail.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reliability_helpers import CLI, steps_copy, tutor

pytestmark = pytest.mark.slow


@pytest.fixture
def workdir(tmp_path: Path, kubectl_bin: str) -> Iterator[Path]:
    wd = tmp_path / "tutorial"
    wd.mkdir()
    yield wd
    subprocess.run(
        [*CLI, "teardown", "--simulate"], cwd=wd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    from liqo_tutor.sim.client import stop

    stop(wd / ".liqo-tutor" / "sim")


def _remote_after_offloading(data: dict[str, Any]) -> None:
    step = next(s for s in data["steps"] if s["id"] == "offload")
    actions = step["actions"]
    apply = next(a for a in actions if "apply -f {manifests}/app.yaml" in str(a.get("run", "")))
    offload = next(a for a in actions if "liqoctl offload namespace" in str(a.get("run", "")))
    assert "--pod-offloading-strategy Local " in offload["run"], "the tutorial changed; update the test"
    offload["run"] = offload["run"].replace(
        "--pod-offloading-strategy Local ", "--pod-offloading-strategy Remote "
    )
    actions.remove(apply)
    actions.insert(actions.index(offload) + 1, apply)


@pytest.mark.parametrize("version", ["v1.2.0", "v0.10.3"])
def test_remote_strategy_then_app_fails_at_no_pod_in_newyork(
    workdir: Path, tmp_path: Path, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIQO_TUTOR_SIM_LIQO_VERSION", version)
    steps = steps_copy(tmp_path / "wrong", _remote_after_offloading)
    res = tutor(
        workdir, "run", "--to", "offload", "--simulate", "--steps-dir", str(steps), "--timeout-scale", "0.05"
    )
    out = res.stdout
    assert res.returncode == 1, out + res.stderr
    assert "✓ the flights-service Deployment is Available in london" in out, out
    assert "✗ no pod runs in the liqo-demo namespace of newyork" in out, out
    assert "Traceback" not in out + res.stderr

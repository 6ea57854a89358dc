"""The v0 line runs and tears down in ONE command at a speed where simulated delays are not zero.

Issue 10 item 1: `liqoctl unpeer out-of-band` (v0.10.3, pkg/liqoctl/unpeeroob/handler.go) sets the
ForeignCluster's spec.outgoingPeeringEnabled to No and then waits (pkg/liqoctl/wait/wait.go,
ForOutgoingUnpeering via pkg/utils/foreignCluster/pollevent.go) until the OutgoingPeering condition
is None. The ForeignCluster controller (pkg/liqo-controller-manager/foreign-cluster-operator/
foreign-cluster-controller.go, unpeerNamespaced) reports Disconnecting while the ResourceRequest is
being withdrawn and None once it is gone. The playground restarted its disconnection timer at every
reconcile, so the condition stayed Disconnecting forever unless delays were zero (SPEED=0 in the
other tests). Here the run uses the default speed and the real kubectl checks the result.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from lines_cli import cleanup, hermetic_env, require_kubectl, tutor
from liqo_tutor.sim import sim_env, simdir_for
from reliability_helpers import sim_processes

pytestmark = pytest.mark.slow


def _default_speed_env(home: Path, version: str) -> dict[str, str]:
    env = hermetic_env(home, version)
    env.pop("LIQO_TUTOR_SIM_SPEED")  # the default speed: every simulated delay is > 0
    return env


def test_v0_run_with_teardown_at_default_speed(tmp_path: Path) -> None:
    require_kubectl()
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = _default_speed_env(tmp_path / "home", "v0.10.3")
    try:
        res = tutor(workdir, env, "run", "service-offloading", "--simulate", "--teardown", "--no-color")
        out = res.stdout + res.stderr
        assert res.returncode == 0, out[-4000:]
        assert "$ liqoctl unpeer out-of-band newyork --skip-confirm --kubeconfig liqo_kubeconf_london" in out
        assert "-> unpeer: passed" in out, out[-4000:]
        assert "-> uninstall: passed" in out
        assert "teardown complete: nothing left behind" in out
        assert not list(workdir.glob("liqo_kubeconf_*"))
        # The transcript holds what liqoctl printed: it waited for the outgoing peering to be None
        # and then removed the ForeignCluster (no incoming peering left), as v0.10.3 does.
        records = [json.loads(line) for line in (workdir / ".liqo-tutor" / "transcript.jsonl").open()]
        unpeer = [r for r in records if r.get("argv", [])[:3] == ["liqoctl", "unpeer", "out-of-band"]]
        assert len(unpeer) == 1 and unpeer[0]["exit_code"] == 0, unpeer
        said = json.dumps(unpeer[0])
        assert 'Successfully disabled outgoing peering to the remote cluster \\"newyork\\"' in said, said
        assert "Foreign cluster resource successfully removed" in said, said
    finally:
        cleanup(workdir, env)
    assert sim_processes(workdir) == []


def test_v0_unpeer_waits_for_disconnecting_to_end(tmp_path: Path) -> None:
    """Real kubectl sees london's ForeignCluster pass through Disconnecting, then liqoctl removes it."""
    kubectl = require_kubectl()
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = dict(_default_speed_env(tmp_path / "home", "v0.10.3"), LIQO_TUTOR_SIM_SPEED="0.5")
    kubeconfig = str(workdir / "liqo_kubeconf_london")
    jsonpath = '{.status.peeringConditions[?(@.type=="OutgoingPeering")].status}'
    try:
        res = tutor(workdir, env, "run", "service-offloading", "--simulate", "--to", "peer", "--no-color")
        assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
        tool_env = {**env, **sim_env(simdir_for(workdir), workdir)}

        def outgoing() -> str:
            return subprocess.run(
                [kubectl, "get", "foreignclusters.discovery.liqo.io", "newyork", "--ignore-not-found",
                 "-o", f"jsonpath={jsonpath}", "--kubeconfig", kubeconfig],
                env=tool_env, capture_output=True, text=True, timeout=30,
            ).stdout.strip()

        assert outgoing() == "Established"
        unpeer = subprocess.Popen(
            ["liqoctl", "unpeer", "out-of-band", "newyork", "--skip-confirm", "--kubeconfig", kubeconfig],
            cwd=workdir, env=tool_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        seen = ["Established"]
        deadline = time.monotonic() + 120
        while unpeer.poll() is None and time.monotonic() < deadline:
            got = outgoing()
            if got != seen[-1]:
                seen.append(got)
        output, _ = unpeer.communicate(timeout=60)
        assert unpeer.returncode == 0, output
        assert "Disconnecting" in seen, seen
        assert 'Successfully disabled outgoing peering to the remote cluster "newyork"' in output, output
        gone = subprocess.run(
            [kubectl, "get", "foreignclusters.discovery.liqo.io", "-o", "name", "--kubeconfig", kubeconfig],
            env=tool_env, capture_output=True, text=True, timeout=30,
        )
        assert gone.returncode == 0 and gone.stdout == "", gone.stdout + gone.stderr
    finally:
        cleanup(workdir, env)
    assert sim_processes(workdir) == []

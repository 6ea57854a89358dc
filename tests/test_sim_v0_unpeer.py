"""Simulated `liqoctl unpeer out-of-band` (v0.10.3) as upstream's pkg/liqoctl/unpeeroob/handler.go does it.

`--incoming` only sets spec.incomingPeeringEnabled to No, waits for that spec (wait.go
ForIncomingUnpeering / foreignCluster.IsIncomingPeeringNo) and leaves the ForeignCluster and the
outgoing peering alone; without it the outgoing side is disabled, waited for (OutgoingPeering None)
and the ForeignCluster removed. The real kubectl checks the ForeignCluster.
"""

from __future__ import annotations

import json

import pytest

import test_sim_liqo
from test_sim_liqo import V0, Playground, install, kubectl, liqoctl, wait_until

playground = test_sim_liqo.playground  # two in-process clusters, real API listeners


def _fc(kubectl_bin: str, pg: Playground) -> dict[str, object] | None:
    res = kubectl(kubectl_bin, pg, "london", "get", "foreignclusters.discovery.liqo.io", "newyork",
                  "--ignore-not-found", "-o", "json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout) if res.stdout.strip() else None


def _condition(fc: dict[str, object], ctype: str) -> str:
    conds = (fc.get("status") or {}).get("peeringConditions") or []  # type: ignore[attr-defined]
    return next((c["status"] for c in conds if c["type"] == ctype), "")


def test_unpeer_incoming_then_outgoing(playground: Playground, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch, kubectl_bin: str) -> None:
    pg = playground
    lon, ny = str(pg.kubeconfigs["london"]), str(pg.kubeconfigs["newyork"])
    install(capsys, monkeypatch, pg, V0)

    def peer_command() -> str | None:
        c, o, _e = liqoctl(capsys, monkeypatch, V0, "generate", "peer-command", "--only-command", "--kubeconfig", ny)
        return o if c == 0 else None

    argv = str(wait_until(peer_command)).split()
    code, out, _ = liqoctl(capsys, monkeypatch, V0, *argv[1:], "--kubeconfig", lon)
    assert code == 0, out

    code, out, _ = liqoctl(capsys, monkeypatch, V0, "unpeer", "out-of-band", "newyork", "--incoming",
                           "--skip-confirm", "--kubeconfig", lon)
    assert code == 0, out
    assert "INFO: Incoming peering marked as disabled" in out
    assert 'INFO: Successfully disabled incoming peering to the remote cluster "newyork"' in out
    assert "Outgoing" not in out and "Foreign cluster resource" not in out
    fc = _fc(kubectl_bin, pg)
    assert fc is not None, "--incoming leaves the ForeignCluster"
    spec = fc["spec"]
    assert isinstance(spec, dict)
    assert (spec["incomingPeeringEnabled"], spec["outgoingPeeringEnabled"]) == ("No", "Yes")
    assert _condition(fc, "OutgoingPeering") == "Established"

    code, out, _ = liqoctl(capsys, monkeypatch, V0, "unpeer", "out-of-band", "newyork", "--skip-confirm",
                           "--kubeconfig", lon)
    assert code == 0, out
    assert 'INFO: Successfully disabled outgoing peering to the remote cluster "newyork"' in out
    assert "INFO: Foreign cluster resource successfully removed" in out
    assert _fc(kubectl_bin, pg) is None

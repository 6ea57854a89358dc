"""stateful-applications on the Liqo v0 line (docs/examples/stateful-applications.md and
examples/stateful-applications/ at v0.10.3, the same commands since v0.6.0) end to end in the playground.

What the v0 line adds over v1 and this run proves, with the real kubectl's view of the playground:
- setup.sh's `liqoctl install kind --cluster-name` (examples/common.sh at v0.10.3; cmd/liqoctl/cmd/install.go
  has --cluster-name, and --version defaults to the newest chart, hence pinned);
- the out-of-band peering: `liqoctl generate peer-command --only-command` on lyon, the generated command run
  against turin, its token never shown; `kubectl get foreignclusters` with the v0 columns (TYPE OutOfBand,
  OUTGOING PEERING Established, INCOMING PEERING None, NETWORKING and AUTHENTICATION Established);
- the virtual node liqo-lyon; the replica on it gets its volume through Liqo's `liqo` class
  (pkg/liqo-controller-manager/storageprovisioner/remoteprovisioner.go and
  pkg/virtualKubelet/reflection/storage at v0.10.3), the chart installed with v0.10.3's values.yaml (no
  image tag: the chart's default server image);
- the doc's client `mysql` from mariadb-galera:10.6.7-debian-10-r56: a 10.6 client has no "Deprecated program
  name" warning (MariaDB prints it from 11.0 on, mysys/my_init.c);
- `liqoctl unpeer out-of-band lyon` and `liqoctl uninstall` (--skip-confirm since v0.9.0).
One run only (CI time): the wrong copies of this tutorial run on the v1 line
(tests/test_tutorials_stateful_applications.py).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reliability_helpers import assert_clean, stop_playground, tutor
from tutorial_helpers import claims_of

pytestmark = pytest.mark.slow

NAME = "stateful-applications"
VERSION = "v0.10.3"


def _kubectl(kubectl_bin: str, kubeconfig: Path, *args: str) -> Any:
    res = subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig), *args, "-o", "json"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def _volumes_as_real_kubectl_sees_them(kubectl_bin: str, workdir: Path) -> None:
    """The replica on liqo-lyon got its volume the way v0.10.3 provisions it: a claim of the same name
    in lyon's liqo-demo with v0's reflection labels (virtualkubelet.liqo.io/origin|destination: the
    clusters' UUIDs), lyon's default class, Bound; in turin a PV of class liqo, a placeholder hostPath,
    pinned to lyon's cluster ID."""
    turin, lyon = workdir / "liqo_kubeconf_turin", workdir / "liqo_kubeconf_lyon"
    ids = {name: _kubectl(kubectl_bin, kc, "get", "configmap", "liqo-clusterid-configmap", "-n", "liqo")
           ["data"]["CLUSTER_ID"] for name, kc in (("turin", turin), ("lyon", lyon))}
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", i) for i in ids.values())
    remote = _kubectl(kubectl_bin, lyon, "get", "pvc", "-n", "liqo-demo")["items"]
    assert len(remote) == 1, remote
    claim = remote[0]
    labels = claim["metadata"].get("labels") or {}
    assert re.fullmatch(r"data-db-mariadb-galera-\d", claim["metadata"]["name"]), claim["metadata"]
    assert labels.get("virtualkubelet.liqo.io/origin") == ids["turin"], labels
    assert labels.get("virtualkubelet.liqo.io/destination") == ids["lyon"], labels
    assert not any(k.startswith("offloading.liqo.io/") for k in labels), labels  # v1.x keys
    assert claim["status"]["phase"] == "Bound" and claim["spec"]["storageClassName"] == "standard", claim
    pvs = _kubectl(kubectl_bin, turin, "get", "pv")["items"]
    placeholder = [pv for pv in pvs if (pv["spec"].get("hostPath") or {}).get("path") == "/tmp/liqo-placeholder"]
    assert len(placeholder) == 1, pvs
    pv = placeholder[0]
    assert pv["spec"]["storageClassName"] == "liqo"
    assert pv["spec"]["claimRef"]["name"] == claim["metadata"]["name"]
    term = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term == {"key": "liqo.io/remote-cluster-id", "operator": "In", "values": [ids["lyon"]]}, term


def test_v0_line_runs_green_with_a_passed_line_for_every_claim(
    tmp_path: Path, kubectl_bin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run` then `teardown` in one playground: between the two, the real kubectl looks at the volumes."""
    monkeypatch.setenv("LIQO_TUTOR_SIM_LIQO_VERSION", VERSION)
    workdir = tmp_path / "wd"
    workdir.mkdir()
    try:
        res = tutor(workdir, "run", NAME, "--simulate", timeout=400)
        assert res.returncode == 0, res.stdout + res.stderr
        _volumes_as_real_kubectl_sees_them(kubectl_bin, workdir)
        down = tutor(workdir, "teardown", "--simulate", timeout=200)
        assert down.returncode == 0, down.stdout + down.stderr
        out = res.stdout + down.stdout
        assert "Traceback" not in out + res.stderr + down.stderr
        assert "Liqo line v0" in out, out[:2000]
        passed = {line.strip()[2:] for line in out.splitlines() if line.strip().startswith("✓ ")}
        claims = claims_of(NAME, tmp_path, line="v0")
        missing = [f"{step}: {c}" for step, cs in claims.items() for c in cs if c not in passed]
        assert not missing, "claims without a ✓ line:\n" + "\n".join(missing) + "\n" + out
        assert "✗" not in out, out
        assert "teardown complete: nothing left behind" in out, out
        assert_clean(workdir)
    finally:
        stop_playground(workdir)

    # The claims that only the v0 line states, each passed.
    for claim in (
        "the Liqo running in turin is v0.10.3, the version of liqoctl",
        "turin has an out-of-band outgoing peering towards lyon, Established, and no incoming one",
        "the network tunnel and the authentication towards lyon are Established",
        "the virtual node liqo-lyon is Ready in turin",
        "the two replicas are Running, one on turin's node and one on the virtual node liqo-lyon",
        "both replicas' volumes are Bound through the storage class liqo",
        "the SELECT returns the inserted row (1, Smith, John, 123 Main St, Anytown)",
        "after deleting one replica the row is still there",
        "the same query from lyon returns the same row",
        "the virtual node liqo-lyon is gone",
    ):
        assert f"✓ {claim}" in out, claim
    # The v1 line's claims are not stated on v0.
    assert "ROLE Provider" not in out

    # The commands as v0.10.3's doc and setup.sh type them.
    for command in (
        "$ liqoctl install kind --cluster-name turin --version v0.10.3 --kubeconfig",
        "$ liqoctl generate peer-command --only-command --kubeconfig",
        "$ liqoctl offload namespace liqo-demo --namespace-mapping-strategy EnforceSameName --kubeconfig",
        "/manifests/stateful-applications/values-v0.yaml --kubeconfig",
        "--image docker.io/bitnami/mariadb-galera:10.6.7-debian-10-r56",
        "-- mysql -h db-mariadb-galera.liqo-demo -uuser -ppassword my_database",
        "$ liqoctl unpeer out-of-band lyon --skip-confirm --kubeconfig",
        "$ liqoctl uninstall --skip-confirm --kubeconfig",
    ):
        assert command in out, command
    # The generated peer command ran against turin with lyon's token masked; no 128-hex token is shown.
    peer = [line for line in out.splitlines() if line.startswith("$ liqoctl peer out-of-band lyon ")]
    assert len(peer) == 1 and "--auth-token '***'" in peer[0], peer
    assert not re.search(r"\b[0-9a-f]{128}\b", out)
    # The real kubectl's tables: lyon's ForeignCluster with the v0 columns, one replica on liqo-lyon.
    assert re.search(r"^\s+lyon\s+OutOfBand\s+Established\s+None\s+Established\s+Established\s", out, re.M), out
    assert re.search(r"^\s+db-mariadb-galera-\d\s+1/1\s+Running\s.*\sliqo-lyon\s", out, re.M), out
    # A 10.6 client: no warning about the `mysql` name (that is MariaDB 11's).
    assert "Deprecated program name" not in out

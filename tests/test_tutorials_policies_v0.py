"""The Liqo v0 line (v0.10.3) of offloading-with-policies and replicated-deployments, end to end in the
playground: one run per tutorial (steps/offloading-with-policies.yaml, steps/replicated-deployments.yaml,
their v0 manifests), a ✓ line for every claim of the v0.10.3 docs (docs/examples/*.md at v0.10.3).

Between the run and its teardown the real kubectl looks at the live playground and makes one change
each doc names but does not run, which must behave as real Liqo v0.10.3 and Kubernetes do:
- offloading-with-policies: the NamespaceOffloading's remoteNamespacesConditions are keyed by the
  NamespaceMap of each peer, `<cluster name>-<first 3 bytes of sha256(cluster ID), hex>`
  (pkg/utils/foreignCluster/uniqueName.go, virtualnode-controller/namespacemap.go); the doc's note
  "remove the conflicting node affinity from app-center" must get its pod scheduled in venice or
  naples, never florence (pod webhook, pkg/liqo-controller-manager/webhooks/pod/ at v0.10.3: the
  cluster selector OR'ed with `liqo.io/type NotIn (virtual-node)` for LocalAndRemote).
- replicated-deployments: the doc's "More replicas" admonition: three replicas over the two virtual
  nodes keep maxSkew 1 (two on one edge, one on the other), none on the origin's own node
  (kube-scheduler's PodTopologySpread filter, pkg/scheduler/framework/plugins/podtopologyspread).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lines_cli import cleanup, hermetic_env, tutor
from liqo_tutor.sim import sim_env, simdir_for
from reliability_helpers import assert_clean, sim_processes
from tutorial_helpers import HOLD_SCALE, claims_of

pytestmark = pytest.mark.slow

VERSION = "v0.10.3"


def _kubectl(kubectl: str, env: dict[str, str], workdir: Path, cluster: str, *args: str) -> str:
    res = subprocess.run(
        [kubectl, *args, "--kubeconfig", str(workdir / f"liqo_kubeconf_{cluster}")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def _poll(what: str, probe: Callable[[], Any], ok: Callable[[Any], bool], bound: float = 90) -> Any:
    """The probe's value once `ok` holds; fails with the last value seen after `bound` seconds."""
    deadline = time.monotonic() + bound
    while True:
        got = probe()
        if ok(got) or time.monotonic() > deadline:
            assert ok(got), f"{what}: last seen {got!r}"
            return got
        time.sleep(0.5)


def _pods(
    kubectl: str, env: dict[str, str], workdir: Path, cluster: str, selector: str
) -> list[dict[str, Any]]:
    out = _kubectl(
        kubectl, env, workdir, cluster, "get", "pods", "-n", "liqo-demo", "-l", selector, "-o", "json"
    )
    items: list[dict[str, Any]] = json.loads(out)["items"]
    return items


def _running_nodes(pods: list[dict[str, Any]]) -> list[str]:
    return sorted(
        p["spec"].get("nodeName", "")
        for p in pods
        if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
    )


def _run_v0(name: str, tmp_path: Path, kubectl: str, live: Callable[[dict[str, str], Path], None]) -> str:
    """`run NAME --simulate` on the v0 line, `live` against the playground, then `teardown`: both exit 0,
    a ✓ line for every claim of the v0 line, no ✗, nothing left behind. Returns both outputs."""
    workdir = tmp_path / "wd"
    workdir.mkdir()
    env = hermetic_env(tmp_path / "home", VERSION)
    try:
        run = tutor(workdir, env, "run", name, "--simulate", "--no-color", *HOLD_SCALE)
        assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
        assert f"liqoctl {VERSION}: Liqo line v0 detected" in run.stdout, run.stdout[:2000]
        live({**env, **sim_env(simdir_for(workdir), workdir)}, workdir)
        down = tutor(workdir, env, "teardown", "--simulate", "--no-color")
        assert down.returncode == 0, (down.stdout + down.stderr)[-6000:]
        out = run.stdout + down.stdout
        assert "Traceback" not in out + run.stderr + down.stderr
        assert "✗" not in out, out
        passed = {line.strip()[2:] for line in out.splitlines() if line.strip().startswith("✓ ")}
        claims = claims_of(name, tmp_path, line="v0")
        missing = [f"{step}: {c}" for step, cs in claims.items() for c in cs if c not in passed]
        assert not missing, "claims without a ✓ line:\n" + "\n".join(missing) + "\n" + out
        assert_clean(workdir)
        return out
    finally:
        cleanup(workdir, env)
        assert sim_processes(workdir) == []


def _unique_name(cluster: str, cluster_id: str) -> str:
    """pkg/utils/foreignCluster/uniqueName.go at v0.10.3."""
    return f"{cluster}-{hashlib.sha256(cluster_id.encode()).digest()[:3].hex()}"


def test_offloading_with_policies_v0_runs_green(tmp_path: Path, kubectl_bin: str) -> None:
    def live(env: dict[str, str], workdir: Path) -> None:
        ids = {
            c: _kubectl(
                kubectl_bin,
                env,
                workdir,
                "venice",
                "get",
                "foreignclusters.discovery.liqo.io",
                c,
                "-o",
                "jsonpath={.spec.clusterIdentity.clusterID}",
            )
            for c in ("florence", "naples")
        }
        nso = json.loads(
            _kubectl(
                kubectl_bin,
                env,
                workdir,
                "venice",
                "get",
                "namespaceoffloadings",
                "offloading",
                "-n",
                "liqo-demo",
                "-o",
                "json",
            )
        )
        conditions = nso["status"]["remoteNamespacesConditions"]
        assert sorted(conditions) == sorted(_unique_name(c, i) for c, i in ids.items()), conditions
        assert "florence" not in conditions and "naples" not in conditions  # the v1 keys are not v0's
        # The doc's note: without its conflicting affinity, app-center runs in venice or naples.
        _kubectl(
            kubectl_bin,
            env,
            workdir,
            "venice",
            "patch",
            "deployment",
            "app-center",
            "-n",
            "liqo-demo",
            "--type",
            "json",
            "-p",
            '[{"op": "remove", "path": "/spec/template/spec/affinity"}]',
        )
        nodes = _poll(
            "app-center's new pod Running",
            lambda: _running_nodes(_pods(kubectl_bin, env, workdir, "venice", "app=app-center")),
            lambda got: len(got) == 1,
        )
        assert nodes[0] in ("venice-control-plane", "liqo-naples"), nodes
        pod = next(
            p
            for p in _pods(kubectl_bin, env, workdir, "venice", "app=app-center")
            if p["spec"].get("nodeName") == nodes[0]
        )
        terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        exprs = [e for t in terms["nodeSelectorTerms"] for e in t["matchExpressions"]]
        assert {"key": "topology.liqo.io/region", "operator": "In", "values": ["south"]} in exprs, terms
        assert {"key": "liqo.io/type", "operator": "NotIn", "values": ["virtual-node"]} in exprs, terms

    out = _run_v0("offloading-with-policies", tmp_path, kubectl_bin, live)
    for claim in (
        "`liqoctl status` in florence lists the cluster label topology.liqo.io/region: center",
        "venice peers out-of-band with florence and naples: outgoing peering, network and authentication "
        "Established, no incoming peering",
        "the virtual node liqo-naples carries the label topology.liqo.io/region=south",
        "the virtual node liqo-florence stands for florence (liqo.io/remote-cluster-id is its cluster ID)",
        "the status says florence was not selected: OffloadingRequired False, ClusterNotSelected",
        "the status says naples was selected (ClusterSelected) and its namespace created (NamespaceCreated)",
        "florence answers NotFound for the namespace liqo-demo",
        "app-south runs on the virtual node liqo-naples",
        "app-center stays Pending, on no node",
        "venice has no virtual node left",
    ):
        assert f"✓ {claim}" in out, claim
    assert (
        "$ liqoctl install kind --cluster-name venice --cluster-labels=topology.liqo.io/region=north "
        f"--version {VERSION}" in out
    )
    assert "$ liqoctl unpeer out-of-band florence --skip-confirm" in out
    assert "--auth-token '***'" in out


def test_replicated_deployments_v0_runs_green(tmp_path: Path, kubectl_bin: str) -> None:
    def live(env: dict[str, str], workdir: Path) -> None:
        # The doc's "More replicas" admonition: spread keeps maxSkew 1 over the two virtual nodes.
        _kubectl(
            kubectl_bin,
            env,
            workdir,
            "europe-cloud",
            "scale",
            "deployment",
            "liqo-demo-app",
            "-n",
            "liqo-demo",
            "--replicas",
            "3",
        )
        nodes = _poll(
            "three replicas Running",
            lambda: _running_nodes(_pods(kubectl_bin, env, workdir, "europe-cloud", "app=liqo-demo-app")),
            lambda got: len(got) == 3,
        )
        per_node = Counter(nodes)
        assert set(per_node) == {"liqo-europe-rome-edge", "liqo-europe-milan-edge"}, nodes
        assert sorted(per_node.values()) == [1, 2], nodes
        for edge in ("europe-rome-edge", "europe-milan-edge"):
            remote = _running_nodes(_pods(kubectl_bin, env, workdir, edge, "app=liqo-demo-app"))
            assert len(remote) == per_node[f"liqo-{edge}"], (edge, remote)
            assert set(remote) == {f"{edge}-control-plane"}, (edge, remote)

    out = _run_v0("replicated-deployments", tmp_path, kubectl_bin, live)
    for claim in (
        "`liqoctl status` in europe-rome-edge lists the cluster label topology.liqo.io/type: destination",
        "europe-cloud peers out-of-band with both edges: outgoing peering, network and authentication "
        "Established, no incoming peering",
        "the virtual node liqo-europe-milan-edge stands for europe-milan-edge (its cluster ID)",
        "the namespace liqo-demo exists in europe-rome-edge (Active)",
        "the two replicas run, one on each edge's virtual node",
        "europe-cloud has no virtual node left",
    ):
        assert f"✓ {claim}" in out, claim
    # The doc's own mistake (v0.10.3 too): its teardown deletes `origin`, which setup never created.
    assert "kind delete cluster --name origin" not in out
    assert "$ kind delete cluster --name europe-cloud" in out

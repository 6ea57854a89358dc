"""A simulated kind cluster runs what a real one runs (kube-system, local-path-storage), and DaemonSets
behave as the real controller makes them, seen through the REAL kubectl."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim_world import Playground, playground, poll


@pytest.fixture
def pg(tmp_path: Path, kubectl_bin: str) -> Iterator[Playground]:
    with playground(kubectl_bin, tmp_path) as p:
        p.add("rome", workers=2, version="v1.30.0")
        yield p


def _rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines()[1:]}


def test_kube_system_lists_what_kind_runs(pg: Playground) -> None:
    """kind pkg/build/nodeimage/const_cni.go (kindnet DaemonSet) and const_storage.go
    (local-path-provisioner), kubeadm phases/addons/dns/manifests.go (coredns x2, kube-dns) and
    addons/proxy/manifests.go (kube-proxy), phases/controlplane + etcd static pods `<component>-<node>`."""
    k = pg.kube["rome"]
    k.ok("wait", "--for=condition=Available", "deploy/coredns", "-n", "kube-system", "--timeout=20s")
    poll(
        lambda: all(
            line.split()[3] == "Running" for line in k.ok("get", "pods", "-A", "--no-headers").splitlines()
        )
    )
    pods = _rows(k.ok("get", "pods", "-n", "kube-system"))
    names = sorted(pods)
    for static in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert f"{static}-rome-control-plane" in names
    assert len([n for n in names if re.fullmatch(r"coredns-[a-z0-9]{8,10}-[a-z0-9]{5}", n)]) == 2
    assert len([n for n in names if re.fullmatch(r"kindnet-[a-z0-9]{5}", n)]) == 3
    assert len([n for n in names if re.fullmatch(r"kube-proxy-[a-z0-9]{5}", n)]) == 3
    assert all(row[1] == "1/1" and row[2] == "Running" for row in pods.values()), pods
    everything = k.ok("get", "pods", "-A")
    assert re.search(r"^local-path-storage\s+local-path-provisioner-\S+\s+1/1\s+Running", everything, re.M)
    # Labels as kubeadm and kind set them.
    assert len(k.json("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns")["items"]) == 2
    assert len(k.json("get", "pods", "-n", "kube-system", "-l", "tier=control-plane")["items"]) == 4
    etcd = k.json("get", "pod", "etcd-rome-control-plane", "-n", "kube-system")
    assert etcd["metadata"]["labels"] == {"component": "etcd", "tier": "control-plane"}
    assert etcd["metadata"]["ownerReferences"][0]["kind"] == "Node"
    assert etcd["spec"]["priorityClassName"] == "system-node-critical"
    assert etcd["spec"]["priority"] == 2000001000
    assert etcd["status"]["podIP"] == etcd["status"]["hostIP"]  # host network
    proxy = k.json("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy")["items"]
    assert {p["spec"]["nodeName"] for p in proxy} == {"rome-control-plane", "rome-worker", "rome-worker2"}
    assert all(p["spec"]["containers"][0]["image"] == "registry.k8s.io/kube-proxy:v1.30.0" for p in proxy)
    ds = _rows(k.ok("get", "ds", "-n", "kube-system"))
    assert ds["kindnet"][1:6] == ["3", "3", "3", "3", "3"] and ds["kube-proxy"][6] == "kubernetes.io/os=linux"
    svc = k.ok("get", "svc", "kube-dns", "-n", "kube-system", "--no-headers").split()
    assert svc[2] == "10.96.0.10" and svc[4] == "53/UDP,53/TCP,9153/TCP"
    endpoints = k.ok("get", "endpoints", "kube-dns", "-n", "kube-system", "--no-headers")
    assert endpoints.count(":53") >= 2
    assert k.ok("get", "endpoints", "kubernetes", "--no-headers").split()[1].endswith(":6443")


def test_daemonset_follows_node_selector_and_taints(pg: Playground) -> None:
    """pkg/controller/daemon/daemon_controller.go NodeShouldRunDaemonPod, util/daemonset_util.go
    (default tolerations, node-name affinity bound by the scheduler)."""
    k = pg.kube["rome"]
    manifest = (
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n"
        "  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n"
        "    spec:\n      containers: [{name: a, image: nginx}]\n"
    )
    k.ok("apply", "-f", "-", stdin=manifest)

    def nodes() -> list[str]:
        return sorted(
            p["spec"].get("nodeName", "") for p in k.json("get", "pods", "-l", "app=agent")["items"]
        )

    # No toleration of the control-plane taint: only the two workers.
    poll(lambda: nodes() == ["rome-worker", "rome-worker2"])
    pod = k.json("get", "pods", "-l", "app=agent")["items"][0]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchFields"][0]["key"] == "metadata.name"
    assert {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "spec"
    ]["tolerations"]
    assert "controller-revision-hash" in pod["metadata"]["labels"]
    poll(lambda: _rows(k.ok("get", "ds"))["agent"][1:4] == ["2", "2", "2"])
    # A node selector narrows it; the pod on the node that no longer matches goes away.
    k.ok("label", "node", "rome-worker2", "agent=yes")
    k.ok(
        "patch",
        "ds",
        "agent",
        "--type=merge",
        "-p",
        '{"spec":{"template":{"spec":{"nodeSelector":{"agent":"yes"}}}}}',
    )
    poll(lambda: nodes() == ["rome-worker2"])
    described = k.ok("describe", "ds", "agent")  # daemon_controller.go events
    assert "daemonset-controller  Created pod: agent-" in described and "SuccessfulDelete" in described
    # Cordoning does not evict or block daemon pods (they tolerate node.kubernetes.io/unschedulable).
    k.ok("cordon", "rome-worker2")
    k.ok("delete", "pods", "-l", "app=agent", "--wait=false")
    poll(lambda: nodes() == ["rome-worker2"] and "Running" in k.ok("get", "pods", "-l", "app=agent"))


@pytest.mark.slow
def test_kind_create_cluster_then_kubectl_lists_kube_system(tmp_path: Path, kubectl_bin: str) -> None:
    """The simulated `kind create cluster` (the playground daemon) and the REAL kubectl: kube-system
    and local-path-storage as kind v0.29.0 leaves them, all Running (kind pkg/cluster/internal/create/
    actions: kubeadminit, installcni, installstorage, waitforready)."""
    import os
    import subprocess

    from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
    from liqo_tutor.sim.client import stop

    workdir = tmp_path / "wd"
    workdir.mkdir()
    simdir = simdir_for(workdir)
    ensure_bin(simdir)
    env = {**os.environ, **sim_env(simdir, workdir), "KUBECONFIG": str(workdir / "kc")}

    def run(*argv: str) -> str:
        res = subprocess.run(
            argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert res.returncode == 0, f"{argv}: {res.stderr}"
        return res.stdout

    config = Path(__file__).resolve().parents[1] / "manifests" / "kind-v1.yaml"
    try:
        run("kind", "create", "cluster", "--name", "rome", "--config", str(config), "--wait", "5m")
        run(kubectl_bin, "wait", "--for=condition=Available", "deploy", "--all", "-A", "--timeout=60s")
        out = run(kubectl_bin, "get", "pods", "-A", "--no-headers")
        rows = [line.split() for line in out.splitlines()]
        assert all(r[2] == "1/1" and r[3] == "Running" for r in rows), out
        names = {r[1] for r in rows}
        assert {"etcd-rome-control-plane", "kube-apiserver-rome-control-plane",
                "kube-controller-manager-rome-control-plane", "kube-scheduler-rome-control-plane"} <= names  # fmt: skip
        nodes = len(run(kubectl_bin, "get", "nodes", "--no-headers").splitlines())
        assert len([n for n in names if n.startswith("kindnet-")]) == nodes
        assert len([n for n in names if n.startswith("kube-proxy-")]) == nodes
        assert len([n for n in names if n.startswith("coredns-")]) == 2
        assert {r[0] for r in rows} == {"kube-system", "local-path-storage"}
    finally:
        stop(simdir)


def test_pods_of_a_deleted_node_are_collected_and_recreated_elsewhere(pg: Playground) -> None:
    """pkg/controller/podgc/gc_controller.go gcOrphaned: pods bound to a Node that is gone are deleted;
    their ReplicaSet makes new ones, which the scheduler puts on the nodes that remain."""
    k = pg.kube["rome"]
    k.ok("create", "deployment", "web", "--image=nginx", "--replicas=2")
    k.ok("wait", "--for=condition=Available", "deploy/web", "--timeout=20s")

    def nodes() -> list[str]:
        return sorted(p["spec"].get("nodeName", "") for p in k.json("get", "pods", "-l", "app=web")["items"])

    assert nodes() == ["rome-worker", "rome-worker2"]
    k.ok("delete", "node", "rome-worker2")
    poll(lambda: nodes() == ["rome-worker", "rome-worker"])
    k.ok("wait", "--for=condition=Available", "deploy/web", "--timeout=20s")
    assert "rome-worker2" not in k.ok("get", "pods", "-A", "-o", "wide")

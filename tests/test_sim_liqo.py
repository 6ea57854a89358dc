"""Liqo in the simulated playground: simulated liqoctl against two in-process clusters, real kubectl checks."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from liqo_tutor.sim import controllers as builtin_controllers
from liqo_tutor.sim.apiserver import serve_cluster
from liqo_tutor.sim.images import http_get
from liqo_tutor.sim.kclient import KubeClient, Res, builtin
from liqo_tutor.sim.liqo import controllers as liqo_controllers
from liqo_tutor.sim.store import ClusterSpec, World
from liqo_tutor.sim.tools.liqoctl import main

V1 = "v1.2.0"
V0 = "v0.10.3"


@dataclass
class Playground:
    world: World
    kubeconfigs: dict[str, Path]
    tmp: Path

    def client(self, name: str) -> KubeClient:
        return KubeClient.from_kubeconfig(str(self.kubeconfigs[name]))


def _kubeconfig(path: Path, name: str, url: str) -> Path:
    ctx = f"kind-{name}"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": ctx, "cluster": {"server": url}}],
        "users": [{"name": ctx, "user": {"token": f"token-{name}"}}],
        "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": ctx}}],
        "current-context": ctx,
    }))
    return path


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Playground]:
    world = World()
    builtin_controllers.register(world)
    liqo_controllers.register(world)
    handles = []
    kubeconfigs = {}
    for name in ("london", "newyork"):
        cluster = world.add_cluster(ClusterSpec(
            name=name, service_subnet="10.60.0.0/16", pod_subnet="10.200.0.0/16",
            nodes=((f"{name}-control-plane", "control-plane"), (f"{name}-worker", "worker"))))
        handle = serve_cluster(world, cluster)
        handles.append(handle)
        kubeconfigs[name] = _kubeconfig(tmp_path / f"liqo_kubeconf_{name}", name, handle.url)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            world.reconcile()
            stop.wait(0.01)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield Playground(world, kubeconfigs, tmp_path)
    finally:
        stop.set()
        thread.join(timeout=5)
        for h in handles:
            h.shutdown()


def liqoctl(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, version: str,
            *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("LIQO_TUTOR_SIM_LIQO_VERSION", version)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def kubectl(kubectl_bin: str, pg: Playground, cluster: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [kubectl_bin, "--kubeconfig", str(pg.kubeconfigs[cluster]), "--cache-dir", str(pg.tmp / "kcache"), *args],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def wait_until(check: object, timeout: float = 10.0) -> object:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def install(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pg: Playground,
            version: str) -> None:
    flag = "--cluster-name" if version.startswith("v0") else "--cluster-id"
    for name in ("london", "newyork"):
        extra = ["--version", version] if version.startswith("v0") else []
        code, out, err = liqoctl(capsys, monkeypatch, version, "install", "kind", flag, name, "--cluster-labels=",
                                 "--kubeconfig", str(pg.kubeconfigs[name]), *extra)
        assert code == 0, out + err
        logs = out if version.startswith("v0") else err
        assert "INFO: All Set! You can now proceed establishing a peering (liqoctl peer --help" in logs
        assert (err if version.startswith("v0") else out) == ""


def deploy_app(pg: Playground) -> None:
    kc = pg.client("london")
    kc.create(builtin("namespaces"), {"kind": "Namespace", "metadata": {"name": "liqo-demo"}})
    kc.create(builtin("deployments.apps"), {"kind": "Deployment", "metadata": {
        "name": "flights-service", "namespace": "liqo-demo", "labels": {"run": "flights-service"}},
        "spec": {"selector": {"matchLabels": {"run": "flights-service"}}, "template": {
            "metadata": {"labels": {"run": "flights-service"}},
            "spec": {"containers": [{"name": "flights-service", "image": "liqo/flights-service"}]}}}})
    kc.create(builtin("services"), {"kind": "Service", "metadata": {
        "name": "flights-service", "namespace": "liqo-demo", "labels": {"run": "flights-service"}},
        "spec": {"selector": {"run": "flights-service"}, "ports": [{"port": 7999, "targetPort": 7999}]}})


def test_v1_full_flow(playground: Playground, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch, kubectl_bin: str) -> None:
    pg = playground
    lon, ny = str(pg.kubeconfigs["london"]), str(pg.kubeconfigs["newyork"])
    # Peering before installing Liqo fails.
    code, _, err = liqoctl(capsys, monkeypatch, V1, "peer", "--kubeconfig", lon, "--remote-kubeconfig", ny,
                           "--gw-server-service-type", "NodePort")
    assert code == 1 and "ERRO:" in err
    install(capsys, monkeypatch, pg, V1)
    code, out, err = liqoctl(capsys, monkeypatch, V1, "version", "--kubeconfig", lon)
    assert (code, out, err) == (0, "Client version: v1.2.0\nServer version: v1.2.0\n", "")
    # A mismatching client warns.
    code, out, err = liqoctl(capsys, monkeypatch, "v1.1.0", "version", "--kubeconfig", lon)
    assert code == 0 and "Server version: v1.2.0" in out and "does not match" in err

    # The same cluster twice is refused.
    code, _, err = liqoctl(capsys, monkeypatch, V1, "peer", "--kubeconfig", lon, "--remote-kubeconfig", lon)
    assert code == 1 and "local and remote clusters must be different" in err
    # Default LoadBalancer on kind: waits (scaled to 0 here) then fails like the real one.
    code, _, err = liqoctl(capsys, monkeypatch, V1, "peer", "--kubeconfig", lon, "--remote-kubeconfig", ny)
    assert code == 1
    assert "ERRO: Failed waiting for gateway server Service to be created: timed out waiting for the condition" in err
    assert "ERRO: Unable to ensure networking: timed out waiting for the condition" in err

    code, out, err = liqoctl(capsys, monkeypatch, V1, "peer", "--kubeconfig", lon, "--remote-kubeconfig", ny,
                             "--gw-server-service-type", "NodePort")
    assert code == 0, err
    assert out == "" and "INFO: ResourceSlice resources: Accepted" in err
    # A second run on a peered pair is a no-op.
    assert liqoctl(capsys, monkeypatch, V1, "peer", "--kubeconfig", lon, "--remote-kubeconfig", ny,
                   "--gw-server-service-type", "NodePort")[0] == 0

    res = kubectl(kubectl_bin, pg, "london", "get", "foreignclusters")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[0].split() == ["NAME", "ROLE", "AGE"]
    assert res.stdout.split("\n")[1].split()[:2] == ["newyork", "Provider"]
    res = kubectl(kubectl_bin, pg, "newyork", "get", "fc", "-o", "json")
    fc = json.loads(res.stdout)["items"][0]
    assert (fc["metadata"]["name"], fc["status"]["role"]) == ("london", "Consumer")

    # The virtual node appears asynchronously, Ready, with the labels and taint of a Liqo virtual node.
    def node_ready() -> bool:
        node = pg.client("london").get(builtin("nodes"), "newyork")
        return bool(node) and any(c["type"] == "Ready" and c["status"] == "True"
                                  for c in node["status"]["conditions"])
    wait_until(node_ready)
    node = pg.client("london").get(builtin("nodes"), "newyork")
    assert node is not None
    assert node["metadata"]["labels"]["liqo.io/type"] == "virtual-node"
    assert node["metadata"]["labels"]["liqo.io/remote-cluster-id"] == "newyork"
    assert node["spec"]["taints"][0]["key"] == "virtual-node.liqo.io/not-allowed"

    deploy_app(pg)
    offload = ("offload", "namespace", "liqo-demo", "--namespace-mapping-strategy", "EnforceSameName",
               "--pod-offloading-strategy", "Local", "--kubeconfig", lon)
    code, out, err = liqoctl(capsys, monkeypatch, V1, *offload)
    assert code == 0, err
    assert "INFO: Offloading completed successfully" in err
    # Same flags again: a no-op; another mapping strategy: denied.
    assert liqoctl(capsys, monkeypatch, V1, *offload)[0] == 0
    code, _, err = liqoctl(capsys, monkeypatch, V1, "offload", "namespace", "liqo-demo", "--kubeconfig", lon)
    assert code == 1 and "The NamespaceMappingStrategy value cannot be modified after creation" in err

    london_svc = pg.client("london").get(builtin("services"), "flights-service", "liqo-demo")
    assert london_svc is not None

    def reflected() -> dict[str, object] | None:
        return pg.client("newyork").get(builtin("services"), "flights-service", "liqo-demo")
    svc = wait_until(reflected)
    assert isinstance(svc, dict)
    assert svc["spec"]["clusterIP"] != london_svc["spec"]["clusterIP"]
    assert svc["spec"]["selector"] == {"run": "flights-service"}
    assert svc["metadata"]["labels"]["offloading.liqo.io/origin"] == "london"
    assert svc["metadata"]["labels"]["offloading.liqo.io/destination"] == "newyork"
    res = kubectl(kubectl_bin, pg, "newyork", "get", "pods", "-n", "liqo-demo")
    assert res.stdout == "" and res.stderr.strip() == "No resources found in liqo-demo namespace."
    res = kubectl(kubectl_bin, pg, "london", "get", "namespaceoffloadings", "-A")
    assert "EnforceSameName" in res.stdout and "Ready" in res.stdout

    # Network: the reflected endpoint, seen from newyork, is london's pod, while peering and offloading hold.
    def endpoint_ip() -> str | None:
        slices = pg.client("newyork").list(builtin("endpointslices.discovery.k8s.io"), "liqo-demo",
                                           {"endpointslice.kubernetes.io/managed-by": "endpointslice.reflection.liqo.io"})
        eps = [e for s in slices for e in s.get("endpoints") or []]
        return str(eps[0]["addresses"][0]) if eps else None
    ip = wait_until(endpoint_ip)
    # newyork reaches london's pods in the network its IPAM gave london's pod CIDR (the same 10.200.0.0/16 as
    # its own, hence remapped): the Configuration's status.remote.cidr.pod (pkg/utils/ipam/mapping/ips.go).
    conf = pg.client("newyork").get(Res("networking.liqo.io", "v1beta1", "configurations", True), "london",
                                    "liqo-tenant-london")
    assert isinstance(conf, dict)
    remapped = conf["status"]["remote"]["cidr"]["pod"][0]
    assert isinstance(ip, str) and ipaddress.ip_address(ip) in ipaddress.ip_network(remapped)
    assert remapped != "10.200.0.0/16"
    with pg.world.lock:
        ref = pg.world.resolve_ip(pg.world.clusters["newyork"], ip)
        conn = http_get(pg.world, pg.world.clusters["newyork"], svc["spec"]["clusterIP"], 7999, "/schedule",
                        {"accept": "application/json"})
    assert ref is not None and ref.cluster == "london" and ref.namespace == "liqo-demo"
    assert conn.ok, "a request to the reflected Service from newyork must reach london's pod"

    # Uninstall is refused while peered/offloaded: pkg/utils/preuninstall.go (errorMap.getError, one section per
    # enabled module of the ForeignCluster, then the NamespaceOffloadings) and pkg/liqoctl/uninstall/handler.go
    # (one hint per kind of pending work), on the log stream, no cobra `Error:` line, nothing uninstalled.
    code, _, err = liqoctl(capsys, monkeypatch, V1, "uninstall", "--skip-confirm", "--kubeconfig", lon)
    assert code == 1
    assert err.endswith(
        "ERRO: Pre-uninstall checks failed: you should:\n\n"
        "disable networking for clusters:\n- newyork\n\n"
        "disable authentication for clusters:\n- newyork\n\n"
        "disable offloading for clusters:\n- newyork\n\n"
        "unoffload the following namespaces:\n- liqo-demo\n\n"
        "ERRO: You must remove all the active peerings with other clusters before uninstalling Liqo.\n"
        "You can disable the active peerings via the 'liqoctl unpeer' command.\n"
        "Check 'liqoctl unpeer --help' for further information.\n"
        "ERRO: You must remove all the offloaded namespaces before uninstalling Liqo.\n"
        "You can disable the namespace offloading 'liqoctl unoffload' command.\n"
        "Check 'liqoctl unoffload --help' for further information.\n\n"), err
    assert "Error:" not in err and "Uninstalling Liqo" not in err
    assert pg.client("london").get(builtin("namespaces"), "liqo") is not None

    code, _, err = liqoctl(capsys, monkeypatch, V1, "unoffload", "namespace", "liqo-demo", "--skip-confirm",
                           "--kubeconfig", lon)
    assert code == 0, err
    wait_until(lambda: pg.client("newyork").get(builtin("namespaces"), "liqo-demo") is None)
    with pg.world.lock:
        assert pg.world.resolve_ip(pg.world.clusters["newyork"], ip) is None
        assert pg.world.clusters["newyork"].get("services", "liqo-demo", "flights-service") is None
    # Idempotent.
    assert liqoctl(capsys, monkeypatch, V1, "unoffload", "namespace", "liqo-demo", "--skip-confirm",
                   "--kubeconfig", lon)[0] == 0

    code, _, err = liqoctl(capsys, monkeypatch, V1, "unpeer", "--kubeconfig", lon, "--remote-kubeconfig", ny)
    assert code == 0, err
    wait_until(lambda: pg.client("london").get(builtin("nodes"), "newyork") is None)
    fcr = Res("core.liqo.io", "v1beta1", "foreignclusters", False)
    wait_until(lambda: (pg.client("london").get(fcr, "newyork") or {}).get("status", {}).get("role") == "Unknown")
    for name in ("london", "newyork"):
        code, _, err = liqoctl(capsys, monkeypatch, V1, "uninstall", "--skip-confirm", "--purge",
                               "--kubeconfig", str(pg.kubeconfigs[name]))
        assert code == 0, err
        assert "INFO: Liqo uninstalled" in err
    assert pg.client("london").get(builtin("customresourcedefinitions.apiextensions.k8s.io"),
                                   "foreignclusters.core.liqo.io") is None


def test_v0_full_flow(playground: Playground, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch, kubectl_bin: str) -> None:
    pg = playground
    lon, ny = str(pg.kubeconfigs["london"]), str(pg.kubeconfigs["newyork"])
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "generate", "peer-command", "--only-command", "--kubeconfig", ny)
    assert code == 1 and out.startswith("ERRO: Failed to retrieve peering information:")
    install(capsys, monkeypatch, pg, V0)
    cm = pg.client("newyork").get(builtin("configmaps"), "liqo-clusterid-configmap", "liqo")
    assert cm is not None and cm["data"]["CLUSTER_NAME"] == "newyork" and len(cm["data"]["CLUSTER_ID"]) == 36

    def peer_command() -> str | None:
        c, o, _e = liqoctl(capsys, monkeypatch, V0, "generate", "peer-command", "--only-command", "--kubeconfig", ny)
        return o if c == 0 else None
    line = str(wait_until(peer_command))
    argv = line.split()
    assert line.count("\n") == 1 and argv[:4] == ["liqoctl", "peer", "out-of-band", "newyork"]
    assert argv[4] == "--auth-url" and argv[5].startswith("https://172.18.0.")
    assert argv[6:8] == ["--cluster-id", cm["data"]["CLUSTER_ID"]]
    assert argv[8] == "--auth-token" and len(argv[9]) == 128

    # A wrong token never authenticates (the wait is scaled to 0 here).
    bad = [*argv[1:9], "0" * 128, "--kubeconfig", lon]
    code, out, err = liqoctl(capsys, monkeypatch, V0, *bad)
    assert code == 1 and err == ""
    assert 'ERRO: Authentication to the remote cluster "newyork" failed: timed out waiting for the condition' in out

    code, out, err = liqoctl(capsys, monkeypatch, V0, *argv[1:], "--kubeconfig", lon)
    assert code == 0, out
    assert err == "" and out.rstrip().endswith("INFO: Peering successfully established")
    res = kubectl(kubectl_bin, pg, "london", "get", "foreignclusters")
    assert res.returncode == 0, res.stderr
    header, row = res.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "TYPE", "OUTGOING", "PEERING", "INCOMING", "PEERING", "NETWORKING",
                              "AUTHENTICATION", "AGE"]
    assert row.split()[:6] == ["newyork", "OutOfBand", "Established", "None", "Established", "Established"]
    assert pg.client("london").get(builtin("nodes"), "liqo-newyork") is not None

    deploy_app(pg)
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "offload", "namespace", "liqo-demo", "--namespace-mapping-strategy",
                           "EnforceSameName", "--pod-offloading-strategy", "Local", "--kubeconfig", lon)
    assert code == 0 and "INFO: Offloading completed successfully" in out
    svc = wait_until(lambda: pg.client("newyork").get(builtin("services"), "flights-service", "liqo-demo"))
    assert isinstance(svc, dict)
    assert svc["metadata"]["labels"]["virtualkubelet.liqo.io/destination"] == cm["data"]["CLUSTER_ID"]

    code, out, _ = liqoctl(capsys, monkeypatch, V0, "uninstall", "--skip-confirm", "--kubeconfig", ny)
    assert code == 1 and "ERRO: Pre-uninstall checks failed: you should:" in out
    assert liqoctl(capsys, monkeypatch, V0, "unoffload", "namespace", "liqo-demo", "--skip-confirm",
                   "--kubeconfig", lon)[0] == 0
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "unpeer", "out-of-band", "newyork", "--skip-confirm",
                           "--kubeconfig", lon)
    assert code == 0, out
    assert "INFO: Foreign cluster resource successfully removed" in out
    # Not idempotent.
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "unpeer", "out-of-band", "newyork", "--skip-confirm",
                           "--kubeconfig", lon)
    assert code == 1
    assert 'ERRO: Failed unpeering clusters: foreignclusters.discovery.liqo.io "newyork" not found' in out
    wait_until(lambda: pg.client("london").get(builtin("nodes"), "liqo-newyork") is None)
    for name in ("london", "newyork"):
        code, out, _ = liqoctl(capsys, monkeypatch, V0, "uninstall", "--skip-confirm", "--kubeconfig",
                               str(pg.kubeconfigs[name]))
        assert code == 0, out


def test_enforce_same_name_with_existing_remote_namespace_fails(
        playground: Playground, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    pg = playground
    lon, ny = str(pg.kubeconfigs["london"]), str(pg.kubeconfigs["newyork"])
    install(capsys, monkeypatch, pg, V1)
    assert liqoctl(capsys, monkeypatch, V1, "peer", "--kubeconfig", lon, "--remote-kubeconfig", ny,
                   "--gw-server-service-type", "NodePort")[0] == 0
    wait_until(lambda: pg.client("london").get(builtin("nodes"), "newyork"))
    pg.client("newyork").create(builtin("namespaces"), {"kind": "Namespace", "metadata": {"name": "liqo-demo"}})
    deploy_app(pg)
    time.sleep(0.1)  # let the virtual node become Ready
    wait_until(lambda: any(c["type"] == "Ready" and c["status"] == "True" for c in
                           (pg.client("london").get(builtin("nodes"), "newyork") or {}).get("status", {}).get(
                               "conditions", [])))
    code, _, err = liqoctl(capsys, monkeypatch, V1, "offload", "namespace", "liqo-demo",
                           "--namespace-mapping-strategy", "EnforceSameName", "--kubeconfig", lon)
    assert code == 1
    assert 'ERRO: Failed waiting for offloading to complete: the offloading is in "AllFailed" state' in err


def test_v0_install_without_version_installs_latest_chart(
        playground: Playground, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    pg = playground
    ny = str(pg.kubeconfigs["newyork"])
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "install", "kind", "--cluster-name", "newyork",
                           "--cluster-labels=", "--kubeconfig", ny)
    assert code == 0, out
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "version", "--kubeconfig", ny)
    assert out == "Client version: v0.10.3\nServer version: v1.2.0\n"
    # The v1 chart has no liqo-auth: the out-of-band peering cannot even start.
    time.sleep(0.05)
    code, out, _ = liqoctl(capsys, monkeypatch, V0, "generate", "peer-command", "--only-command", "--kubeconfig", ny)
    assert code == 1 and 'secrets "auth-token" not found' in out
    # Re-running is an upgrade: a new Helm revision.
    assert liqoctl(capsys, monkeypatch, V0, "install", "kind", "--cluster-name", "newyork", "--kubeconfig", ny,
                   "--version", V0)[0] == 0
    releases = pg.client("newyork").list(builtin("secrets"), "liqo", {"owner": "helm", "name": "liqo",
                                                                     "status": "deployed"})
    assert [s["metadata"]["name"] for s in releases] == ["sh.helm.release.v1.liqo.v2"]


def test_pod_webhook_strategies_follow_mutations_go() -> None:
    """pkg/webhooks/pod/mutations.go (v1.2.0): Local changes nothing; Remote ANDs `liqo.io/type In
    virtual-node` into every selector term (an empty selector becomes that term); LocalAndRemote ORs a
    `NotIn virtual-node` term to a non-empty selector; a pod's own required terms are merged term by
    term (utils.MergeNodeSelector); the Liqo runtime class is left alone."""
    from liqo_tutor.sim.liqo.webhook import mutate_pod

    south = {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "topology.liqo.io/region", "operator": "In", "values": ["south"]}]}]}
    vn_in = {"key": "liqo.io/type", "operator": "In", "values": ["virtual-node"]}
    vn_notin = {"key": "liqo.io/type", "operator": "NotIn", "values": ["virtual-node"]}
    toleration = {"key": "virtual-node.liqo.io/not-allowed", "operator": "Exists", "effect": "NoExecute"}

    spec: dict[str, object] = {"containers": [{"name": "c", "image": "nginx"}]}
    mutate_pod({"podOffloadingStrategy": "Local", "clusterSelector": south}, spec, True)
    assert spec == {"containers": [{"name": "c", "image": "nginx"}]}

    spec = {}
    mutate_pod({"podOffloadingStrategy": "Remote", "clusterSelector": {}}, spec, True)
    assert spec["tolerations"] == [toleration]
    assert spec["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [vn_in]}]}}}

    spec = {}
    mutate_pod({"podOffloadingStrategy": "LocalAndRemote", "clusterSelector": {}}, spec, True)
    assert spec == {"tolerations": [toleration]}

    own = {"key": "app", "operator": "Exists"}
    spec = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [own]}]}}}}
    mutate_pod({"podOffloadingStrategy": "LocalAndRemote", "clusterSelector": south}, spec, False)
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]  # type: ignore[index]
    assert terms == {"nodeSelectorTerms": [
        {"matchExpressions": [own, south["nodeSelectorTerms"][0]["matchExpressions"][0]]},
        {"matchExpressions": [own, vn_notin]},
    ]}

    spec = {"runtimeClassName": "liqo"}
    mutate_pod({"podOffloadingStrategy": "Remote"}, spec, True)
    assert spec == {"runtimeClassName": "liqo"}

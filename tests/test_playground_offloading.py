"""Pod offloading across three clusters by hand (issue 12), both Liqo lines.

Only the simulated kind/liqoctl and the REAL kubectl run here. Each expectation is what Liqo's source
says a user sees:
- virtual nodes: pkg/virtualKubelet/liqoNodeProvider/setup.go (labels, taint); v1 names and labels via
  ResourceSlice status -> VirtualNode (offloading/forge/virtualnode.go, remoteresourceslice-controller/
  slicestatus.go), v0 via ResourceOffer (resource-request-controller/offerUpdater.go) and
  `liqo-<name>` (resourceoffer-controller getVirtualNodeName);
- the pod webhook: pkg/webhooks/pod/mutations.go (v0: pkg/liqo-controller-manager/webhooks/pod/);
- NamespaceOffloading status: namespaceoffloading-controller/status.go and clusterselector.go;
- pod reflection: pkg/virtualKubelet/reflection/workload/podns.go, forge/pods.go, the ShadowPod
  controller; events: pkg/virtualKubelet/forge/events.go;
- `liqoctl offload namespace --selector`: pkg/liqoctl/offload/handler.go (ParseClusterSelectors).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from lines_cli import hermetic_env, require_kubectl
from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
from liqo_tutor.sim.client import stop

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
T = TypeVar("T")

REGIONS = {"venice": "north", "florence": "center", "naples": "south"}
SOUTH_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app-south}
spec:
  selector: {matchLabels: {app: south}}
  template:
    metadata: {labels: {app: south}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions: [{key: liqo.io/type, operator: In, values: [virtual-node]}]
      containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: Service
metadata: {name: app-south}
spec:
  selector: {app: south}
  ports: [{port: 80, targetPort: 80}]
"""
CENTER_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: app-center}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: topology.liqo.io/region, operator: In, values: [center]}]
  containers: [{name: nginx, image: nginx}]
"""
SPREAD_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 2
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector: {matchLabels: {app: spread}}
      containers: [{name: nginx, image: nginx}]
"""


class Shell:
    """argv lists (never a shell) in the playground's environment; `--kubeconfig` per cluster."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env

    def __call__(
        self, cmd: str, *, on: str = "venice", ok: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = shlex.split(cmd)
        if argv[0] in ("kubectl", "liqoctl") and "--kubeconfig" not in argv:
            argv[1:1] = ["--kubeconfig", f"kc_{on}"]
        res = subprocess.run(
            argv,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            input=stdin if stdin is not None else "",
        )
        if ok:
            assert res.returncode == 0, f"{cmd} on {on}\nstdout: {res.stdout}\nstderr: {res.stderr}"
        return res

    def json(self, cmd: str, on: str = "venice") -> Any:
        return json.loads(self(cmd + " -o json", on=on).stdout)


def until(fn: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll `fn` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _kind_config(workdir: Path, name: str, v0: bool) -> Path:
    """The line's example config; naples gets its own pod subnet, florence a single node."""
    base = yaml.safe_load((REPO / "manifests" / ("kind-v0.yaml" if v0 else "kind-v1.yaml")).read_text())
    if name == "naples":
        base["networking"]["podSubnet"] = "10.210.0.0/16"
    if name == "florence":
        base["nodes"] = base["nodes"][:1]
    path = workdir / f"kind-{name}.yaml"
    path.write_text(yaml.safe_dump(base))
    return path


@pytest.fixture(scope="module", params=["v1.2.0", "v0.10.3"])
def three(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Shell, str]]:
    """venice consumes florence (region center) and naples (region south).

    One playground per Liqo line serves the module's tests: each works in a namespace of its own
    (demo, spread) or only reads what the others do not touch (virtual nodes, Liqo's pods, peerings)."""
    require_kubectl()
    version = str(request.param)
    v0 = version.startswith("v0")
    workdir = tmp_path_factory.mktemp("three")
    simdir = simdir_for(workdir)
    ensure_bin(simdir)
    # Module-scoped: the autouse hermetic fixture is not there yet, so the environment is built here.
    env = hermetic_env(tmp_path_factory.mktemp("home"), version)
    env.update(sim_env(simdir, workdir))
    sh = Shell(workdir, env)
    try:
        id_flag = "--cluster-name" if v0 else "--cluster-id"
        for name, region in REGIONS.items():
            config = _kind_config(workdir, name, v0)
            sh(f"kind create cluster --name {name} --kubeconfig kc_{name} --config {config}")
            sh(
                f"liqoctl install kind {id_flag} {name} --cluster-labels topology.liqo.io/region={region} "
                f"--version {version}",
                on=name,
            )
        for provider in ("florence", "naples"):
            if v0:
                cmd = sh("liqoctl generate peer-command --only-command", on=provider).stdout
                sh(shlex.join(shlex.split(cmd)))
            else:
                sh(f"liqoctl peer --remote-kubeconfig kc_{provider} --gw-server-service-type NodePort")
        yield sh, version
    finally:
        stop(simdir)


def _vnode(name: str, version: str) -> str:
    return f"liqo-{name}" if version.startswith("v0") else name


def test_virtual_nodes_carry_the_providers_labels(three: tuple[Shell, str]) -> None:
    sh, version = three
    for name, region in (("florence", "center"), ("naples", "south")):
        node = _vnode(name, version)
        sh(f"kubectl wait --for=condition=Ready node/{node} --timeout=60s")
        got = sh(f"kubectl get nodes -l topology.liqo.io/region={region} -o name").stdout
        assert got == f"node/{node}\n"
        obj = sh.json(f"kubectl get node {node}")
        labels = obj["metadata"]["labels"]
        assert labels["liqo.io/type"] == "virtual-node"
        assert labels["kubernetes.io/role"] == "agent"
        assert labels["liqo.io/provider"] == "kind"
        assert labels["liqo.io/remote-cluster-id"]
        # v1.2.0 liqoNodeProvider/utils.go, v0.10.3 reconciler.go: the provider shares its storage classes.
        assert labels["storage.liqo.io/available"] == "true"
        assert obj["spec"]["taints"] == [
            {"key": "virtual-node.liqo.io/not-allowed", "value": "true", "effect": "NoExecute"}
        ]
        assert obj["status"]["capacity"]["pods"]
        if not version.startswith("v0"):  # values.yaml offloading.defaultNodeResources at v1.2.0
            assert obj["status"]["capacity"] == {
                "cpu": "4",
                "memory": "8Gi",
                "pods": "110",
                "ephemeral-storage": "20Gi",
            }
        conds = {c["type"]: (c["status"], c.get("reason")) for c in obj["status"]["conditions"]}
        assert conds["Ready"] == ("True", "KubeletReady")  # liqoNodeProvider/conditions.go
        assert conds["NetworkUnavailable"] == ("False", "LiqoNetworkingUp")
    roles = sh("kubectl get nodes -l kubernetes.io/role=agent -o name").stdout.split()
    assert sorted(roles) == sorted(f"node/{_vnode(n, version)}" for n in ("florence", "naples"))


def test_offloading_with_a_selector_runs_pods_in_the_selected_provider(three: tuple[Shell, str]) -> None:
    sh, version = three
    for name in ("florence", "naples"):
        sh(f"kubectl wait --for=condition=Ready node/{_vnode(name, version)} --timeout=60s")
    sh("kubectl create namespace demo")
    sh(
        "liqoctl offload namespace demo --pod-offloading-strategy LocalAndRemote "
        "--namespace-mapping-strategy EnforceSameName --selector topology.liqo.io/region=south"
    )
    nso = yaml.safe_load(sh("kubectl get namespaceoffloadings offloading -n demo -o yaml").stdout)
    assert nso["spec"]["clusterSelector"] == {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "topology.liqo.io/region", "operator": "In", "values": ["south"]}]}
        ]
    }
    status = nso["status"]
    assert status["offloadingPhase"] == "Ready" and status["remoteNamespaceName"] == "demo"
    conds = status["remoteNamespacesConditions"]
    by_cluster = {next(k for k in conds if k.startswith(n)): n for n in ("florence", "naples")}
    south = conds[next(k for k, n in by_cluster.items() if n == "naples")]
    center = conds[next(k for k, n in by_cluster.items() if n == "florence")]
    assert [(c["type"], c["status"], c["reason"]) for c in south] == [
        ("OffloadingRequired", "True", "ClusterSelected"),
        ("Ready", "True", "NamespaceCreated"),
    ]
    assert [(c["type"], c["status"], c["reason"]) for c in center] == [
        ("OffloadingRequired", "False", "ClusterNotSelected")
    ]
    sh("kubectl get namespace demo", on="naples")
    missing = sh("kubectl get namespace demo", on="florence", ok=False)
    assert missing.returncode == 1 and 'namespaces "demo" not found' in missing.stderr

    sh("kubectl apply -n demo -f -", stdin=SOUTH_APP)
    sh("kubectl wait --for=condition=Available deployment/app-south -n demo --timeout=60s")
    pod = sh.json("kubectl get pods -n demo -l app=south")["items"][0]
    name = pod["metadata"]["name"]
    assert pod["spec"]["nodeName"] == _vnode("naples", version)
    # The webhook (LocalAndRemote + selector): toleration, and the selector OR'ed with local nodes.
    assert {"key": "virtual-node.liqo.io/not-allowed", "operator": "Exists", "effect": "NoExecute"} in pod[
        "spec"
    ]["tolerations"]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert [[e["key"] for e in t["matchExpressions"]] for t in terms["nodeSelectorTerms"]] == [
        ["liqo.io/type", "topology.liqo.io/region"],
        ["liqo.io/type", "liqo.io/type"],
    ]
    remote = sh.json("kubectl get pods -n demo", on="naples")["items"]
    assert [p["metadata"]["name"] for p in remote] == [name]
    assert remote[0]["status"]["phase"] == "Running"
    assert remote[0]["status"]["podIP"].startswith("10.210."), "a pod IP of naples' pod CIDR"
    assert remote[0]["spec"]["nodeName"].startswith("naples-"), "a node of naples runs it"
    local_ip = pod["status"]["podIP"]
    # naples' pod CIDR does not overlap venice's: Liqo keeps it (florence's, the same as venice's, is remapped).
    assert local_ip == remote[0]["status"]["podIP"]
    florence_pods = sh("kubectl get pods -A -l app=south", on="florence")
    assert florence_pods.stdout == ""

    if not version.startswith("v0"):  # v1 reflects the provider's events back (reflection/event/event.go)
        remote_msgs = until(
            lambda: [
                e["message"]
                for e in sh.json("kubectl get events -n demo")["items"]
                if e["source"].get("component", "").endswith(" (remote)")
            ]
        )
        assert any(f"{name} to naples-" in m for m in remote_msgs), remote_msgs
    # Reflection is visible as events on the consumer's pod.
    reasons = sh("kubectl get events -n demo -o jsonpath={.items[*].reason}").stdout.split()
    assert "SuccessfulReflection" in reasons
    on_service = until(
        lambda: (
            sh(
                """kubectl get events -n demo -o jsonpath='{.items[?(@.involvedObject.kind=="Service")].message}'"""
            ).stdout
        )
    )
    assert on_service == 'Successfully reflected object to cluster "naples"'  # v1: its ID, v0: its name

    # A request from a consumer pod to the Service is served by the remote pod (its endpoint).
    until(
        lambda: (
            local_ip
            in sh(
                "kubectl get endpointslices -n demo -l kubernetes.io/service-name=app-south "
                "-o jsonpath={.items[*].endpoints[*].addresses[*]}"
            ).stdout
        )
    )
    image = "dwdraju/alpine-curl-jq" if version.startswith("v0") else "curlimages/curl"
    sh(f"kubectl run probe --image {image} --restart=Never -- curl -s http://app-south.demo")
    sh("kubectl wait --for=jsonpath={.status.phase}=Succeeded pod/probe --timeout=60s")
    assert "Welcome to nginx!" in sh("kubectl logs probe").stdout

    # A pod whose affinity only florence's region satisfies fits nowhere: the selector excludes florence.
    sh("kubectl apply -n demo -f -", stdin=CENTER_POD)
    until(
        lambda: (
            sh("kubectl get pod app-center -n demo -o jsonpath={.status.conditions[0].reason}").stdout
            == "Unschedulable"
        )
    )
    assert sh("kubectl get pod app-center -n demo -o jsonpath={.status.phase}").stdout == "Pending"
    message = sh("kubectl get pod app-center -n demo -o jsonpath={.status.conditions[0].message}").stdout
    assert message.startswith("0/") and "nodes are available" in message, message

    # Deleting the remote pod: the ShadowPod controller creates it again; the consumer's pod stays.
    uid = remote[0]["metadata"]["uid"]
    sh(f"kubectl delete pod {name} -n demo", on="naples")
    until(
        lambda: (
            uid
            not in sh(
                f"kubectl get pod {name} -n demo -o jsonpath={{.metadata.uid}}", on="naples", ok=False
            ).stdout
            and sh(
                f"kubectl get pod {name} -n demo -o jsonpath={{.status.phase}}", on="naples", ok=False
            ).stdout
            == "Running"
        )
    )
    assert (
        sh(f"kubectl get pod {name} -n demo -o jsonpath={{.metadata.uid}}").stdout == pod["metadata"]["uid"]
    )
    # Deleting the consumer's pod removes the remote one; its Deployment recreates both.
    sh(f"kubectl delete pod {name} -n demo")
    until(lambda: name not in sh("kubectl get pods -n demo -o name", on="naples").stdout)
    sh("kubectl wait --for=condition=Available deployment/app-south -n demo --timeout=60s")


def test_topology_spread_puts_one_replica_per_provider(three: tuple[Shell, str]) -> None:
    sh, version = three
    for name in ("florence", "naples"):
        sh(f"kubectl wait --for=condition=Ready node/{_vnode(name, version)} --timeout=60s")
    sh("kubectl create namespace spread")
    sh(
        "liqoctl offload namespace spread --pod-offloading-strategy Remote --namespace-mapping-strategy EnforceSameName"
    )
    sh("kubectl apply -n spread -f -", stdin=SPREAD_APP)
    sh("kubectl wait --for=condition=Available deployment/spread -n spread --timeout=60s")
    pods = sh.json("kubectl get pods -n spread -l app=spread")["items"]
    assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(
        _vnode(n, version) for n in ("florence", "naples")
    )
    for provider in ("florence", "naples"):
        remote = sh.json("kubectl get pods -n spread", on=provider)["items"]
        assert len(remote) == 1 and remote[0]["status"]["phase"] == "Running"
        local = next(p for p in pods if p["metadata"]["name"] == remote[0]["metadata"]["name"])
        if provider == "florence":  # same pod CIDR as venice: remapped by the IPAM
            assert local["status"]["podIP"] != remote[0]["status"]["podIP"]
            assert not local["status"]["podIP"].startswith("10.200.")
        else:
            assert local["status"]["podIP"] == remote[0]["status"]["podIP"]

    # A one-shot pod (Remote: only virtual nodes) runs remotely; its phase and logs come back.
    sh("kubectl run hello -n spread --image busybox --restart=Never -- echo hello from the provider")
    sh("kubectl wait --for=jsonpath={.status.phase}=Succeeded pod/hello -n spread --timeout=60s")
    node = sh("kubectl get pod hello -n spread -o jsonpath={.spec.nodeName}").stdout
    provider = next(n for n in ("florence", "naples") if _vnode(n, version) == node)
    assert sh("kubectl logs hello -n spread").stdout == "hello from the provider\n"
    assert sh("kubectl logs hello -n spread", on=provider).stdout == "hello from the provider\n"
    assert (
        sh(
            "kubectl get pods -n spread -o name", on=next(n for n in ("florence", "naples") if n != provider)
        ).stdout.count("hello")
        == 0
    )


def test_liqoctl_reports_the_peerings(three: tuple[Shell, str]) -> None:
    """v1: `liqoctl info` / `info peer` (pkg/liqoctl/info); v0: `liqoctl status` / `status peer`
    (pkg/liqoctl/status); Liqo's own pods as the chart and the controllers create them."""
    sh, version = three
    for name in ("florence", "naples"):
        sh(f"kubectl wait --for=condition=Ready node/{_vnode(name, version)} --timeout=60s")
    pods = sh("kubectl get pods -n liqo -o name").stdout.split()
    prefixes = {
        p.split("/")[1].rsplit("-", 2 if "fabric" not in p and "route" not in p else 1)[0] for p in pods
    }
    if version.startswith("v0"):
        assert sh("liqoctl info", ok=False).stderr == 'Error: unknown command "info" for "liqoctl"\n'
        out = sh("liqoctl status").stdout
        assert "✔ liqo control plane namespace liqo exists" in out
        assert "liqo-controller-manager: Desired: 1, Ready: 1/1, Available: 1/1" in out
        assert "topology.liqo.io/region: north" in out and "Cluster name: venice" in out
        peer = sh("liqoctl status peer naples").stdout
        assert "Outgoing: Established" in peer and "Total acquired" in peer
        assert "florence" not in peer
        assert {"liqo-auth", "liqo-gateway", "liqo-network-manager", "liqo-route"} <= prefixes
        vks = sh(
            "kubectl get deployments -A -l app.kubernetes.io/name=virtual-kubelet -o name"
        ).stdout.split()
        assert sorted(vks) == ["deployment.apps/vk-liqo-florence", "deployment.apps/vk-liqo-naples"]
        return
    out = sh("liqoctl info").stdout.splitlines()
    assert out[0].startswith("─ Local installation info ─") and len(out[0]) == 82
    assert "  Cluster ID:     venice" in out and "  ✔    Liqo is healthy" in out
    assert "      topology.liqo.io/region: north" in out
    assert out[out.index("  naples") + 1].split() == ["Role:", "Provider"]
    assert sh("liqoctl info --get clusterid").stdout == "venice\n"
    data = json.loads(sh("liqoctl info -o json").stdout)
    assert data["local"]["labels"]["topology.liqo.io/region"] == "north"
    assert sorted((p["clusterID"], p["offloadingStatus"]) for p in data["peerings"]["peers"]) == [
        ("florence", "Healthy"),
        ("naples", "Healthy"),
    ]
    peer = sh("liqoctl info peer naples").stdout
    assert "─ Offloading ─" in peer and "Secret:         kubeconfig-resourceslice-naples" in peer
    assert sh("liqoctl info peer naples --get offloading.status").stdout == "Healthy\n"
    missing = sh("liqoctl info peer rome", ok=False)
    assert missing.returncode == 1 and 'Peer clusters "rome" not found in active peerings' in missing.stderr
    assert prefixes == {
        "liqo-controller-manager",
        "liqo-crd-replicator",
        "liqo-fabric",
        "liqo-ipam",
        "liqo-metric-agent",
        "liqo-proxy",
        "liqo-webhook",
    }
    assert len([p for p in pods if "liqo-fabric" in p]) == 2, "one fabric pod per node of venice"
    gws = sh(
        "kubectl get pods -A -l networking.liqo.io/component=gateway -o jsonpath={.items[*].metadata.namespace}"
    )
    assert sorted(gws.stdout.split()) == ["liqo-tenant-florence", "liqo-tenant-naples"]
    node_ip = sh("kubectl get node naples -o jsonpath={.status.addresses[0].address}").stdout
    vk_ip = sh(
        "kubectl get pods -n liqo-tenant-naples -l liqo.io/virtual-node=naples "
        "-o jsonpath={.items[0].status.podIP}"
    ).stdout
    assert node_ip and node_ip == vk_ip, "the virtual node's address is its virtual kubelet's pod IP"

"""The simulated API server driven by the REAL kubectl: discovery, apply, tables, errors, watch, CRDs."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from liqo_tutor.sim.apiserver import ApiServerHandle, serve_cluster, strategic_merge
from liqo_tutor.sim.controllers import register
from liqo_tutor.sim.kinds import human_duration
from liqo_tutor.sim.store import ApiError, ClusterSpec, World
from sim_world import reconciling

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "manifests" / "app.yaml"


@dataclass
class Sim:
    world: World
    handle: ApiServerHandle
    kubeconfig: Path
    home: Path
    kubectl_bin: str

    def kubectl(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin"}
        return subprocess.run(
            [self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )


def _kubeconfig(path: Path, url: str) -> None:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: kind-london\n  cluster:\n    server: {url}\n"
        "users:\n- name: kind-london\n  user:\n    token: not-a-secret\n"
        "contexts:\n- name: kind-london\n  context:\n    cluster: kind-london\n    user: kind-london\n"
        "current-context: kind-london\npreferences: {}\n"
    )


@pytest.fixture
def sim(tmp_path: Path, kubectl_bin: str, request: pytest.FixtureRequest) -> Iterator[Sim]:
    version = getattr(request, "param", "v1.30.0")
    world = World(seed="test")
    register(world)
    cluster = world.add_cluster(
        ClusterSpec(
            name="london",
            k8s_version=version,
            nodes=(("london-control-plane", "control-plane"), ("london-worker", "worker")),
        )
    )
    world.reconcile()
    handle = serve_cluster(world, cluster)
    kubeconfig = tmp_path / "london.kubeconfig"
    _kubeconfig(kubeconfig, handle.url)
    home = tmp_path / "home"
    home.mkdir()
    try:
        with reconciling(world):
            yield Sim(world, handle, kubeconfig, home, kubectl_bin)
    finally:
        handle.shutdown()


def test_version_and_discovery_cache_isolated(sim: Sim) -> None:
    out = sim.kubectl("version")
    assert out.returncode == 0, out.stderr
    assert "Server Version: v1.30.0" in out.stdout
    assert "Client Version: v1.30." in out.stdout
    out = sim.kubectl("get", "nodes")
    assert out.returncode == 0
    assert list((sim.home / ".kube" / "cache" / "discovery").iterdir())  # cache stays in this test's HOME
    header, *rows = out.stdout.splitlines()
    assert header.split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert rows[0].split()[:3] == ["london-control-plane", "Ready", "control-plane"]
    assert rows[1].split()[:3] == ["london-worker", "Ready", "<none>"]


def test_create_namespace_and_already_exists(sim: Sim) -> None:
    out = sim.kubectl("create", "namespace", "liqo-demo")
    assert (out.returncode, out.stdout, out.stderr) == (0, "namespace/liqo-demo created\n", "")
    out = sim.kubectl("create", "namespace", "liqo-demo")
    assert out.returncode == 1
    assert out.stderr == 'Error from server (AlreadyExists): namespaces "liqo-demo" already exists\n'
    out = sim.kubectl("get", "namespace", "liqo-demo", "-o", "jsonpath={.metadata.labels}")
    assert json.loads(out.stdout) == {"kubernetes.io/metadata.name": "liqo-demo"}


def test_apply_wait_rollout_tables_and_selectors(sim: Sim, tmp_path: Path) -> None:
    assert sim.kubectl("create", "namespace", "liqo-demo").returncode == 0
    out = sim.kubectl("get", "pods", "-n", "liqo-demo")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "No resources found in liqo-demo namespace.\n")
    out = sim.kubectl("apply", "-f", str(APP), "-n", "liqo-demo")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "deployment.apps/flights-service created\nservice/flights-service created\n"
    out = sim.kubectl("apply", "-f", str(APP), "-n", "liqo-demo")
    assert out.stdout == "deployment.apps/flights-service unchanged\nservice/flights-service unchanged\n"
    edited = tmp_path / "app.yaml"
    edited.write_text(
        APP.read_text().replace("image: liqo/flights-service", "image: liqo/flights-service:v2")
    )
    out = sim.kubectl("apply", "-f", str(edited), "-n", "liqo-demo")
    assert out.stdout == "deployment.apps/flights-service configured\nservice/flights-service unchanged\n"

    out = sim.kubectl(
        "wait", "--for=condition=Available", "deployment/flights-service", "-n", "liqo-demo", "--timeout=20s"
    )
    assert (out.returncode, out.stdout) == (0, "deployment.apps/flights-service condition met\n"), out.stderr
    out = sim.kubectl("rollout", "status", "deployment/flights-service", "-n", "liqo-demo", "--timeout=20s")
    assert out.returncode == 0
    assert out.stdout.endswith('deployment "flights-service" successfully rolled out\n')

    out = sim.kubectl("get", "services", "-n", "liqo-demo")
    header, row = out.stdout.splitlines()
    assert header.split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    name, stype, ip, ext, ports, _age = row.split()
    assert (name, stype, ext, ports) == ("flights-service", "ClusterIP", "<none>", "7999/TCP")
    assert ipaddress.ip_address(ip) in ipaddress.ip_network("10.96.0.0/16")
    assert ip != "10.96.0.1"
    out = sim.kubectl("get", "svc", "kubernetes", "-n", "default", "-o", "jsonpath={.spec.clusterIP}")
    assert out.stdout == "10.96.0.1"
    out = sim.kubectl("get", "svc", "-n", "liqo-demo", "-o", "wide")
    assert out.stdout.splitlines()[0].split()[-1] == "SELECTOR"
    assert out.stdout.splitlines()[1].split()[-1] == "run=flights-service"

    out = sim.kubectl("get", "deploy", "-n", "liqo-demo")
    assert out.stdout.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert out.stdout.splitlines()[1].split()[:4] == ["flights-service", "1/1", "1", "1"]
    out = sim.kubectl("get", "pods", "-n", "liqo-demo", "-l", "run=flights-service", "-o", "name")
    names = out.stdout.split()
    assert len(names) == 1 and names[0].startswith("pod/flights-service-")
    assert sim.kubectl("get", "pods", "-n", "liqo-demo", "-l", "run in (x,y)", "-o", "name").stdout == ""
    assert (
        sim.kubectl("get", "pods", "-n", "liqo-demo", "-l", "run notin (x),run", "-o", "name").stdout.split()
        == names
    )
    assert (
        sim.kubectl(
            "get", "pods", "-n", "liqo-demo", "--field-selector", "status.phase=Running", "-o", "name"
        ).stdout.split()
        == names
    )
    out = sim.kubectl("get", "pods", "-n", "liqo-demo", "-o", "json")
    data = json.loads(out.stdout)
    assert data["kind"] == "List"
    assert data["items"][0]["spec"]["containers"][0]["image"] == "liqo/flights-service:v2"
    assert data["items"][0]["status"]["phase"] == "Running"
    out = sim.kubectl(
        "get",
        "endpointslices",
        "-n",
        "liqo-demo",
        "-l",
        "kubernetes.io/service-name=flights-service",
        "-o",
        "jsonpath={.items[*].ports[*].port}",
    )
    assert out.stdout == "7999"


def test_not_found_wording(sim: Sim) -> None:
    assert sim.kubectl("create", "namespace", "demo").returncode == 0
    out = sim.kubectl("get", "deployment", "x", "-n", "demo")
    assert (out.returncode, out.stderr) == (
        1,
        'Error from server (NotFound): deployments.apps "x" not found\n',
    )
    out = sim.kubectl("get", "deployment", "x", "-n", "missing")
    assert out.stderr == 'Error from server (NotFound): namespaces "missing" not found\n'
    out = sim.kubectl("get", "foreignclusters")
    assert out.stderr == 'error: the server doesn\'t have a resource type "foreignclusters"\n'


def test_delete_namespace_removes_content(sim: Sim) -> None:
    assert sim.kubectl("create", "namespace", "gone").returncode == 0
    assert sim.kubectl("apply", "-f", str(APP), "-n", "gone").returncode == 0
    out = sim.kubectl("delete", "namespace", "gone", "--timeout=20s")
    assert (out.returncode, out.stdout) == (0, 'namespace "gone" deleted\n'), out.stderr
    out = sim.kubectl("get", "namespace", "gone")
    assert out.stderr == 'Error from server (NotFound): namespaces "gone" not found\n'
    with sim.world.lock:
        cluster = sim.world.clusters["london"]
        assert not [p for p in cluster.list("pods") if p["metadata"]["namespace"] == "gone"]


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foreignclusters.discovery.liqo.io
spec:
  group: discovery.liqo.io
  names: {kind: ForeignCluster, listKind: ForeignClusterList, plural: foreignclusters,
          singular: foreigncluster, categories: [liqo]}
  scope: Cluster
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources: {status: {}}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns:
    - {name: Type, type: string, jsonPath: .spec.peeringType}
    - {name: Outgoing peering, type: string,
       jsonPath: '.status.peeringConditions[?(@.type=="OutgoingPeering")].status'}
    - {name: ClusterID, type: string, jsonPath: .spec.clusterIdentity.clusterID, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
"""
FC = """\
apiVersion: discovery.liqo.io/v1alpha1
kind: ForeignCluster
metadata: {name: newyork}
spec: {peeringType: OutOfBand, clusterIdentity: {clusterID: abc-123, clusterName: newyork}}
"""


def test_crd_printer_columns_status_and_removal(sim: Sim, tmp_path: Path) -> None:
    (tmp_path / "crd.yaml").write_text(CRD)
    (tmp_path / "fc.yaml").write_text(FC)
    assert sim.kubectl("apply", "-f", str(tmp_path / "crd.yaml")).returncode == 0
    out = sim.kubectl("apply", "-f", str(tmp_path / "fc.yaml"))
    assert out.stdout == "foreigncluster.discovery.liqo.io/newyork created\n", out.stderr
    out = sim.kubectl(
        "patch",
        "foreignclusters",
        "newyork",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"peeringConditions":[{"type":"OutgoingPeering","status":"Established"}]}}',
    )
    assert out.returncode == 0, out.stderr
    out = sim.kubectl("get", "foreignclusters")
    header, row = out.stdout.splitlines()
    assert re.split(r"\s{3,}", header)[:4] == ["NAME", "TYPE", "OUTGOING PEERING", "AGE"]
    assert row.split()[:3] == ["newyork", "OutOfBand", "Established"]
    wide = sim.kubectl("get", "liqo", "-o", "wide").stdout
    assert "CLUSTERID" in wide and "abc-123" in wide
    assert sim.kubectl("get", "crd").stdout.splitlines()[0].split() == ["NAME", "CREATED", "AT"]
    assert sim.kubectl("delete", "crd", "foreignclusters.discovery.liqo.io").returncode == 0
    with sim.world.lock:
        assert sim.world.clusters["london"].kind_for("foreignclusters") is None


def test_unknown_image_backoff_and_logs_error(sim: Sim) -> None:
    out = sim.kubectl("run", "bad", "--image=nginx-does-not-exist", "--restart=Never")
    assert out.stdout == "pod/bad created\n"
    out = sim.kubectl(
        "wait",
        "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=ImagePullBackOff",
        "pod/bad",
        "--timeout=20s",
    )
    assert out.returncode == 0, out.stderr
    assert sim.kubectl("get", "pod", "bad").stdout.splitlines()[1].split()[:3] == [
        "bad",
        "0/1",
        "ImagePullBackOff",
    ]
    out = sim.kubectl("logs", "bad")
    assert out.returncode == 1
    assert out.stderr == (
        'Error from server (BadRequest): container "bad" in pod "bad" is waiting to start: '
        "trying and failing to pull image\n"
    )


def test_store_roundtrip_and_conflict() -> None:
    world = World(seed="rt")
    register(world)
    cluster = world.add_cluster(ClusterSpec(name="newyork"))
    cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
    svc = cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s", "namespace": "x"},
            "spec": {"selector": {"a": "b"}, "ports": [{"port": 80}]},
        }
    )
    world.reconcile()
    clone = World.from_json(json.loads(json.dumps(world.to_json())))
    again = clone.clusters["newyork"]
    assert again.rv == cluster.rv
    assert again.get("services", "x", "s") == cluster.get("services", "x", "s")
    stale = dict(svc)
    stale["metadata"] = {**svc["metadata"], "resourceVersion": "1"}
    with pytest.raises(ApiError) as err:
        cluster.update(stale)
    assert err.value.code == 409


def test_strategic_merge_keys_and_directives() -> None:
    live = {
        "spec": {
            "containers": [
                {"name": "a", "image": "x", "env": [{"name": "E", "value": "1"}]},
                {"name": "b", "image": "y"},
            ]
        }
    }
    patch = {
        "spec": {
            "containers": [
                {"name": "a", "env": [{"name": "F", "value": "2"}]},
                {"name": "b", "$patch": "delete"},
            ]
        }
    }
    out = strategic_merge(live, patch)
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "x", "env": [{"name": "E", "value": "1"}, {"name": "F", "value": "2"}]}
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(5, "5s"), (61, "61s"), (192, "3m12s"), (600, "10m"), (3 * 3600 + 60, "3h1m"), (49 * 3600, "2d1h")],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize("sim", ["v1.28.0", "v1.33.0"], indirect=True)
def test_other_kubectl_versions(sim: Sim) -> None:
    out = sim.kubectl("version")
    minor = sim.world.clusters["london"].spec.k8s_version.split(".")[1]
    assert f"Client Version: v1.{minor}." in out.stdout
    assert sim.kubectl("create", "namespace", "liqo-demo").returncode == 0
    out = sim.kubectl("apply", "-f", str(APP), "-n", "liqo-demo")
    assert out.returncode == 0, out.stderr
    out = sim.kubectl(
        "wait", "--for=condition=Available", "deployment/flights-service", "-n", "liqo-demo", "--timeout=20s"
    )
    assert out.returncode == 0, out.stderr

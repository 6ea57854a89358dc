"""Pods, Services and virtual nodes: the built-in side of the seam with Liqo's virtual kubelet.

The scheduler binds to any Node, virtual ones included, honouring their taint; the local kubelet
does not run a pod bound to a node labelled liqo.io/type=virtual-node; Endpoints and EndpointSlices
list it once its status carries a pod IP; a request to the Service reaches the remote pod through
the world's route resolvers. A stand-in virtual kubelet (the test's, not Liqo's) plays the remote
side: it follows liqo v1.2.0 pkg/virtualKubelet (same pod name remotely, status reflected back with
the remote IP remapped); the virtual node is labelled and tainted as
pkg/virtualKubelet/liqoNodeProvider/setup.go does."""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqo_tutor.sim.store import Obj, PodRef, World, now_iso
from sim_world import Kube, Playground, playground, poll

VNODE = "liqo-milan"
REMAP = ipaddress.ip_network("10.71.0.0/16")


def _virtual_node() -> Obj:
    t = now_iso()
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": VNODE,
            "labels": {
                "liqo.io/type": "virtual-node",
                "liqo.io/remote-cluster-id": "milan",
                "kubernetes.io/hostname": VNODE,
                "kubernetes.io/role": "agent",
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/exclude-from-external-load-balancers": "true",
            },
        },
        "spec": {
            "taints": [{"key": "virtual-node.liqo.io/not-allowed", "value": "true", "effect": "NoExecute"}]
        },
        "status": {
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastTransitionTime": t}
            ],
        },
    }


def _remap(ip: str) -> str:
    return str(REMAP.network_address + (int(ipaddress.ip_address(ip)) & 0xFFFF))


class StandInVirtualKubelet:
    """Runs pods of namespace `demo` bound to VNODE as pods of cluster milan, reflects the status back."""

    def __init__(self) -> None:
        self.enabled = False

    def reconcile(self, world: World, now: float) -> bool:
        if not self.enabled or "milan" not in world.clusters:
            return False
        rome, milan = world.clusters["rome"], world.clusters["milan"]
        changed = False
        for pod in rome.list("pods", "demo"):
            if pod["spec"].get("nodeName") != VNODE or pod["metadata"].get("deletionTimestamp"):
                continue
            name = pod["metadata"]["name"]
            remote = milan.get("pods", "demo", name)
            if remote is None and not (pod.get("status") or {}).get("podIP"):
                spec = {
                    k: v for k, v in copy.deepcopy(pod["spec"]).items() if k not in ("nodeName", "affinity")
                }
                spec["tolerations"] = []
                milan.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "demo"},
                              "spec": spec})  # fmt: skip
                changed = True
            elif (
                remote is not None
                and (remote.get("status") or {}).get("podIP")
                and not pod["status"].get("podIP")
            ):
                status = copy.deepcopy(remote["status"])
                status["podIP"] = _remap(status["podIP"])
                status["podIPs"] = [{"ip": status["podIP"]}]
                rome.update_status("pods", "demo", name, status)
                changed = True
        return changed

    @staticmethod
    def resolve(world: World, from_cluster: object, ip: str) -> PodRef | None:
        if getattr(from_cluster, "name", "") != "rome" or ipaddress.ip_address(ip) not in REMAP:
            return None
        for pod in world.clusters["milan"].list("pods", "demo"):
            if _remap((pod.get("status") or {}).get("podIP") or "0.0.0.0") == ip:
                return PodRef("milan", "demo", pod["metadata"]["name"])
        return None


@pytest.fixture
def pg(tmp_path: Path, kubectl_bin: str) -> Iterator[tuple[Playground, StandInVirtualKubelet]]:
    with playground(kubectl_bin, tmp_path) as p:
        p.add("rome", workers=2)
        p.add("milan", workers=1)
        vk = StandInVirtualKubelet()
        with p.world.lock:
            p.world.register(vk)
            p.world.add_route_resolver(lambda c, ip: vk.resolve(p.world, c, ip))
            p.cluster("rome").create(_virtual_node())
            p.cluster("rome").objects["nodes"][("", VNODE)]["status"] = _virtual_node()["status"]
        p.world.reconcile()
        for k in p.kube.values():
            k.ok("create", "namespace", "demo")
        yield p, vk


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: hello, namespace: demo}
spec:
  replicas: 1
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      tolerations:
      - {key: virtual-node.liqo.io/not-allowed, operator: Exists, effect: NoExecute}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: liqo.io/type, operator: In, values: [virtual-node]}]
      containers: [{name: hello, image: nginxdemos/hello, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: demo}
spec:
  selector: {app: hello}
  ports: [{port: 80, targetPort: 80}]
"""


def _curl(k: Kube, name: str, url: str) -> tuple[int, str]:
    k.ok("run", name, "-n", "demo", "--restart=Never", "--image=curlimages/curl", "--", "-s", url)
    poll(
        lambda: (
            k.ok("get", "pod", name, "-n", "demo", "-o", "jsonpath={.status.phase}")
            in ("Succeeded", "Failed")
        )
    )
    code = k.ok("get", "pod", name, "-n", "demo", "-o",
                "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}")  # fmt: skip
    return int(code), k.ok("logs", name, "-n", "demo")


def test_pod_on_a_virtual_node_runs_remotely_and_serves_the_service(
    pg: tuple[Playground, StandInVirtualKubelet],
) -> None:
    """tainttoleration/taint_toleration.go for the virtual node's taint; pkg/controller/endpoint and
    endpointslice list the pod by its (remapped) IP on node liqo-milan; kubectl describe service shows it."""
    p, vk = pg
    rome, milan = p.kube["rome"], p.kube["milan"]
    # No toleration: the virtual node's taint keeps the pod away, like a real cluster says.
    rome.ok("run", "stray", "-n", "demo", "--image=nginx", "--overrides",
            '{"spec":{"nodeSelector":{"liqo.io/type":"virtual-node"}}}')  # fmt: skip
    cond = poll(lambda: [c for c in rome.json("get", "pod", "stray", "-n", "demo")["status"].get("conditions") or []
                         if c.get("reason") == "Unschedulable"])  # fmt: skip
    assert cond[0]["message"] == (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) had untolerated taint {virtual-node.liqo.io/not-allowed: true}, "
        "2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: "
        "4 Preemption is not helpful for scheduling.."
    )
    rome.ok("apply", "-f", "-", stdin=DEPLOY)
    pod = poll(lambda: [x for x in rome.json("get", "pods", "-n", "demo", "-l", "app=hello")["items"]
                        if x["spec"].get("nodeName") == VNODE])[0]  # fmt: skip
    name = pod["metadata"]["name"]
    # The local kubelet leaves it alone: no IP, no container status, however often controllers run.
    for _ in range(3):
        p.world.reconcile()
    status = rome.json("get", "pod", name, "-n", "demo")["status"]
    assert status.get("phase") == "Pending" and "podIP" not in status and "containerStatuses" not in status
    assert rome.ok("get", "endpoints", "hello", "-n", "demo", "--no-headers").split()[1] == "<none>"
    # DaemonSets that tolerate everything (kube-proxy, kindnet) get a pod bound to the virtual node too.
    on_vnode = rome.ok(
        "get", "pods", "-n", "kube-system", "--field-selector", f"spec.nodeName={VNODE}", "--no-headers"
    )
    assert sorted(line.split()[0].rsplit("-", 1)[0] for line in on_vnode.splitlines()) == [
        "kindnet",
        "kube-proxy",
    ]
    vk.enabled = True
    p.world.reconcile()
    milan.ok("wait", "--for=condition=Ready", f"pod/{name}", "-n", "demo", "--timeout=20s")
    rome.ok("wait", "--for=condition=Ready", f"pod/{name}", "-n", "demo", "--timeout=20s")
    remote_ip = milan.ok("get", "pod", name, "-n", "demo", "-o", "jsonpath={.status.podIP}")
    local_ip = rome.ok("get", "pod", name, "-n", "demo", "-o", "jsonpath={.status.podIP}")
    assert local_ip == _remap(remote_ip) != remote_ip
    poll(
        lambda: (
            rome.ok("get", "endpoints", "hello", "-n", "demo", "--no-headers").split()[1] == f"{local_ip}:80"
        )
    )
    describe = rome.ok("describe", "service", "hello", "-n", "demo")
    assert f"{local_ip}:80" in describe
    slices = rome.json("get", "endpointslices", "-n", "demo", "-l", "kubernetes.io/service-name=hello")[
        "items"
    ]
    assert [(e["addresses"], e["nodeName"]) for e in slices[0]["endpoints"]] == [([local_ip], VNODE)]
    # A request to the Service from a local pod is served by the remote pod (its own IP and name).
    code, page = _curl(rome, "c1", "http://hello.demo/")
    assert code == 0 and f"{remote_ip}:80" in page and name in page
    # Without the remote pod nothing answers, though the local pod still says Ready.
    milan.ok("delete", "pod", name, "-n", "demo", "--wait=false")
    poll(lambda: not milan.json("get", "pods", "-n", "demo")["items"])
    code, _ = _curl(rome, "c2", "http://hello.demo/")
    assert code == 7

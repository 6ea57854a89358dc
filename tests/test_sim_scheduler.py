"""The simulated kube-scheduler seen through the REAL kubectl: filters, FailedScheduling, spreading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sim_world import Kube, Playground, playground, poll

PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"


@pytest.fixture
def pg(tmp_path: Path, kubectl_bin: str) -> Iterator[Playground]:
    with playground(kubectl_bin, tmp_path) as p:
        p.add("rome", workers=2)
        yield p


def _pod(name: str, spec_extra: str = "", labels: str = "") -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n"
        + (f"  labels: {labels}\n" if labels else "")
        + "spec:\n  containers:\n  - name: c\n    image: nginx\n"
        + spec_extra
    )


def _node_of(k: Kube, pod: str) -> str:
    return k.ok("get", "pod", pod, "-o", "jsonpath={.spec.nodeName}")


def _scheduled_cond(k: Kube, pod: str) -> dict[str, str]:
    conds = k.json("get", "pod", pod)["status"].get("conditions") or []
    return next((c for c in conds if c["type"] == "PodScheduled"), {})


def _pending_message(k: Kube, pod: str) -> str:
    cond = poll(lambda: _scheduled_cond(k, pod).get("message") and _scheduled_cond(k, pod))
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    return str(cond["message"])


def test_node_selector_nobody_matches_stays_pending_until_a_node_matches(pg: Playground) -> None:
    """pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go (ErrReasonPod),
    tainttoleration/taint_toleration.go, framework/types.go FitError.Error() and
    framework/preemption/preemption.go: the FailedScheduling wording, seen by kubectl get/describe."""
    k = pg.kube["rome"]
    k.ok("apply", "-f", "-", stdin=_pod("picky", "  nodeSelector:\n    disktype: ssd\n"))
    message = _pending_message(k, "picky")
    assert message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: "
        f"3 {PREEMPTION_NOT_HELPFUL}.."
    )
    assert k.ok("get", "pod", "picky", "--no-headers").split()[2] == "Pending"
    events = k.ok("get", "events", "--field-selector", "involvedObject.name=picky")
    assert "Warning   FailedScheduling   pod/picky" in events and message in events
    describe = k.ok("describe", "pod", "picky")
    assert (
        "FailedScheduling" in describe
        and "default-scheduler" in describe
        and "PodScheduled   False" in describe
    )
    # A node gains the label: the pending pod is scheduled there and runs.
    k.ok("label", "node", "rome-worker2", "disktype=ssd")
    poll(lambda: _node_of(k, "picky") == "rome-worker2")
    k.ok("wait", "--for=condition=Ready", "pod/picky", "--timeout=20s")
    assert "Successfully assigned default/picky to rome-worker2" in k.ok("get", "events")


def test_required_anti_affinity_three_replicas_two_workers_leaves_one_pending(pg: Playground) -> None:
    """interpodaffinity/filtering.go (ErrReasonAntiAffinityRulesNotMatch, Unschedulable) and
    defaultpreemption/default_preemption.go SelectVictimsOnNode ("No preemption victims found")."""
    k = pg.kube["rome"]
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: anti\nspec:\n  replicas: 3\n"
        "  selector:\n    matchLabels: {app: anti}\n  template:\n    metadata:\n      labels: {app: anti}\n"
        "    spec:\n      affinity:\n        podAntiAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "          - labelSelector: {matchLabels: {app: anti}}\n            topologyKey: kubernetes.io/hostname\n"
        "      containers: [{name: c, image: nginx}]\n"
    )
    k.ok("apply", "-f", "-", stdin=manifest)

    def phases() -> list[tuple[str, str]]:
        pods = k.json("get", "pods", "-l", "app=anti")["items"]
        return sorted((p["status"].get("phase", ""), p["spec"].get("nodeName", "")) for p in pods)

    poll(lambda: phases() == [("Pending", ""), ("Running", "rome-worker"), ("Running", "rome-worker2")])
    pending = next(p["metadata"]["name"] for p in k.json("get", "pods", "-l", "app=anti")["items"]
                   if not p["spec"].get("nodeName"))  # fmt: skip
    assert _pending_message(k, pending) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: "
        f"1 {PREEMPTION_NOT_HELPFUL}, 2 No preemption victims found for incoming pod.."
    )
    assert k.ok("get", "deploy", "anti", "--no-headers").split()[1] == "2/3"


def test_taints_tolerations_and_cordon(pg: Playground) -> None:
    """tainttoleration/taint_toleration.go (ToleratesTaint: Equal value, Exists, effect) and
    nodeunschedulable/node_unschedulable.go ("node(s) were unschedulable")."""
    k = pg.kube["rome"]
    for node in ("rome-worker", "rome-worker2"):
        k.ok("taint", "nodes", node, "dedicated=gpu:NoSchedule")
    k.ok("apply", "-f", "-", stdin=_pod("plain"))
    assert "3 node(s) had untolerated taint" not in _pending_message(k, "plain")
    assert "2 node(s) had untolerated taint {dedicated: gpu}" in _pending_message(k, "plain")
    wrong = "  tolerations:\n  - {key: dedicated, operator: Equal, value: cpu, effect: NoSchedule}\n"
    k.ok("apply", "-f", "-", stdin=_pod("wrong-value", wrong))
    assert "2 node(s) had untolerated taint {dedicated: gpu}" in _pending_message(k, "wrong-value")
    equal = "  tolerations:\n  - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}\n"
    exists = "  tolerations:\n  - {key: dedicated, operator: Exists}\n"
    k.ok("apply", "-f", "-", stdin=_pod("equal", equal))
    k.ok("apply", "-f", "-", stdin=_pod("exists", exists))
    for name in ("equal", "exists"):
        poll(lambda name=name: _node_of(k, name) in ("rome-worker", "rome-worker2"))  # type: ignore[misc]
    # Cordoned nodes come before taints in the filter order.
    k.ok("cordon", "rome-worker", "rome-worker2")
    k.ok("apply", "-f", "-", stdin=_pod("late", exists))
    assert _pending_message(k, "late").startswith(
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) were unschedulable."
    )
    k.ok("uncordon", "rome-worker2")
    poll(lambda: _node_of(k, "late") == "rome-worker2")
    assert _node_of(k, "plain") == ""


def test_required_node_affinity_operators(pg: Playground) -> None:
    """component-helpers scheduling/corev1/nodeaffinity: In, NotIn, Exists, DoesNotExist, Gt, Lt;
    terms ORed, expressions ANDed."""
    k = pg.kube["rome"]
    k.ok("label", "node", "rome-worker", "tier=gold", "cores=16")
    k.ok("label", "node", "rome-worker2", "tier=silver", "cores=4", "spot=")

    def affinity(*exprs: str) -> str:
        lines = "".join(f"          - {e}\n" for e in exprs)
        return (
            "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n"
            "        nodeSelectorTerms:\n        - matchExpressions:\n" + lines
        )

    cases = {
        "in-gold": ("{key: tier, operator: In, values: [gold]}",),
        "notin-gold": ("{key: tier, operator: NotIn, values: [gold]}", "{key: tier, operator: Exists}"),
        "spot": ("{key: spot, operator: Exists}",),
        "no-spot": ("{key: spot, operator: DoesNotExist}", "{key: tier, operator: Exists}"),
        "big": ("{key: cores, operator: Gt, values: ['8']}",),
        "small": ("{key: cores, operator: Lt, values: ['8']}",),
    }
    want = {"in-gold": "rome-worker", "notin-gold": "rome-worker2", "spot": "rome-worker2",
            "no-spot": "rome-worker", "big": "rome-worker", "small": "rome-worker2"}  # fmt: skip
    for name, exprs in cases.items():
        k.ok("apply", "-f", "-", stdin=_pod(name, affinity(*exprs)))
    for name, node in want.items():
        poll(lambda name=name, node=node: _node_of(k, name) == node)  # type: ignore[misc]
    k.ok("apply", "-f", "-", stdin=_pod("nowhere", affinity("{key: tier, operator: In, values: [bronze]}")))
    assert "2 node(s) didn't match Pod's node affinity/selector" in _pending_message(k, "nowhere")


def test_topology_spread_do_not_schedule(pg: Playground) -> None:
    """podtopologyspread/filtering.go: skew = matching pods in the node's domain + self - global
    minimum over the domains of the nodes the pod's affinity allows (taints ignored by default);
    a node without the topology key is rejected with "(missing required label)"."""
    k = pg.kube["rome"]
    k.ok("label", "node", "rome-worker", "zone=a")
    k.ok("label", "node", "rome-worker2", "zone=b")
    spread = (
        "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: zone\n"
        "    whenUnsatisfiable: DoNotSchedule\n    labelSelector: {matchLabels: {app: web}}\n"
    )
    for i in range(4):
        k.ok("apply", "-f", "-", stdin=_pod(f"web{i}", spread, "{app: web}"))
    poll(lambda: sorted(_node_of(k, f"web{i}") for i in range(4))
         == ["rome-worker", "rome-worker", "rome-worker2", "rome-worker2"])  # fmt: skip
    # Zone b becomes unusable (a taint does not remove it from the skew computation): one more
    # pod fits in zone a (skew 1), the next would make zone a two ahead of zone b: Pending.
    k.ok("taint", "nodes", "rome-worker2", "maintenance=now:NoSchedule")
    k.ok("apply", "-f", "-", stdin=_pod("web4", spread, "{app: web}"))
    poll(lambda: _node_of(k, "web4") == "rome-worker")
    k.ok("apply", "-f", "-", stdin=_pod("web5", spread, "{app: web}"))
    assert _pending_message(k, "web5") == (
        "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, "
        "1 node(s) had untolerated taint {maintenance: now}, "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        f"2 {PREEMPTION_NOT_HELPFUL}.."
    )


def test_pods_spread_over_nodes_when_nothing_constrains_them(pg: Playground) -> None:
    """Default scoring spreads a workload's pods (podtopologyspread system defaults, hostname skew)."""
    k = pg.kube["rome"]
    k.ok("create", "deployment", "many", "--image=nginx", "--replicas=4")
    k.ok("wait", "--for=condition=Available", "deploy/many", "--timeout=20s")
    nodes = sorted(p["spec"]["nodeName"] for p in k.json("get", "pods", "-l", "app=many")["items"])
    assert nodes == ["rome-worker", "rome-worker", "rome-worker2", "rome-worker2"]
    # The controllers' events (deployment/sync.go ScalingReplicaSet, replica_set.go SuccessfulCreate),
    # with v1.31+ wording for a later scale.
    rs = k.ok("get", "rs", "-l", "app=many", "-o", "jsonpath={.items[0].metadata.name}")
    k.ok("patch", "deploy", "many", "-p", '{"spec":{"replicas":2}}')
    poll(lambda: len(k.json("get", "pods", "-l", "app=many")["items"]) == 2)
    described = k.ok("describe", "deployment", "many")
    assert f"deployment-controller  Scaled up replica set {rs} to 4" in described
    assert f"deployment-controller  Scaled down replica set {rs} from 4 to 2" in described
    rs_events = k.ok("describe", "rs", rs)
    assert rs_events.count("SuccessfulCreate") == 4 and rs_events.count("SuccessfulDelete") == 2
    assert "replicaset-controller  Created pod: many-" in rs_events


def test_scheduler_name_and_scheduling_gates_are_left_alone(pg: Playground) -> None:
    """Pods for another scheduler are not bound by default-scheduler; gated pods wait
    (schedule_one.go, scheduling gates: PodScheduled=False reason SchedulingGated)."""
    k = pg.kube["rome"]
    k.ok("apply", "-f", "-", stdin=_pod("other", "  schedulerName: my-scheduler\n"))
    k.ok("apply", "-f", "-", stdin=_pod("gated", "  schedulingGates:\n  - name: example.com/wait\n"))
    cond = poll(lambda: _scheduled_cond(k, "gated"))
    assert (cond["reason"], cond["message"]) == (
        "SchedulingGated",
        "Scheduling is blocked due to non-empty scheduling gates",
    )
    k.ok("apply", "-f", "-", stdin=_pod("marker"))
    poll(lambda: _node_of(k, "marker"))
    assert _node_of(k, "other") == "" and _scheduled_cond(k, "other") == {}


def test_requests_beyond_allocatable_are_insufficient(pg: Playground) -> None:
    """noderesources/fit.go: "Insufficient cpu" against the node's allocatable minus the requests of
    the pods already there (limits default the requests: pkg/apis/core/v1/defaults.go)."""
    k = pg.kube["rome"]
    big = "    resources:\n      limits: {cpu: '6'}\n"
    k.ok("apply", "-f", "-", stdin=_pod("big1").replace("image: nginx\n", "image: nginx\n" + big))
    k.ok("apply", "-f", "-", stdin=_pod("big2").replace("image: nginx\n", "image: nginx\n" + big))
    poll(lambda: {_node_of(k, "big1"), _node_of(k, "big2")} == {"rome-worker", "rome-worker2"})
    assert k.json("get", "pod", "big1")["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "6"}
    k.ok("apply", "-f", "-", stdin=_pod("big3").replace("image: nginx\n", "image: nginx\n" + big))
    assert _pending_message(k, "big3") == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: "
        f"1 {PREEMPTION_NOT_HELPFUL}, 2 No preemption victims found for incoming pod.."
    )
    k.ok("delete", "pod", "big1", "--wait=false")
    poll(lambda: _node_of(k, "big3") in ("rome-worker", "rome-worker2"))


def test_scoring_prefers_the_least_allocated_node(pg: Playground) -> None:
    """noderesources/least_allocated.go and balanced_allocation.go (weights from
    apis/config/v1/default_plugins.go): unrelated pods go where most CPU and memory are free,
    rather than alternating between nodes."""
    k = pg.kube["rome"]
    heavy = "  nodeSelector: {kubernetes.io/hostname: rome-worker}\n"
    k.ok("apply", "-f", "-", stdin=_pod("heavy", heavy).replace(
        "image: nginx\n", "image: nginx\n    resources:\n      requests: {cpu: '5', memory: 20Gi}\n"))  # fmt: skip
    poll(lambda: _node_of(k, "heavy") == "rome-worker")
    for i in range(3):
        k.ok("apply", "-f", "-", stdin=_pod(f"light{i}").replace(
            "image: nginx\n", "image: nginx\n    resources:\n      requests: {cpu: 500m, memory: 1Gi}\n"))  # fmt: skip
    poll(lambda: all(_node_of(k, f"light{i}") == "rome-worker2" for i in range(3)))

"""The scale subresource, seen by the REAL kubectl (`kubectl scale`, `kubectl rollout restart`).

Follows kubernetes pkg/registry/apps/deployment/storage/storage.go (ScaleREST: the autoscaling/v1 Scale of a
Deployment, its replicas moved back into the Deployment on update, NotFound from the Deployment's store,
ValidateScale's `must be greater than or equal to 0`), and client-go's scale client, which finds the Scale's
group/version in the discovery entry `deployments/scale` (k8s.io/client-go/scale/util.go).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim_world import Kube, Playground, playground, poll

DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


@pytest.fixture
def pg(kubectl_bin: str, tmp_path: Path) -> Iterator[Playground]:
    with playground(kubectl_bin, tmp_path) as p:
        yield p


def _ready(kube: Kube, kind: str, name: str, want: int) -> bool:
    obj = kube.json("get", kind, name)
    status = obj.get("status") or {}
    pods = kube.json("get", "pods", "-l", f"app={name}")["items"]
    alive = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    return int(status.get("readyReplicas") or 0) == want and len(alive) == want


def test_scale_a_deployment_up_and_down(pg: Playground) -> None:
    kube = pg.add("one", workers=1)
    kube.ok("create", "deployment", "web", "--image=nginx", "--replicas=1")
    poll(lambda: _ready(kube, "deployment", "web", 1))
    assert kube.ok("scale", "deployment", "web", "--replicas", "3") == "deployment.apps/web scaled\n"
    poll(lambda: _ready(kube, "deployment", "web", 3))
    row = kube.ok("get", "deploy", "web", "--no-headers").split()
    assert row[:4] == ["web", "3/3", "3", "3"]
    assert kube.ok("scale", "deploy/web", "--replicas=1") == "deployment.apps/web scaled\n"
    poll(lambda: _ready(kube, "deployment", "web", 1))
    assert kube.json("get", "deploy", "web")["spec"]["replicas"] == 1
    # a server-side dry run answers like a scale but changes nothing
    dry = kube.ok("scale", "deploy", "web", "--replicas=4", "--dry-run=server")
    assert dry == "deployment.apps/web scaled (server dry run)\n"
    assert kube.json("get", "deploy", "web")["spec"]["replicas"] == 1


def test_the_scale_object_and_its_discovery(pg: Playground) -> None:
    kube = pg.add("one", workers=1)
    kube.ok("create", "deployment", "web", "--image=nginx", "--replicas=2")
    poll(lambda: _ready(kube, "deployment", "web", 2))
    deploy = kube.json("get", "deploy", "web")
    scale = json.loads(kube.ok("get", "--raw", f"{DEPLOY}/web/scale"))
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["metadata"]["uid"] == deploy["metadata"]["uid"]
    assert scale["metadata"]["resourceVersion"] == deploy["metadata"]["resourceVersion"]
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 2, "selector": "app=web"}
    listing = json.loads(kube.ok("get", "--raw", "/apis/apps/v1"))
    entry = next(r for r in listing["resources"] if r["name"] == "deployments/scale")
    assert (entry["group"], entry["version"], entry["kind"]) == ("autoscaling", "v1", "Scale")


def test_wrong_scales_fail_as_on_a_real_cluster(pg: Playground, tmp_path: Path) -> None:
    kube = pg.add("one", workers=1)
    ghost = kube("scale", "deployment", "ghost", "--replicas=2")
    assert ghost.returncode == 1
    assert ghost.stderr == 'error: no objects passed to scale deployments.apps "ghost" not found\n'
    raw = kube("get", "--raw", f"{DEPLOY}/ghost/scale")
    assert (raw.returncode, raw.stderr) == (1, 'Error from server (NotFound): deployments.apps "ghost" not found\n')
    kube.ok("create", "deployment", "web", "--image=nginx", "--replicas=2")
    stale = kube("scale", "deployment", "web", "--replicas=3", "--current-replicas=5")
    assert (stale.returncode, stale.stderr) == (1, "error: Expected replicas to be 5, was 2\n")
    scale = json.loads(kube.ok("get", "--raw", f"{DEPLOY}/web/scale"))
    negative = tmp_path / "negative.json"
    negative.write_text(json.dumps({**scale, "spec": {"replicas": -1}}))
    bad = kube("replace", "--raw", f"{DEPLOY}/web/scale", "-f", str(negative))
    assert bad.returncode == 1
    assert bad.stderr == ('The Scale "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or '
                          "equal to 0\n")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**scale, "metadata": {**scale["metadata"], "resourceVersion": "1"},
                               "spec": {"replicas": 3}}))
    conflict = kube("replace", "--raw", f"{DEPLOY}/web/scale", "-f", str(old))
    assert conflict.returncode == 1 and "the object has been modified" in conflict.stderr
    assert kube.json("get", "deploy", "web")["spec"]["replicas"] == 2


def test_scale_a_statefulset(pg: Playground) -> None:
    """StatefulSets have a scale subresource too (pkg/registry/apps/statefulset/storage/storage.go)."""
    kube = pg.add("one", workers=1)
    kube.ok("apply", "-f", "-", stdin=(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n"
        "  replicas: 1\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n"
        "    spec: {containers: [{name: c, image: nginx}]}\n"))
    poll(lambda: _ready(kube, "statefulset", "db", 1))
    assert kube.ok("scale", "statefulset", "db", "--replicas=3") == "statefulset.apps/db scaled\n"
    poll(lambda: _ready(kube, "statefulset", "db", 3))
    names = sorted(p["metadata"]["name"] for p in kube.json("get", "pods", "-l", "app=db")["items"])
    assert names == ["db-0", "db-1", "db-2"]


def test_rollout_restart_rolls_the_pods(pg: Playground) -> None:
    """`kubectl rollout restart` patches the template's kubectl.kubernetes.io/restartedAt annotation: a new
    ReplicaSet takes over."""
    kube = pg.add("one", workers=1)
    kube.ok("create", "deployment", "web", "--image=nginx", "--replicas=2")
    poll(lambda: _ready(kube, "deployment", "web", 2))
    before = {p["metadata"]["name"] for p in kube.json("get", "pods", "-l", "app=web")["items"]}
    assert kube.ok("rollout", "restart", "deployment/web") == "deployment.apps/web restarted\n"
    template = kube.json("get", "deploy", "web")["spec"]["template"]["metadata"]
    assert "kubectl.kubernetes.io/restartedAt" in template.get("annotations", {})

    def rolled() -> bool:
        pods = kube.json("get", "pods", "-l", "app=web")["items"]
        names = {p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")}
        return len(names) == 2 and not names & before and _ready(kube, "deployment", "web", 2)

    poll(rolled, timeout=60)
    assert len(kube.json("get", "rs", "-l", "app=web")["items"]) == 2

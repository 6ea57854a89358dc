"""StatefulSets, claims, volumes and storage classes of the playground, seen through the REAL kubectl.

Expectations follow kubernetes: pkg/printers/internalversion/printers.go (the table columns of
statefulsets, persistentvolumeclaims, persistentvolumes, storageclasses), pkg/controller/statefulset
(names NAME-N, claims TEMPLATE-NAME-N, OrderedReady, scale down from the highest ordinal, claims kept),
kubectl's rollout status for StatefulSets (polymorphichelpers/rollout_status.go), kind's default
class (kind pkg/build/nodeimage/const_storage.go), the scheduler's VolumeBinding plugin messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stateful_helpers import Playground, playground, wait_until

WEB = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80, name: http}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.25}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


@pytest.fixture
def pg(tmp_path: Path, kubectl_bin: str) -> Playground:
    with playground(tmp_path) as p:
        p("kind create cluster --name turin --kubeconfig $KUBECONFIG")
        yield p  # type: ignore[misc]


def test_statefulset_pods_claims_volumes_and_tables(pg: Playground, tmp_path: Path) -> None:
    classes = pg.table("kubectl get storageclass")
    assert classes[0] == [
        "NAME",
        "PROVISIONER",
        "RECLAIMPOLICY",
        "VOLUMEBINDINGMODE",
        "ALLOWVOLUMEEXPANSION",
        "AGE",
    ]
    assert [r[:5] for r in classes[1:]] == [
        ["standard (default)", "rancher.io/local-path", "Delete", "WaitForFirstConsumer", "false"]
    ]
    manifest = tmp_path / "web.yaml"
    manifest.write_text(WEB)
    assert pg(f"kubectl apply -f {manifest}").stdout == "service/web created\nstatefulset.apps/web created\n"
    rollout = pg("kubectl rollout status sts/web --timeout=60s").stdout
    assert rollout.endswith("partitioned roll out complete: 2 new pods have been updated...\n")

    sts = pg.table("kubectl get statefulsets")
    assert sts[0] == ["NAME", "READY", "AGE"] and sts[1][:2] == ["web", "2/2"]
    pods = json.loads(pg("kubectl get pods -l app=web -o json").stdout)["items"]
    by_name = {p["metadata"]["name"]: p for p in pods}
    assert sorted(by_name) == ["web-0", "web-1"]
    # OrderedReady: web-1 was created only once web-0 was Ready.
    ready0 = next(c for c in by_name["web-0"]["status"]["conditions"] if c["type"] == "Ready")
    assert by_name["web-1"]["metadata"]["creationTimestamp"] >= ready0["lastTransitionTime"]
    assert by_name["web-1"]["spec"]["hostname"] == "web-1" and by_name["web-1"]["spec"]["subdomain"] == "web"
    assert by_name["web-1"]["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-1"
    events = pg(
        "kubectl get events --field-selector involvedObject.kind=StatefulSet -o jsonpath={.items[*].message}"
    )
    assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in events.stdout
    assert "create Pod web-1 in StatefulSet web successful" in events.stdout

    pvc = pg.table("kubectl get pvc")
    assert pvc[0] == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
                      "VOLUMEATTRIBUTESCLASS", "AGE"]  # fmt: skip
    assert [r[0] for r in pvc[1:]] == ["www-web-0", "www-web-1"]
    assert all(r[1] == "Bound" and r[3:7] == ["1Gi", "RWO", "standard", "<unset>"] for r in pvc[1:])
    volumes = {r[0]: r for r in pvc[1:]}
    pv = pg.table("kubectl get pv")
    assert pv[0] == ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                     "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"]  # fmt: skip
    reasons = pg(
        "kubectl get events --field-selector involvedObject.name=www-web-0 -o jsonpath={.items[*].reason}"
    ).stdout.split()
    assert {"ExternalProvisioning", "Provisioning", "ProvisioningSucceeded"} <= set(reasons)
    claims = {r[0]: r[5] for r in pv[1:]}
    assert claims[volumes["www-web-0"][2]] == "default/www-web-0"
    # local-path: a hostPath volume pinned to the node the first consumer was scheduled to
    spec = json.loads(pg(f"kubectl get pv {volumes['www-web-0'][2]} -o json").stdout)["spec"]
    assert spec["hostPath"]["path"].startswith("/var/local-path-provisioner/pvc-")
    terms = spec["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert terms[0]["matchExpressions"][0]["values"] == [by_name["web-0"]["spec"]["nodeName"]]

    # Scale down by changing the spec: the highest ordinal goes, its claim stays.
    assert (
        pg("""kubectl patch sts web -p '{"spec":{"replicas":1}}'""").stdout
        == "statefulset.apps/web patched\n"
    )
    wait_until(lambda: "web-1" not in pg("kubectl get pods -o name").stdout, what="web-1 deleted")
    assert pg("kubectl get pods -o name").stdout == "pod/web-0\n"
    assert "www-web-1" in pg("kubectl get pvc -o name").stdout
    # Deleted pods come back with the same name and the same claim.
    uid = by_name["web-0"]["metadata"]["uid"]
    pg("kubectl delete pod web-0")

    def replaced() -> dict[str, object] | None:
        res = pg("kubectl get pod web-0 -o json", ok=False)
        pod = json.loads(res.stdout) if res.returncode == 0 else None
        return pod if pod and pod["metadata"]["uid"] != uid else None

    again = wait_until(replaced, what="web-0 recreated")
    assert again["metadata"]["uid"] != uid
    assert again["spec"]["volumes"][-1]["persistentVolumeClaim"]["claimName"] == "www-web-0"


def test_wrong_statefulset_and_claim_steps_fail_as_on_a_real_cluster(pg: Playground, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(WEB.replace("selector: {matchLabels: {app: web}}", "selector: {matchLabels: {app: db}}"))
    res = pg(f"kubectl apply -f {bad}", ok=False)
    assert res.returncode == 1
    assert (
        'The StatefulSet "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"web"}: `selector` does not match template `labels`' in res.stderr
    )
    good = tmp_path / "web.yaml"
    good.write_text(WEB)
    pg(f"kubectl apply -f {good}")
    changed = tmp_path / "changed.yaml"
    changed.write_text(WEB.replace("storage: 1Gi", "storage: 2Gi"))
    res = pg(f"kubectl apply -f {changed}", ok=False)
    assert res.returncode == 1
    assert "spec: Forbidden: updates to statefulset spec for fields other than 'replicas'" in res.stderr

    # A pod whose claim does not exist is never scheduled; the scheduler says why.
    pod = tmp_path / "orphan.yaml"
    pod.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: orphan}\nspec:\n  containers: [{name: c, image: nginx}]\n"
        "  volumes: [{name: d, persistentVolumeClaim: {claimName: missing}}]\n"
    )
    pg(f"kubectl apply -f {pod}")

    def unschedulable() -> str | None:
        out = pg("kubectl get pod orphan -o jsonpath={.status.conditions[0].message}").stdout
        return out or None

    message = wait_until(unschedulable, what="FailedScheduling")
    assert message.startswith('0/1 nodes are available: persistentvolumeclaim "missing" not found.')
    assert pg("kubectl get pod orphan -o jsonpath={.spec.nodeName}").stdout == ""

    # A claim still used by a pod is protected: deleting it leaves it Terminating until the pod is gone.
    pg("kubectl rollout status sts/web --timeout=60s")
    pg("kubectl delete pvc www-web-0 --wait=false")
    assert pg.table("kubectl get pvc www-web-0")[1][1] == "Terminating"
    pg("kubectl delete sts web")
    wait_until(lambda: "www-web-0" not in pg("kubectl get pvc -o name").stdout, what="claim released")

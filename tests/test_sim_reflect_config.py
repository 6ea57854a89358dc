"""ConfigMaps and Secrets reflected into the remote namespace; kind's view of a peered cluster; a
local-path claim for a pod on a virtual node; the client's logs. Both Liqo lines, by hand, with the
REAL kubectl and the simulated kind/liqoctl/docker.

Upstream sources each check follows:
- reflection: liqo pkg/virtualKubelet/reflection/configuration/configmap.go and secret.go, forging in
  pkg/virtualKubelet/forge/configmaps.go (root CA renamed `kube-root-ca.crt.<5 chars of the local
  cluster id>`) and secrets.go (service-account tokens not reflected), events in forge/events.go and
  generic/namespaced.go (source `liqo-<kind>-reflection`), labels from forge ReflectionLabels (v1
  offloading.liqo.io/origin|destination, v0 virtualkubelet.liqo.io/origin|destination);
- kind: pkg/cluster/internal/delete/delete.go and providers/docker ListNodes (node containers only),
  pkg/cmd/kind/load/docker-image/docker-image.go (`unknown node`);
- local-path: rancher/local-path-provisioner provisioner.go createHelperPod (helper pod pinned to the
  selected node, `create process timeout after 120 seconds`), sig-storage-lib-external-provisioner
  controller.go (`failed to provision volume with StorageClass ...`, ProvisioningFailed);
- the client pod: Kubernetes `command` replaces the image ENTRYPOINT (bitnami's entrypoint.sh/run.sh
  print the server's setup lines).
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Iterator
from typing import Any

import pytest

from stateful_helpers import Playground, playground, wait_until

pytestmark = pytest.mark.slow
IMAGE = "docker.io/bitnami/mariadb-galera:11.4.5-debian-12-r6"
LYON = "--kubeconfig $KUBECONFIG_LYON"
SA_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: robot-token
  annotations: {kubernetes.io/service-account.name: default}
type: kubernetes.io/service-account-token
"""
CLAIM_AND_POD = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: standard
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: keeper}
spec:
  nodeSelector: {liqo.io/type: virtual-node}
  containers: [{name: c, image: nginx, volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"""


def _json(pg: Playground, cmd: str) -> Any:
    return json.loads(pg(cmd + " -o json").stdout)


def _get(pg: Playground, cmd: str) -> Any:
    """The object as JSON, or None when kubectl says it is not there."""
    res = pg(cmd + " -o json", ok=False)
    return json.loads(res.stdout) if res.returncode == 0 else None


@pytest.fixture(scope="module", params=["v1.2.0", "v0.10.3"])
def peered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Playground, str]]:
    """turin consumes lyon; namespace `demo` offloaded with the default (DefaultName) mapping."""
    version = str(request.param)
    with playground(tmp_path_factory.mktemp(version)) as pg:
        pg.env["LIQO_TUTOR_SIM_LIQO_VERSION"] = version
        pg.env["LIQO_TUTOR_SIM_SPEED"] = "0"
        v0 = version.startswith("v0")
        pg("kind create cluster --name turin --kubeconfig liqo_kubeconf_turin")
        pg("kind create cluster --name lyon --kubeconfig liqo_kubeconf_lyon")
        id_flag = "--cluster-name" if v0 else "--cluster-id"
        pg(f"liqoctl install kind {id_flag} turin --version {version}", timeout=300)
        pg(f"liqoctl install kind {id_flag} lyon --version {version} {LYON}", timeout=300)
        if v0:
            cmd = pg(f"liqoctl generate peer-command --only-command {LYON}").stdout
            pg(shlex.join(shlex.split(cmd)), timeout=300)
        else:
            pg(
                'liqoctl peer --remote-kubeconfig "$KUBECONFIG_LYON" --gw-server-service-type NodePort',
                timeout=300,
            )
        pg("kubectl create namespace demo")
        pg("kubectl create namespace plain")
        pg("liqoctl offload namespace demo", timeout=300)
        yield pg, version


def _remote_ns(pg: Playground) -> str:
    nso = _json(pg, "kubectl get namespaceoffloadings offloading -n demo")
    return str(nso["status"]["remoteNamespaceName"])


def _labels(version: str) -> tuple[str, str]:
    prefix = "virtualkubelet.liqo.io" if version.startswith("v0") else "offloading.liqo.io"
    return f"{prefix}/origin", f"{prefix}/destination"


def test_configmaps_and_secrets_follow_the_offloaded_namespace(peered: tuple[Playground, str]) -> None:
    pg, version = peered
    rns = _remote_ns(pg)
    assert rns != "demo"  # DefaultName: the twin carries the consumer's name or id
    origin_key, dest_key = _labels(version)
    pg("kubectl create secret generic creds --from-literal=password=s3cret -n demo")
    pg("kubectl create configmap settings --from-literal=mode=fast -n demo")
    pg("kubectl label configmap settings tier=backend -n demo")

    secret = wait_until(
        lambda: _get(pg, f"kubectl get secret creds -n {rns} {LYON}"), what="secret reflected"
    )
    assert base64.b64decode(secret["data"]["password"]).decode() == "s3cret"
    assert secret["type"] == "Opaque"
    assert secret["metadata"]["labels"][origin_key]
    assert secret["metadata"]["labels"][dest_key]
    cm = wait_until(lambda: _get(pg, f"kubectl get configmap settings -n {rns} {LYON}"), what="cm reflected")
    assert cm["data"] == {"mode": "fast"}
    assert cm["metadata"]["labels"]["tier"] == "backend"
    # nothing under the consumer's name in the provider: DefaultName maps to the twin only
    assert _get(pg, f"kubectl get secret creds -n demo {LYON}") is None

    # the root CA: renamed so that it never meets the provider's own
    names = pg(f"kubectl get configmaps -n {rns} {LYON} -o name").stdout.split()
    renamed = [n for n in names if n.startswith("configmap/kube-root-ca.crt.")]
    assert len(renamed) == 1 and "configmap/kube-root-ca.crt" in names
    turin_id = str(secret["metadata"]["labels"][origin_key])
    assert renamed[0] == f"configmap/kube-root-ca.crt.{turin_id[:5]}"
    own = _json(pg, f"kubectl get configmap kube-root-ca.crt -n {rns} {LYON}")
    assert origin_key not in (own["metadata"].get("labels") or {})

    # events on the local objects
    def reflected_events() -> set[str] | None:
        evs = _json(pg, "kubectl get events -n demo --field-selector reason=SuccessfulReflection")["items"]
        found = {f"{e['involvedObject']['kind']}/{e['involvedObject']['name']}" for e in evs}
        return found if {"Secret/creds", "ConfigMap/settings"} <= found else None

    events = wait_until(reflected_events, what="SuccessfulReflection events")
    assert "ConfigMap/kube-root-ca.crt" in events
    evs = _json(pg, "kubectl get events -n demo --field-selector involvedObject.name=creds")["items"]
    assert any(e["source"].get("component") == "liqo-secret-reflection" for e in evs)

    # an update propagates, a deletion takes the copy away
    pg("""kubectl patch configmap settings -n demo -p '{"data":{"mode":"slow"}}'""")
    wait_until(
        lambda: (
            (_get(pg, f"kubectl get configmap settings -n {rns} {LYON}") or {}).get("data")
            == {"mode": "slow"}
        ),
        what="update reflected",
    )
    pg("kubectl delete secret creds -n demo")
    wait_until(
        lambda: _get(pg, f"kubectl get secret creds -n {rns} {LYON}") is None, what="deletion reflected"
    )
    assert _get(pg, f"kubectl get configmap settings -n {rns} {LYON}") is not None

    # service-account tokens stay home
    pg("kubectl apply -n demo -f -", stdin=SA_SECRET)
    wait_until(
        lambda: _json(pg, "kubectl get events -n demo --field-selector reason=ReflectionDisabled")["items"],
        what="ReflectionDisabled event",
    )
    assert _get(pg, f"kubectl get secret robot-token -n {rns} {LYON}") is None

    # a namespace that is not offloaded is reflected nowhere
    pg("kubectl create secret generic lonely --from-literal=a=b -n plain")
    pg("kubectl create configmap probe --from-literal=a=b -n demo")
    wait_until(lambda: _get(pg, f"kubectl get configmap probe -n {rns} {LYON}"), what="a later cm reflected")
    found = pg(f"kubectl get secrets -A {LYON} -o name").stdout.split()
    assert "secret/lonely" not in found


def test_a_user_object_in_the_twin_is_never_overwritten(peered: tuple[Playground, str]) -> None:
    pg, _version = peered
    rns = _remote_ns(pg)
    pg(f"kubectl create configmap mine --from-literal=owner=lyon -n {rns} {LYON}")
    pg("kubectl create configmap mine --from-literal=owner=turin -n demo")

    def failed() -> Any:
        evs = _json(pg, "kubectl get events -n demo --field-selector reason=FailedReflection")["items"]
        return [e for e in evs if e["involvedObject"]["name"] == "mine"]

    event = wait_until(failed, what="FailedReflection")[0]
    assert event["type"] == "Warning" and event["message"].endswith(": remote object already exists")
    assert _json(pg, f"kubectl get configmap mine -n {rns} {LYON}")["data"] == {"owner": "lyon"}


def test_local_path_claim_of_a_pod_on_a_virtual_node_stays_pending(peered: tuple[Playground, str]) -> None:
    pg, _version = peered
    pg("kubectl apply -n demo -f -", stdin=CLAIM_AND_POD)

    def failed() -> Any:
        evs = _json(pg, "kubectl get events -n demo --field-selector involvedObject.name=data")["items"]
        return [e for e in evs if e["reason"] == "ProvisioningFailed"]

    event = wait_until(failed, what="ProvisioningFailed")[0]
    claim = _json(pg, "kubectl get pvc data -n demo")
    assert event["type"] == "Warning"
    assert event["message"] == (
        'failed to provision volume with StorageClass "standard": failed to create volume '
        f"pvc-{claim['metadata']['uid']}: create process timeout after 120 seconds"
    )
    pod = _json(pg, "kubectl get pod keeper -n demo")
    selected = claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"]
    assert selected == pod["spec"].get("nodeName", selected)
    assert claim["status"]["phase"] == "Pending" and not claim["spec"].get("volumeName")
    assert pg("kubectl get pv -o name").stdout == ""
    # the same claim for a pod on a real node is provisioned (the right step)
    pg(
        "kubectl apply -n plain -f -",
        stdin=CLAIM_AND_POD.replace("liqo.io/type: virtual-node", "kubernetes.io/os: linux"),
    )
    wait_until(
        lambda: (_get(pg, "kubectl get pvc data -n plain") or {}).get("status", {}).get("phase") == "Bound",
        what="the local claim Bound",
    )


def test_kind_sees_only_its_node_containers(peered: tuple[Playground, str]) -> None:
    pg, version = peered
    virtual = pg("kubectl get nodes -l liqo.io/type=virtual-node -o name").stdout.split("/")[-1].strip()
    assert virtual  # the peering made one
    assert pg("kind get nodes --name turin").stdout == "turin-control-plane\n"
    pg("docker pull nginx")
    unknown = pg(f"kind load docker-image nginx --name turin --nodes {virtual}", ok=False)
    assert (unknown.returncode, unknown.stderr.splitlines()[-1]) == (1, f'ERROR: unknown node: "{virtual}"')


def test_client_pod_logs_only_the_client(peered: tuple[Playground, str]) -> None:
    pg, _version = peered
    pg(
        f"kubectl run client --restart=Never -n plain --image {IMAGE} --command -- mariadb -h nowhere -e 'SELECT 1'"
    )
    pg(f"kubectl run server -n plain --image {IMAGE}")

    def done() -> bool:
        phase = _json(pg, "kubectl get pod client -n plain")["status"].get("phase")
        return phase in ("Succeeded", "Failed")

    wait_until(done, what="the client pod finished")
    logs = pg("kubectl logs client -n plain").stdout
    assert logs.startswith("ERROR 2005 (HY000): Unknown server host 'nowhere'"), logs
    assert "Starting MariaDB" not in logs
    wait_until(
        lambda: "** Starting MariaDB setup **" in pg("kubectl logs server -n plain", ok=False).stdout,
        what="server log",
    )


def test_kind_delete_lists_only_node_containers(peered: tuple[Playground, str]) -> None:
    """Last: deletes the consumer (kind delete.go prints the provider's node containers)."""
    pg, _version = peered
    res = pg("kind delete cluster --name turin")
    assert 'Deleted nodes: ["turin-control-plane"]' in res.stderr.splitlines()

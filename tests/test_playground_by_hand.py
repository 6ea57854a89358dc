"""The playground by hand: the tutorial's own commands, typed as a person would, for both Liqo lines.

Only the simulated kind/liqoctl/docker and the REAL kubectl are used: no liqo-tutor code runs here
except `ensure_bin`, which puts the simulated tools on PATH. Nothing of the tutorial lives in the
playground, so every expectation below is a claim of the tutorial, checked against what the tools say.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
from liqo_tutor.sim.client import stop

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
CURL = "curl -s -H 'accept: application/json' http://flights-service.liqo-demo:7999/schedule"


class Shell:
    """Runs argv lists (never a shell) in the playground's environment."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env

    def __call__(
        self, cmd: str, *, ok: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        argv = [re.sub(r"\$\{?(\w+)\}?", lambda m: self.env[m.group(1)], a) for a in shlex.split(cmd)]
        res = subprocess.run(
            argv,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if ok:
            assert res.returncode == 0, f"{cmd}\nstdout: {res.stdout}\nstderr: {res.stderr}"
        return res


@pytest.fixture(params=["v1.2.0", "v0.10.3"])
def playground(
    request: pytest.FixtureRequest, tmp_path: Path, kubectl_bin: str
) -> Iterator[tuple[Shell, str]]:
    workdir = tmp_path / "by-hand"
    workdir.mkdir()
    simdir = simdir_for(workdir)
    ensure_bin(simdir)
    env = dict(os.environ)
    env.update(sim_env(simdir, workdir))
    env["LIQO_TUTOR_SIM_LIQO_VERSION"] = request.param
    env["KUBECONFIG"] = str(workdir / "liqo_kubeconf_london")
    env["KUBECONFIG_NEWYORK"] = str(workdir / "liqo_kubeconf_newyork")
    try:
        yield Shell(workdir, env), request.param
    finally:
        stop(simdir)


def _alive(pid: int) -> bool:
    """A zombie (exited, not yet reaped by a container's init) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _ports_listening(pid_ports: list[int]) -> list[int]:
    busy = []
    for port in pid_ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def _consume(sh: Shell, kubeconfig: str, image: str) -> list[object]:
    name = f"consumer-{os.urandom(3).hex()}"
    sh(f"kubectl run {name} --image {image} --restart=Never --kubeconfig {kubeconfig} -- {CURL}")
    sh(
        f"kubectl wait --for=jsonpath={{.status.phase}}=Succeeded pod/{name} --timeout=60s --kubeconfig {kubeconfig}"
    )
    body = sh(f"kubectl logs {name} --kubeconfig {kubeconfig}").stdout
    sh(f"kubectl delete pod {name} --wait=false --kubeconfig {kubeconfig}")
    data = json.loads(body)
    assert isinstance(data, list)
    return data


def test_tutorial_by_hand(playground: tuple[Shell, str]) -> None:
    sh, version = playground
    v0 = version.startswith("v0")
    config = REPO / "manifests" / ("kind-v0.yaml" if v0 else "kind-v1.yaml")
    for name in ("london", "newyork"):
        created = sh(
            f"kind create cluster --name {name} --kubeconfig liqo_kubeconf_{name} --config {config} --wait 5m"
        )
        assert created.stdout == ""
        assert f'Set kubectl context to "kind-{name}"' in created.stderr
    again = sh(
        f"kind create cluster --name london --kubeconfig liqo_kubeconf_london --config {config}", ok=False
    )
    assert again.returncode == 1
    assert (
        again.stderr.strip()
        == 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "london"'
    )
    assert sh("kind get clusters").stdout == "london\nnewyork\n"

    id_flag = "--cluster-name" if v0 else "--cluster-id"
    for name in ("london", "newyork"):
        sh(
            f"liqoctl install kind {id_flag} {name} --cluster-labels= --version {version} --kubeconfig liqo_kubeconf_{name}"
        )
    assert sh("liqoctl version --kubeconfig liqo_kubeconf_london").stdout.splitlines()[:2] == [
        f"Client version: {version}",
        f"Server version: {version}",
    ]

    if v0:
        peer_cmd = sh("liqoctl generate peer-command --only-command --kubeconfig $KUBECONFIG_NEWYORK").stdout
        argv = shlex.split(peer_cmd)
        assert argv[1:4] == ["peer", "out-of-band", "newyork"] and len(argv) == 10
        token = argv[argv.index("--auth-token") + 1]
        assert len(token) == 128 and int(token, 16) >= 0
        sh(shlex.join(["liqoctl", *argv[1:]]))  # against london: KUBECONFIG is london's
        fcs = sh("kubectl get foreignclusters").stdout.splitlines()
        assert fcs[0].split() == [
            "NAME",
            "TYPE",
            "OUTGOING",
            "PEERING",
            "INCOMING",
            "PEERING",
            "NETWORKING",
            "AUTHENTICATION",
            "AGE",
        ]
        assert fcs[1].split()[:6] == [
            "newyork",
            "OutOfBand",
            "Established",
            "None",
            "Established",
            "Established",
        ]
        vnode = "liqo-newyork"
    else:
        sh("liqoctl peer --remote-kubeconfig $KUBECONFIG_NEWYORK --gw-server-service-type NodePort")
        fcs = sh("kubectl get foreignclusters").stdout.splitlines()
        assert fcs[0].split() == ["NAME", "ROLE", "AGE"]
        assert fcs[1].split()[:2] == ["newyork", "Provider"]
        vnode = "newyork"
    sh(f"kubectl wait --for=condition=Ready node/{vnode} --timeout=60s")

    assert sh("kubectl create namespace liqo-demo").stdout == "namespace/liqo-demo created\n"
    applied = sh(f"kubectl apply -f {REPO / 'manifests' / 'app.yaml'} -n liqo-demo").stdout
    assert applied == "deployment.apps/flights-service created\nservice/flights-service created\n"
    sh("kubectl wait --for=condition=Available deployment/flights-service -n liqo-demo --timeout=60s")
    sh(
        "liqoctl offload namespace liqo-demo --namespace-mapping-strategy EnforceSameName --pod-offloading-strategy Local"
    )

    london_ip = sh("kubectl get service flights-service -n liqo-demo -o jsonpath={.spec.clusterIP}").stdout
    deadline = time.monotonic() + 60
    while True:
        svc = sh('kubectl get services --namespace liqo-demo --kubeconfig "$KUBECONFIG_NEWYORK"', ok=False)
        if "flights-service" in svc.stdout or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    header, row = svc.stdout.splitlines()[:2]
    assert header.split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    cells = row.split()
    assert cells[0] == "flights-service" and cells[1] == "ClusterIP" and cells[4] == "7999/TCP"
    assert cells[2] != london_ip, "the reflected Service must get newyork's own ClusterIP"
    pods = sh('kubectl get pods --namespace liqo-demo --kubeconfig "$KUBECONFIG_NEWYORK"')
    assert (pods.stdout, pods.stderr) == ("", "No resources found in liqo-demo namespace.\n")

    image = "dwdraju/alpine-curl-jq" if v0 else "curlimages/curl"
    london = _consume(sh, "$KUBECONFIG", image)
    newyork = _consume(sh, "$KUBECONFIG_NEWYORK", image)
    small, large = sorted((london, newyork), key=len)
    assert all(item in large for item in small)

    # Unoffloading cuts newyork off: the same curl now fails as it would on real clusters.
    skip = ["--skip-confirm"]
    sh(shlex.join(["liqoctl", "unoffload", "namespace", "liqo-demo", *skip]))
    gone = sh('kubectl get services --namespace liqo-demo --kubeconfig "$KUBECONFIG_NEWYORK"', ok=False)
    assert "flights-service" not in gone.stdout

    state = json.loads((Path(sh.env["LIQO_TUTOR_SIM_DIR"]) / "daemon.json").read_text())
    api_ports = [
        int(Path(k).read_text().split("127.0.0.1:")[1].split()[0].strip("/\"'"))
        for k in (str(sh.workdir / "liqo_kubeconf_london"), str(sh.workdir / "liqo_kubeconf_newyork"))
    ]
    for name in ("london", "newyork"):
        deleted = sh(f"kind delete cluster --name {name} --kubeconfig liqo_kubeconf_{name}")
        assert deleted.stderr.startswith(f'Deleting cluster "{name}" ...')
    deadline = time.monotonic() + 10
    while _alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(state["pid"]), "the playground server outlived its last cluster"
    assert _ports_listening([*api_ports, state["control_port"]]) == []
    nothing = sh("kind get clusters")
    assert (nothing.stdout, nothing.stderr) == ("", "No kind clusters found.\n")

"""Simulated kind through its shim: streams, exit codes, kubeconfigs, and the real kubectl against it."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from liqo_tutor.sim import ensure_bin, sim_env
from liqo_tutor.sim.client import connect, stop
from liqo_tutor.sim.tools.kind import SALUTATIONS

REPO = Path(__file__).resolve().parents[1]
V1_CONFIG = REPO / "manifests" / "kind-v1.yaml"


class Play:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.simdir = root / "sim"
        ensure_bin(self.simdir)
        self.env = dict(os.environ)
        self.env.update(sim_env(self.simdir, root))
        self.env.update({"HOME": str(root / "home"), "KUBECONFIG": str(root / "home" / ".kube" / "config"),
                         "LIQO_TUTOR_SIM_SPEED": "0"})
        self.env.pop("LIQO_TUTOR_SIM_FAULTS", None)
        self.env.pop("KIND_CLUSTER_NAME", None)

    def run(self, *argv: str, stdin: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=self.root, env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL)


@pytest.fixture
def play(tmp_path: Path) -> Iterator[Play]:
    p = Play(tmp_path)
    try:
        yield p
    finally:
        stop(p.simdir)


def _steps(nodes: int, worker: bool, wait: str | None) -> list[str]:
    lines = []
    texts = ["Ensuring node image (kindest/node:v1.30.0) 🖼", "Preparing nodes " + "📦 " * nodes,
             "Writing configuration 📜", "Starting control-plane 🕹️", "Installing CNI 🔌",
             "Installing StorageClass 💾"]
    if worker:
        texts.append("Joining worker nodes 🚜")
    if wait:
        texts.append(f"Waiting ≤ {wait} for control-plane = Ready ⏳")
    for t in texts:
        lines += [f" • {t}  ...", f" ✓ {t}"]
    return lines


def test_create_use_and_delete(play: Play, kubectl_bin: str) -> None:
    created = play.run("kind", "create", "cluster", "--name", "london", "--config", str(V1_CONFIG),
                       "--kubeconfig", "kc-london", "--wait", "5m")
    assert created.returncode == 0, created.stderr
    assert created.stdout == ""
    lines = created.stderr.splitlines()
    assert lines[0] == 'Creating cluster "london" ...'
    assert lines[1:17] == _steps(2, True, "5m0s")
    assert re.fullmatch(r" • Ready after \d+s 💚", lines[17])
    assert lines[18:] == ['Set kubectl context to "kind-london"', "You can now use your cluster with:", "",
                          "kubectl cluster-info --context kind-london --kubeconfig kc-london", "", lines[-1]]
    assert lines[-1] in SALUTATIONS

    kc = play.root / "kc-london"
    assert stat.S_IMODE(kc.stat().st_mode) == 0o600
    text = kc.read_text()
    assert list(yaml.safe_load(text)) == ["apiVersion", "clusters", "contexts", "current-context", "kind",
                                          "preferences", "users"]
    data = yaml.safe_load(text)
    assert data["current-context"] == "kind-london"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", data["clusters"][0]["cluster"]["server"])
    assert re.fullmatch(r"[0-9a-f]{32}", data["users"][0]["user"]["token"])
    assert data["contexts"][0] == {"name": "kind-london", "context": {"cluster": "kind-london", "user": "kind-london"}}

    nodes = play.run("kubectl", "get", "nodes", "--kubeconfig", str(kc), "-o", "name")
    assert nodes.returncode == 0, nodes.stderr
    assert nodes.stdout.split() == ["node/london-control-plane", "node/london-worker"]
    nss = play.run("kubectl", "get", "namespaces", "--kubeconfig", str(kc), "-o", "name")
    assert {"namespace/default", "namespace/kube-system"} <= set(nss.stdout.split())
    version = play.run("kubectl", "version", "--kubeconfig", str(kc), "-o", "json")
    assert json.loads(version.stdout)["serverVersion"]["gitVersion"] == "v1.30.0"

    again = play.run("kind", "create", "cluster", "--name", "london", "--config", str(V1_CONFIG))
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "london"\n'

    listed = play.run("kind", "get", "clusters")
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "london\n", "")
    ps = play.run("docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=london", "--format", "{{.Names}}")
    assert ps.stdout.split() == ["london-control-plane", "london-worker"]
    got = play.run("kind", "get", "kubeconfig", "--name", "london")
    assert got.stdout == text + "\n"
    assert play.run("kind", "get", "nodes", "--name", "london").stdout == "london-control-plane\nlondon-worker\n"

    deleted = play.run("kind", "delete", "cluster", "--name", "london", "--kubeconfig", "kc-london")
    assert (deleted.returncode, deleted.stdout) == (0, "")
    assert deleted.stderr == 'Deleting cluster "london" ...\nDeleted nodes: ["london-control-plane" "london-worker"]\n'
    assert yaml.safe_load(kc.read_text()) == {"apiVersion": "v1", "kind": "Config", "preferences": {}}
    twice = play.run("kind", "delete", "cluster", "--name", "london")
    assert (twice.returncode, twice.stdout, twice.stderr) == (0, "", 'Deleting cluster "london" ...\n')
    empty = play.run("kind", "get", "clusters")
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, "", "No kind clusters found.\n")


def test_kubeconfig_merge_into_kubeconfig_env_and_removal(play: Play) -> None:
    home_kc = Path(play.env["KUBECONFIG"])
    home_kc.parent.mkdir(parents=True)
    other = {"apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": "other",
             "clusters": [{"name": "other", "cluster": {"server": "https://example.invalid"}}],
             "contexts": [{"name": "other", "context": {"cluster": "other", "user": "other"}}],
             "users": [{"name": "other", "user": {"token": "x"}}]}
    home_kc.write_text(yaml.safe_dump(other))
    created = play.run("kind", "create", "cluster", "--name", "alpha")
    assert created.returncode == 0, created.stderr
    assert "kubectl cluster-info --context kind-alpha\n" in created.stderr
    merged = yaml.safe_load(home_kc.read_text())
    assert merged["current-context"] == "kind-alpha"
    assert [c["name"] for c in merged["clusters"]] == ["other", "kind-alpha"]
    # The default node image of kind v0.29.0.
    assert play.run("docker", "image", "inspect", "kindest/node:v1.33.1", "--format", "{{.Id}}").returncode == 0
    play.run("kind", "delete", "cluster", "--name", "alpha")
    left = yaml.safe_load(home_kc.read_text())
    assert [c["name"] for c in left["clusters"]] == ["other"]
    assert "current-context" not in left


def test_name_from_env_and_config_on_stdin(play: Play) -> None:
    cfg = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nname: fromcfg\n"
    res = play.run("kind", "create", "cluster", "--config", "-", "-q", stdin=cfg,
                   env={"KIND_CLUSTER_NAME": "fromenv"})
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    assert play.run("kind", "get", "clusters").stdout == "fromenv\n"
    res = play.run("kind", "create", "cluster", "--config", "-", stdin=cfg)
    assert res.returncode == 0
    assert play.run("kind", "get", "clusters").stdout == "fromcfg\nfromenv\n"
    bye = play.run("kind", "delete", "clusters", "--all")
    assert bye.stderr.splitlines()[-1] == 'Deleted clusters: ["fromcfg" "fromenv"]'


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  podSubnets: 10.1.0.0/16\n",
         "ERROR: failed to create cluster: unable to decode config: yaml: unmarshal errors:\n"
         "  line 4: field podSubnets not found in type v1alpha4.Networking\n"),
        ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha3\n",
         "ERROR: failed to create cluster: unknown apiVersion: kind.x-k8s.io/v1alpha3\n"),
        ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: worker\n",
         "ERROR: failed to create cluster: must have at least one control-plane node\n"),
        ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  podSubnet: 10.300.0.0/16\n",
         "ERROR: failed to create cluster: invalid pod subnet invalid CIDR address: 10.300.0.0/16\n"),
    ],
)
def test_config_errors(play: Play, config: str, message: str) -> None:
    path = play.root / "cfg.yaml"
    path.write_text(config)
    res = play.run("kind", "create", "cluster", "--name", "x", "--config", str(path))
    assert (res.returncode, res.stdout, res.stderr) == (1, "", message)
    assert connect(play.simdir) is None, "a config error must not start the playground"


def test_argument_errors(play: Play) -> None:
    missing = play.run("kind", "create", "cluster", "--config", "nope.yaml")
    assert missing.stderr == "ERROR: failed to create cluster: error reading file: open nope.yaml: no such file or directory\n"
    bad = play.run("kind", "create", "cluster", "--name", "Foo")
    assert bad.returncode == 1
    assert bad.stderr == ("ERROR: failed to create cluster: 'Foo' is not a valid cluster name, cluster names "
                          "must match `^[a-z0-9.-]+$`\n")
    flag = play.run("kind", "create", "cluster", "--foo")
    assert (flag.returncode, flag.stderr) == (1, "ERROR: unknown flag: --foo\n")
    cmd = play.run("kind", "frobnicate")
    assert (cmd.returncode, cmd.stderr) == (1, 'ERROR: unknown command "frobnicate" for "kind"\n')
    wait = play.run("kind", "create", "cluster", "--wait", "soon")
    assert wait.returncode == 1 and 'invalid argument "soon" for "--wait" flag' in wait.stderr
    assert play.run("kind", "version").stdout == "kind v0.29.0 go1.24.2 linux/amd64\n"
    assert play.run("kind", "--version").stdout == "kind version 0.29.0\n"
    locate = play.run("kind", "get", "kubeconfig", "--name", "ghost")
    assert locate.stderr == ("ERROR: could not locate any control plane nodes for cluster named 'ghost'. "
                             "Use the --name option to select a different cluster\n")
    nothing = play.run("kind", "get", "clusters")
    assert (nothing.stdout, nothing.stderr) == ("", "No kind clusters found.\n")
    assert not (play.simdir / "daemon.json").exists(), "read-only commands must not start the playground"


def test_load_docker_image(play: Play, kubectl_bin: str) -> None:
    assert play.run("kind", "create", "cluster", "--name", "img", "--kubeconfig", "kc").returncode == 0
    absent = play.run("kind", "load", "docker-image", "curlimages/curl", "--name", "img")
    assert (absent.returncode, absent.stderr) == (1, 'ERROR: image: "curlimages/curl" not present locally\n')
    pulled = play.run("docker", "pull", "curlimages/curl")
    assert pulled.returncode == 0 and pulled.stdout.splitlines()[-1] == "docker.io/curlimages/curl:latest"
    image_id = play.run("docker", "image", "inspect", "-f", "{{.Id}}", "curlimages/curl").stdout.strip()
    loaded = play.run("kind", "load", "docker-image", "curlimages/curl", "--name", "img")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stderr == (f'Image: "curlimages/curl" with ID "{image_id}" not yet present on node '
                             '"img-control-plane", loading...\n')
    node = json.loads(play.run("kubectl", "get", "node", "img-control-plane", "-o", "json",
                               "--kubeconfig", "kc").stdout)
    names = [n for i in node["status"].get("images", []) for n in i["names"]]
    assert "docker.io/curlimages/curl:latest" in names
    again = play.run("kind", "load", "docker-image", "curlimages/curl", "--name", "img")
    assert "found to be already present on all nodes" in again.stderr
    ghost = play.run("kind", "load", "docker-image", "curlimages/curl", "--name", "ghost")
    assert (ghost.returncode, ghost.stderr) == (1, 'ERROR: no nodes found for cluster "ghost"\n')


def test_docker_images_and_pull_errors(play: Play) -> None:
    denied = play.run("docker", "pull", "nobody/nothing")
    assert denied.returncode == 1
    assert denied.stderr == ("Error response from daemon: pull access denied for nobody/nothing, repository does "
                             "not exist or may require 'docker login'\n")
    missing = play.run("docker", "image", "inspect", "nobody/nothing")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1, "[]\n", "Error response from daemon: No such image: nobody/nothing\n")
    assert play.run("docker", "pull", "ghcr.io/liqotech/liqo-controller-manager:v1.0.0").returncode == 0
    images = play.run("docker", "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert images.stdout == "ghcr.io/liqotech/liqo-controller-manager:v1.0.0\n"
    version = play.run("docker", "version", "--format", "{{.Server.Version}}")
    assert (version.returncode, version.stdout) == (0, "28.2.2\n")
    info = json.loads(play.run("docker", "info", "--format", "{{json .}}").stdout)
    assert info["NCPU"] >= 4 and info["MemTotal"] >= 8 * 1024**3
    assert play.run("docker", "--version").stdout == "Docker version 28.2.2, build e6534b4\n"

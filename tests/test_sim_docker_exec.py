"""`docker exec NODE crictl pull|images` in the playground, proved with the real kubectl's view of the nodes.

Upstream sources each behaviour follows:
- docker/cli v28.2.2 cli/command/container/exec.go: flags end at CONTAINER, RequiresMinArgs(2) (cli/required.go
  wording, exit 1), the container inspect first ("No such container", exit 1), CheckTty (cli/streams/in.go),
  `-d`; cmd/docker/docker.go: a termination signal ends the client with 128+signal (SIGTERM: 143).
- moby v28.2.2 api/server/router/container/exec.go: an attached exec that cannot start prints the error on
  stdout ending in CRLF; daemon/errors.go: "executable file not found" is exit 127.
- cri-tools v1.33.0 cmd/crictl/image.go: `Image is up to date for <image ID>`, "pulling image: " errors
  through logrus.Fatal (cmd/crictl/main.go), the IMAGE/TAG/IMAGE ID/SIZE table (display.go, util.go).
- kubernetes pkg/kubelet/images/image_manager.go: IfNotPresent starts a container from an image the node's
  runtime holds with no pull (the playground's kubelet: sim/kubelet.py, its pulls traced by sim/delays.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from liqo_tutor.sim import ensure_bin, sim_env
from liqo_tutor.sim.client import stop

IMAGE = "curlimages/curl"  # what the service-offloading tutorial's client pods run
FULL = "docker.io/curlimages/curl:latest"
KIND_CONFIG = ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n"
               "- role: control-plane\n- role: worker\n")


class Play:
    def __init__(self, root: Path, kubectl_bin: str) -> None:
        self.root = root
        self.simdir = root / "sim"
        self.trace = root / "trace.jsonl"
        ensure_bin(self.simdir)
        home = root / "home"
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("LIQO_TUTOR_SIM_FAULTS", "KIND_CLUSTER_NAME", "LIQO_TUTOR_SIM_DIR")}
        self.env.update(sim_env(self.simdir, root))
        # The daemon keeps the speed it starts with: small but not 0, so that the kubelet's pulls are traced.
        self.env.update({"HOME": str(home), "KUBECONFIG": str(home / "kc"), "LIQO_TUTOR_SIM_SPEED": "0.05",
                         "LIQO_TUTOR_SIM_TRACE": str(self.trace), "LIQO_TUTOR_SIM_REAL_KUBECTL": kubectl_bin})

    def run(self, *argv: str, speed: str = "0", stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=self.root, capture_output=True, text=True, timeout=60,
                              env={**self.env, "LIQO_TUTOR_SIM_SPEED": speed, **(env or {})}, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL)

    def node_images(self, node: str) -> list[str]:
        done = self.run("kubectl", "get", "node", node, "-o", "jsonpath={.status.images[*].names}")
        assert done.returncode == 0, done.stderr
        return [n for line in done.stdout.split() for n in json.loads(line)]

    def pulls(self) -> int:
        """The image pulls the playground traced for cluster london so far."""
        if not self.trace.exists():
            return 0
        lines = [json.loads(line) for line in self.trace.read_text().splitlines() if line.strip()]
        return sum(1 for e in lines if e["name"] == "image_pull" and e["cluster"] == "london")


def poll(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture(scope="module")
def play(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Play]:
    from conftest import real_kubectl

    kubectl = real_kubectl()
    if kubectl is None:
        pytest.skip("real kubectl not found (run `make install`)")
    p = Play(tmp_path_factory.mktemp("dexec"), kubectl)
    (p.root / "kind.yaml").write_text(KIND_CONFIG)
    try:
        made = p.run("kind", "create", "cluster", "--name", "london", "--config", "kind.yaml", speed="0.05")
        assert made.returncode == 0, made.stderr
        yield p
    finally:
        p.run("kind", "delete", "cluster", "--name", "london")
        stop(p.simdir)


def _pod(name: str, node: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                       "spec": {"nodeName": node, "restartPolicy": "Never",
                                "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                                "args": ["-s", "--version"]}]}})


def _started(play: Play, name: str) -> bool:
    state = play.run("kubectl", "get", "pod", name, "-o", "jsonpath={.status.containerStatuses[0].state}").stdout
    return bool(state) and "ContainerCreating" not in state


def test_pull_on_one_node_then_a_pod_there_starts_without_pulling(play: Play) -> None:
    traced = play.pulls()
    pulled = play.run("docker", "exec", "london-worker", "crictl", "pull", IMAGE, speed="0.05")
    assert play.pulls() == traced + 1  # the pull is on the cluster's critical path, as the kubelet's
    image_id = play.run("docker", "exec", "london-worker", "crictl", "images", "-q").stdout
    assert (pulled.returncode, pulled.stderr) == (0, "")
    assert pulled.stdout.startswith("Image is up to date for sha256:")
    assert pulled.stdout.removeprefix("Image is up to date for ").strip() in image_id.split()
    assert FULL in play.node_images("london-worker")
    assert FULL not in play.node_images("london-control-plane")

    before = play.pulls()
    made = play.run("kubectl", "apply", "-f", "-", stdin=_pod("on-worker", "london-worker"))
    assert made.returncode == 0, made.stderr
    assert poll(lambda: _started(play, "on-worker"))
    assert play.pulls() == before  # the node's containerd had it: no pull

    made = play.run("kubectl", "apply", "-f", "-", stdin=_pod("on-control-plane", "london-control-plane"))
    assert made.returncode == 0, made.stderr
    assert poll(lambda: _started(play, "on-control-plane"))
    assert play.pulls() == before + 1  # the other node had not pulled it


def test_crictl_images_lists_the_pulled_image_on_that_node_only(play: Play) -> None:
    assert play.run("docker", "exec", "london-worker", "crictl", "pull", "dwdraju/alpine-curl-jq").returncode == 0
    worker = play.run("docker", "exec", "london-worker", "crictl", "images")
    assert worker.returncode == 0, worker.stderr
    lines = worker.stdout.splitlines()
    assert lines[0].split() == ["IMAGE", "TAG", "IMAGE", "ID", "SIZE"]
    assert lines[0].index("TAG") == lines[1].index(lines[1].split()[1])  # one table, aligned columns
    rows = {(line.split()[0], line.split()[1]) for line in lines[1:]}
    assert ("docker.io/dwdraju/alpine-curl-jq", "latest") in rows
    assert ("docker.io/curlimages/curl", "latest") in rows  # the first test's pull
    assert ("registry.k8s.io/pause", "3.10") in rows  # what the kind node image preloads
    control = play.run("docker", "container", "exec", "london-control-plane", "crictl", "images")
    assert control.returncode == 0 and "docker.io/dwdraju/alpine-curl-jq" not in control.stdout


def test_by_container_id_and_detached(play: Play) -> None:
    cid = play.run("docker", "ps", "-q", "--filter", "name=london-worker").stdout.split()
    assert len(cid) == 1
    again = play.run("docker", "exec", cid[0], "crictl", "pull", IMAGE)
    assert again.returncode == 0 and again.stdout.startswith("Image is up to date for sha256:")
    detached = play.run("docker", "exec", "-d", "london-control-plane", "crictl", "pull", "library/busybox")
    assert (detached.returncode, detached.stdout, detached.stderr) == (0, "", "")
    assert poll(lambda: "docker.io/library/busybox:latest" in play.node_images("london-control-plane"))
    assert "docker.io/library/busybox:latest" not in play.node_images("london-worker")


def test_wrong_inputs_fail_as_docker_and_crictl_do(play: Play) -> None:
    missing = play.run("docker", "exec", "london-nope", "crictl", "images")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1, "", "Error response from daemon: No such container: london-nope\n")
    alone = play.run("docker", "exec", "london-worker")
    assert (alone.returncode, alone.stdout, alone.stderr) == (
        1, "", "docker: 'docker exec' requires at least 2 arguments\n\nUsage:  docker exec [OPTIONS] CONTAINER "
        "COMMAND [ARG...]\n\nSee 'docker exec --help' for more information\n")
    shell = subprocess.run(["docker", "exec", "london-worker", "ls", "-l"],  # `-l`: the command's, not docker's
                           cwd=play.root, env=play.env, capture_output=True, timeout=60, check=False)
    assert (shell.returncode, shell.stderr) == (127, b"")
    assert shell.stdout == (b'OCI runtime exec failed: exec failed: unable to start container process: exec: "ls": '
                            b"executable file not found in $PATH: unknown\r\n")
    unknown = play.run("docker", "exec", "london-worker", "crictl", "pull", "no-such/image")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr.startswith('time="') and unknown.stderr.count("\n") == 1
    assert ('level=fatal msg="pulling image: rpc error: code = NotFound desc = failed to pull and unpack image '
            '\\"docker.io/no-such/image:latest\\"') in unknown.stderr
    assert "docker.io/no-such/image:latest" not in play.node_images("london-worker")
    on_tty = subprocess.run(["docker", "exec", "-t", "london-worker", "crictl", "pull", "no-such/image"],
                            cwd=play.root, env=play.env, capture_output=True, timeout=60, check=False)
    assert (on_tty.returncode, on_tty.stderr) == (1, b"")  # the pseudo-terminal merges stderr into stdout
    assert on_tty.stdout.startswith(b"\x1b[31mFATA\x1b[0m[0000] pulling image: rpc error: code = NotFound desc = ")
    assert on_tty.stdout.endswith(b"authorization failed \r\n")
    tty = play.run("docker", "exec", "-it", "london-worker", "crictl", "images")
    assert (tty.returncode, tty.stderr) == (1, "the input device is not a TTY\n")
    flag = play.run("docker", "exec", "--bogus", "london-worker", "crictl", "images")
    assert flag.returncode == 125 and flag.stderr.startswith("unknown flag: --bogus\n")
    down = play.run("docker", "exec", "london-worker", "crictl", "images",
                    env={"LIQO_TUTOR_SIM_FAULTS": "docker:down"})
    assert (down.returncode, down.stderr) == (1, "Cannot connect to the Docker daemon at "
                                                 "unix:///var/run/docker.sock. Is the docker daemon running?\n")


def _sleeping(pid: int) -> bool:
    try:
        return "nanosleep" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def test_a_terminated_pull_marks_nothing(play: Play) -> None:
    env = {**play.env, "LIQO_TUTOR_SIM_SPEED": "100"}  # a pull of 100 s: only the signal ends it
    proc = subprocess.Popen(["docker", "exec", "london-worker", "crictl", "pull", "library/nginx"],
                            cwd=play.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert poll(lambda: _sleeping(proc.pid)), "the pull never started waiting"
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, stdout) == (143, "")
    assert "docker.io/library/nginx:latest" not in play.node_images("london-worker")
    listed = play.run("docker", "exec", "london-worker", "crictl", "images").stdout
    assert "docker.io/library/nginx" not in listed

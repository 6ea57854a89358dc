"""Image behaviours: flights-service over a Service, curl / curl|jq pods, DNS and connection errors."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liqo_tutor.sim import images
from liqo_tutor.sim.apiserver import ApiServerHandle, serve_cluster
from liqo_tutor.sim.controllers import register
from liqo_tutor.sim.delays import delay
from liqo_tutor.sim.shell import Shell
from liqo_tutor.sim.store import ClusterSpec, World
from sim_world import poll, reconciling

APP = Path(__file__).resolve().parents[1] / "manifests" / "app.yaml"


class _Env:
    def __init__(self, world: World, handle: ApiServerHandle, tmp: Path, kubectl_bin: str) -> None:
        self.world, self.handle, self.kubectl_bin = world, handle, kubectl_bin
        self.kubeconfig = tmp / "kc.yaml"
        self.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: c\n  cluster:\n    server: {handle.url}\n"
            "users:\n- name: c\n  user:\n    token: t\n"
            "contexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n"
            "current-context: c\n"
        )
        self.home = tmp / "home"
        self.home.mkdir()

    def kubectl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"HOME": str(self.home), "PATH": "/usr/bin:/bin"},
        )

    def ended_phase(self, name: str) -> str:
        """The pod's phase once it is Succeeded or Failed, else ""."""
        phase = self.kubectl("get", "pod", name, "-n", "liqo-demo", "-o", "jsonpath={.status.phase}").stdout
        return phase if phase in ("Succeeded", "Failed") else ""

    def run_pod(self, name: str, *args: str) -> tuple[str, int]:
        out = self.kubectl("run", name, "-n", "liqo-demo", "--restart=Never", *args)
        assert out.returncode == 0, out.stderr
        # Poll for either end phase: a `kubectl wait` for Succeeded sat out its whole timeout on
        # every pod that was meant to fail.
        phase = poll(lambda: self.ended_phase(name))
        code = self.kubectl(
            "get",
            "pod",
            name,
            "-n",
            "liqo-demo",
            "-o",
            "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}",
        ).stdout
        logs = self.kubectl("logs", name, "-n", "liqo-demo").stdout
        assert phase == ("Succeeded" if int(code) == 0 else "Failed"), (phase, code)
        return logs, int(code)


@pytest.fixture
def env(tmp_path: Path, kubectl_bin: str) -> Iterator[_Env]:
    world = World(seed="images")
    register(world)
    cluster = world.add_cluster(
        ClusterSpec(name="london", nodes=(("london-control-plane", "control-plane"),))
    )
    world.reconcile()
    handle = serve_cluster(world, cluster)
    e = _Env(world, handle, tmp_path, kubectl_bin)
    try:
        with reconciling(world):
            assert e.kubectl("create", "namespace", "liqo-demo").returncode == 0
            yield e
    finally:
        handle.shutdown()


def test_flights_schedule_filters_by_time_of_day() -> None:
    midnight = time.mktime((2024, 5, 1, 0, 1, 0, 0, 0, 0)) - time.timezone
    assert images.flights_schedule(midnight) == []
    evening = midnight + 23 * 3600
    flights = images.flights_schedule(evening)
    assert len(flights) >= 20
    assert {"id", "origin", "dest", "carrier", "flight", "sched_dep_time"} <= set(flights[0])


def test_image_names_and_kinds() -> None:
    assert images.image_repo("docker.io/library/nginx:1.25") == "nginx"
    assert images.image_repo("liqo/flights-service:latest") == "liqo/flights-service"
    assert (
        images.behaviour_for("ghcr.io/liqotech/liqo-controller-manager:v1.0.0").start_delay
        == "liqo_pod_start"
    )
    assert images.behaviour_for("example.com/nothing").kind == "unknown"
    assert delay("curl") == 0  # the test environment runs the playground instantly


def test_curl_pods_reach_the_service(env: _Env) -> None:
    assert env.kubectl("apply", "-f", str(APP), "-n", "liqo-demo").returncode == 0
    assert (
        env.kubectl(
            "wait", "--for=condition=Available", "deploy/flights-service", "-n", "liqo-demo", "--timeout=20s"
        ).returncode
        == 0
    )
    logs, code = env.run_pod(
        "c1",
        "--image=curlimages/curl",
        "--",
        "-s",
        "-H",
        "accept: application/json",
        "http://flights-service.liqo-demo:7999/schedule",
    )
    assert code == 0
    assert isinstance(json.loads(logs), list)
    logs, code = env.run_pod(
        "c2",
        "--image=dwdraju/alpine-curl-jq",
        "--command",
        "--",
        "sh",
        "-c",
        "curl -s -H 'accept: application/json' "
        "http://flights-service.liqo-demo.svc.cluster.local:7999/schedule | jq .",
    )
    assert code == 0
    parsed = json.loads(logs)
    assert logs == json.dumps(parsed, indent=2) + "\n"
    logs, code = env.run_pod(
        "c3", "--image=curlimages/curl", "--", "-sSf", "http://flights-service:7999/nope"
    )
    assert (code, logs) == (22, "curl: (22) The requested URL returned error: 404\n")
    logs, code = env.run_pod(
        "c4", "--image=curlimages/curl", "--", "-s", "http://flights-service:7999/schedule"
    )
    assert code == 0 and logs.startswith("<!DOCTYPE html>")


def test_curl_errors_dns_and_no_endpoint(env: _Env) -> None:
    logs, code = env.run_pod("d1", "--image=curlimages/curl", "--", "-sS", "http://nowhere.liqo-demo:7999/")
    assert (code, logs) == (6, "curl: (6) Could not resolve host: nowhere.liqo-demo\n")
    logs, code = env.run_pod("d2", "--image=curlimages/curl", "--", "-s", "http://nowhere:7999/")
    assert (code, logs) == (6, "")
    svc = APP.read_text().split("---", 1)[1]
    (env.kubeconfig.parent / "svc.yaml").write_text(svc)
    assert (
        env.kubectl("apply", "-f", str(env.kubeconfig.parent / "svc.yaml"), "-n", "liqo-demo").returncode == 0
    )
    logs, code = env.run_pod(
        "d3", "--image=curlimages/curl", "--", "-sS", "http://flights-service:7999/schedule"
    )
    assert code == 7
    assert logs == (
        "curl: (7) Failed to connect to flights-service port 7999 after 2 ms: Couldn't connect to server\n"
    )


def test_nginx_and_nginxdemos_hello_pages(env: _Env, tmp_path: Path) -> None:
    """nginx serves its welcome page on 80; nginxdemos/hello names the pod that served (server name =
    hostname, server address = pod IP:port), also as text with the `plain-text` tag."""
    for name, image in (
        ("web", "nginx"),
        ("hello", "nginxdemos/hello"),
        ("hello-text", "nginxdemos/hello:plain-text"),
    ):
        assert (
            env.kubectl("create", "deployment", name, f"--image={image}", "-n", "liqo-demo").returncode == 0
        )
        assert env.kubectl("expose", "deployment", name, "--port=80", "-n", "liqo-demo").returncode == 0
        done = env.kubectl("rollout", "status", f"deploy/{name}", "-n", "liqo-demo", "--timeout=20s")
        assert done.returncode == 0, done.stderr
    logs, code = env.run_pod("n1", "--image=curlimages/curl", "--", "-s", "http://web.liqo-demo")
    assert code == 0 and "<title>Welcome to nginx!</title>" in logs
    logs, code = env.run_pod(
        "n2", "--image=curlimages/curl", "--", "-s", "-f", "http://web.liqo-demo/missing"
    )
    assert code == 22 and logs == ""
    logs, code = env.run_pod(
        "n3", "--image=curlimages/curl", "--", "-s", "http://hello-text.liqo-demo/some/path"
    )
    pod = env.kubectl("get", "pods", "-n", "liqo-demo", "-l", "app=hello-text", "-o",
                      "jsonpath={.items[0].metadata.name} {.items[0].status.podIP}").stdout.split()  # fmt: skip
    fields = dict(line.split(": ", 1) for line in logs.splitlines())
    assert code == 0
    assert fields["Server name"] == pod[0]
    assert fields["Server address"] == f"{pod[1]}:80"
    assert fields["URI"] == "/some/path"
    logs, code = env.run_pod("n4", "--image=curlimages/curl", "--", "-s", "http://hello.liqo-demo")
    hello = env.kubectl("get", "pods", "-n", "liqo-demo", "-l", "app=hello", "-o",
                        "jsonpath={.items[0].metadata.name}").stdout  # fmt: skip
    assert code == 0 and "<title>Hello World</title>" in logs and hello in logs
    logs, code = env.run_pod("n5", "--image=curlimages/curl", "--", "-sS", "http://web.liqo-demo:8080")
    assert code == 7  # nothing listens on 8080


def _shell(image: str, world: World | None = None) -> Shell:
    world = world or World(seed="shell")
    cluster = world.clusters.get("london") or world.add_cluster(ClusterSpec(name="london"))
    pod = {"metadata": {"name": "box", "namespace": "default"}}
    return Shell(
        images.shell_context(
            world, cluster, pod, {"name": "box", "image": image, "env": [{"name": "X", "value": "1"}]}
        )
    )


def test_shell_lines_like_ash() -> None:
    """busybox ash: quoting, variables, `$?` per command, pipes, redirections, && ||, exit, not found."""
    sh = _shell("busybox")
    assert sh.prompt() == "/ # "
    assert sh.run_line("echo 'a  b' \"$X\" ${X}x $NOPE.").out == "a  b 1 1x .\n"
    res = sh.run_line("nosuch; echo $?")
    assert (res.out, res.err) == ("127\n", "sh: nosuch: not found\n")
    res = sh.run_line("false && echo no || echo yes; true || echo no")
    assert res.out == "yes\n"
    res = sh.run_line('echo \'{"a": {"b": [1, 2]}}\' | jq .a.b[1] > /tmp/f; cat /tmp/f; ls /tmp')
    assert (res.out, res.err) == ("f\n", "sh: jq: not found\n")  # busybox has no jq: an empty file
    res = _shell("dwdraju/alpine-curl-jq").run_line('echo \'{"a": {"b": [1, 2]}}\' | jq .a.b[1] > f; cat f')
    assert res.out == "2\n"
    assert sh.run_line("echo out >&2").err == "out\n"
    assert sh.run_line("cat /nope 2>&1").out == "cat: can't open '/nope': No such file or directory\n"
    assert sh.run_line("cd /nowhere").code == 2
    assert sh.run_line("hostname; pwd").out == "box\n/\n"
    assert sh.run_line("curl -s http://x").err == "sh: curl: not found\n"  # busybox has no curl
    res = sh.run_line("sh -c 'echo in; exit 4'; echo after $?")
    assert res.out == "in\nafter 4\n" and not res.exited
    res = sh.run_line("exit 5; echo never")
    assert (res.code, res.exited, res.out) == (5, True, "")
    assert sh.run_line("echo 'unterminated").code == 2


def test_shell_per_image_prompts_and_jq() -> None:
    assert _shell("curlimages/curl").prompt() == "~ $ "
    nginx = _shell("nginx")
    assert nginx.prompt() == "# "
    assert nginx.run_line("nosuch").err == "sh: 1: nosuch: not found\n"  # dash names the line
    assert "Welcome to nginx!" in nginx.run_line("cat /usr/share/nginx/html/index.html").out
    jq = _shell("dwdraju/alpine-curl-jq")
    doc = '[{"dest": "LAX", "id": 1}, {"dest": "SFO", "id": 2}]'
    assert jq.run_line(f"echo '{doc}' | jq -r '.[].dest'").out == "LAX\nSFO\n"
    assert jq.run_line(f"echo '{doc}' | jq -c '.[1]'").out == '{"dest":"SFO","id":2}\n'
    assert jq.run_line(f"echo '{doc}' | jq length").out == "2\n"
    bad = jq.run_line(f"echo '{doc}' | jq .dest")
    assert bad.code == 5 and 'Cannot index array with "dest"' in bad.err
    assert jq.run_line("echo nope | jq .").code == 2

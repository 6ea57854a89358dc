"""Liqo quick-start's microservices demo (Online Boutique v0.3.7) in the playground, seen by the REAL kubectl.

The cluster is made by the simulated `kind create cluster`; everything else is typed as a person would:
`kubectl apply -k manifests/quick-start/demo-application -n demo`, `kubectl rollout status`, `kubectl run`
of curlimages/curl, `kubectl logs`, `kubectl exec`. Behaviours followed (microservices-demo v0.3.7):
src/frontend/main.go (routes, `/_healthz` -> ok, 404 text), src/frontend/templates/header.html and
home.html (title Online Boutique, Hot Products), src/frontend/handlers.go (500 error page naming the
failed backend call), src/productcatalogservice/products.json (names and USD prices),
src/*/Dockerfile (grpc_health_probe), src/cartservice/src/cartstore/RedisCartStore.cs (cart storage
error); curl's exit codes (7: nothing listens, 1: the server's answer is not HTTP/1, 22: --fail and an
HTTP error); redis-cli's `PONG` and `Could not connect to Redis at ...`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from liqo_tutor.sim import ensure_bin, real_kubectl, sim_env, simdir_for
from liqo_tutor.sim.client import stop

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "manifests" / "quick-start" / "demo-application"
CURL = "curlimages/curl"
TERMINATED = "jsonpath={.status.containerStatuses[0].state.terminated.exitCode}"
PRODUCTS = {  # src/productcatalogservice/products.json at v0.3.7: name -> price in USD
    "Sunglasses": "$19.99",
    "Tank Top": "$18.99",
    "Watch": "$109.99",
    "Loafers": "$89.99",
    "Hairdryer": "$24.99",
    "Candle Holder": "$18.99",
    "Salt &amp; Pepper Shakers": "$18.49",
    "Bamboo Glass Jar": "$5.49",
    "Mug": "$8.99",
}
DEPLOYMENTS = {
    "emailservice", "checkoutservice", "recommendationservice", "frontend", "paymentservice",
    "productcatalogservice", "cartservice", "loadgenerator", "currencyservice", "shippingservice",
    "redis-cart", "adservice",
}  # fmt: skip


class Kubectl:
    """The real kubectl (argv lists, never a shell) against the playground's kind cluster `rome`."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env

    def __call__(self, *args: str, ok: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            ["kubectl", *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if ok:
            assert res.returncode == 0, (
                f"kubectl {' '.join(args)}\nstdout: {res.stdout}\nstderr: {res.stderr}"
            )
        return res

    def curl(self, name: str, *curl_args: str) -> tuple[str, int]:
        """`kubectl run NAME --image curlimages/curl -- ARGS` in demo: (its log, its exit code)."""
        self("run", name, "-n", "demo", "--image", CURL, "--restart=Never", "--", *curl_args)
        code = self("get", "pod", name, "-n", "demo", "-o", TERMINATED).stdout
        deadline = time.monotonic() + 60
        while not code:
            assert time.monotonic() < deadline, f"pod {name} did not terminate within 60s"
            time.sleep(0.2)
            code = self("get", "pod", name, "-n", "demo", "-o", TERMINATED).stdout
        log = self("logs", name, "-n", "demo").stdout
        self("delete", "pod", name, "-n", "demo", "--wait=false")
        return log, int(code)


def _poll(what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def rome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    """A kind cluster `rome` (simulated kind, 2 nodes) with the demo applied in namespace demo."""
    if real_kubectl() is None:
        pytest.skip("real kubectl not found (run `make install`)")
    workdir = tmp_path_factory.mktemp("boutique")
    simdir = simdir_for(workdir)
    ensure_bin(simdir)
    env = dict(os.environ)
    env.update(sim_env(simdir, workdir))
    env["LIQO_TUTOR_SIM_SPEED"] = "0"
    env["KUBECONFIG"] = str(workdir / "liqo_kubeconf_rome")
    config = REPO / "manifests" / "quick-start" / "kind-v1.yaml"
    try:
        made = subprocess.run(
            ["kind", "create", "cluster", "--name", "rome", "--kubeconfig", env["KUBECONFIG"], "--config",
             str(config)],
            env=env, capture_output=True, text=True, timeout=120, check=False, cwd=workdir,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        k = Kubectl(workdir, env)
        k("create", "namespace", "demo")
        k("apply", "-k", str(DEMO), "-n", "demo")
        yield k
    finally:
        stop(simdir)


def test_every_deployment_becomes_available(rome: Kubectl) -> None:
    for name in sorted(DEPLOYMENTS):
        rome("rollout", "status", f"deployment/{name}", "-n", "demo", "--timeout=90s")
    deps = json.loads(rome("get", "deployments", "-n", "demo", "-o", "json").stdout)["items"]
    assert {d["metadata"]["name"] for d in deps} == DEPLOYMENTS
    for d in deps:
        cond = {c["type"]: c["status"] for c in d["status"].get("conditions") or []}
        assert cond.get("Available") == "True", d["metadata"]["name"]
        assert d["status"].get("readyReplicas") == 1, d["metadata"]["name"]
    pods = json.loads(rome("get", "pods", "-n", "demo", "-o", "json").stdout)["items"]
    running = [p for p in pods if p["status"].get("phase") == "Running"]
    assert len(running) == 12
    assert all(cs["ready"] for p in running for cs in p["status"]["containerStatuses"])


def test_frontend_serves_the_boutique_with_the_catalog(rome: Kubectl) -> None:
    rome("rollout", "status", "deployment/frontend", "-n", "demo", "--timeout=90s")
    for name in ("productcatalogservice", "currencyservice", "cartservice", "redis-cart"):
        rome("rollout", "status", f"deployment/{name}", "-n", "demo", "--timeout=90s")
    page, code = rome.curl("curl-home", "-s", "http://frontend.demo/")
    assert code == 0, page
    head = page.split("</title>", 1)[0]
    assert "<title>" in head and "Online Boutique" in head
    assert "Hot Products" in page
    for name, price in PRODUCTS.items():
        assert f">{name}<" in page and price in page, name
    product, code = rome.curl("curl-product", "-s", "http://frontend.demo/product/OLJCESPC7Z")
    assert code == 0 and "Sunglasses" in product and "$19.99" in product
    healthz, code = rome.curl("curl-healthz", "-s", "http://frontend.demo.svc.cluster.local/_healthz")
    assert (healthz, code) == ("ok", 0)
    # a product id the catalog does not have: productcatalogservice's NotFound, the frontend's 500 page
    missing, code = rome.curl("curl-missing", "-s", "-w", "%{http_code}", "http://frontend/product/NOPE")
    assert code == 0 and missing.endswith("500")
    assert "could not retrieve product: rpc error: code = NotFound desc = no product with ID NOPE" in missing
    _, code = rome.curl("curl-missing-fail", "-s", "--fail", "http://frontend/product/NOPE")
    assert code == 22


def test_wrong_ports_and_protocols_fail_like_curl(rome: Kubectl) -> None:
    rome("rollout", "status", "deployment/frontend", "-n", "demo", "--timeout=90s")
    rome("rollout", "status", "deployment/productcatalogservice", "-n", "demo", "--timeout=90s")
    ip = rome(
        "get", "pods", "-n", "demo", "-l", "app=frontend", "-o", "jsonpath={.items[0].status.podIP}"
    ).stdout
    assert ip
    # the frontend listens on 8080 (its PORT), not on 80: the pod refuses the connection
    log, code = rome.curl("curl-pod-80", "-sS", f"http://{ip}:80/")
    assert code == 7 and "Couldn't connect to server" in log, log
    page, code = rome.curl("curl-pod-8080", "-s", f"http://{ip}:8080/")
    assert code == 0 and "Online Boutique" in page
    # productcatalogservice speaks gRPC: the TCP connection works, the answer is no HTTP/1
    log, code = rome.curl("curl-grpc", "-sS", "http://productcatalogservice:3550/")
    assert code == 1 and "Received HTTP/0.9 when not allowed" in log, log
    # a name that no Service has
    _, code = rome.curl("curl-typo", "-s", "http://frontent/")
    assert code == 6


def test_grpc_health_and_redis_from_inside_the_pods(rome: Kubectl) -> None:
    for name in ("productcatalogservice", "cartservice", "redis-cart"):
        rome("rollout", "status", f"deployment/{name}", "-n", "demo", "--timeout=90s")
    ok = rome(
        "exec", "-n", "demo", "deploy/productcatalogservice", "--", "/bin/grpc_health_probe", "-addr=:3550"
    )
    assert ok.stderr.strip() == "status: SERVING"
    wrong = rome("exec", "-n", "demo", "deploy/productcatalogservice", "--", "/bin/grpc_health_probe",
                 "-addr=:8080", ok=False)  # fmt: skip
    assert wrong.returncode == 2 and 'failed to connect service ":8080"' in wrong.stderr
    assert rome("exec", "-n", "demo", "deploy/redis-cart", "--", "redis-cli", "ping").stdout == "PONG\n"
    far = rome("exec", "-n", "demo", "deploy/redis-cart", "--", "redis-cli", "-p", "6380", "ping", ok=False)
    assert far.returncode == 1
    assert "Could not connect to Redis at 127.0.0.1:6380: Connection refused" in far.stderr
    logs = rome("logs", "-n", "demo", "deploy/loadgenerator").stdout
    assert "Starting Locust" in logs


def test_a_wrong_backend_address_gives_the_error_page(rome: Kubectl) -> None:
    """A typo in PRODUCT_CATALOG_SERVICE_ADDR: the frontend runs, its home page is 500 (handlers.go)."""
    env = "PRODUCT_CATALOG_SERVICE_ADDR"
    rome("set", "env", "deployment/frontend", "-n", "demo", f"{env}=productcatalog:3550")
    rome("rollout", "status", "deployment/frontend", "-n", "demo", "--timeout=90s")
    page, code = rome.curl("curl-typo-env", "-s", "-w", "%{http_code}", "http://frontend.demo/")
    assert code == 0 and page.endswith("500"), page[-300:]
    assert "could not retrieve products: rpc error: code = Unavailable desc = " in page
    assert "lookup productcatalog on " in page and "no such host" in page
    rome("set", "env", "deployment/frontend", "-n", "demo", f"{env}=productcatalogservice:3550")
    rome("rollout", "status", "deployment/frontend", "-n", "demo", "--timeout=90s")
    page, code = rome.curl("curl-env-fixed", "-s", "--fail", "http://frontend.demo/")
    assert code == 0 and ">Mug<" in page


def test_frontend_without_redis_answers_500(rome: Kubectl) -> None:
    """Last (it breaks the demo): the cart lives in redis, so the home page fails without it."""
    rome("rollout", "status", "deployment/frontend", "-n", "demo", "--timeout=90s")
    rome("delete", "deployment/redis-cart", "-n", "demo")
    _poll(
        "redis-cart's pod gone",
        lambda: not rome("get", "pods", "-n", "demo", "-l", "app=redis-cart", "-o", "name").stdout.strip(),
    )
    page, code = rome.curl("curl-no-redis", "-s", "-w", "%{http_code}", "http://frontend.demo/")
    assert code == 0 and page.endswith("500"), page[-300:]
    assert (
        "could not retrieve cart: rpc error: code = FailedPrecondition desc = Can&#39;t access cart" in page
    )
    _, code = rome.curl("curl-no-redis-fail", "-s", "--fail", "http://frontend.demo/")
    assert code == 22
    rome("apply", "-k", str(DEMO), "-n", "demo")  # applied again, the demo is whole again
    rome("rollout", "status", "deployment/redis-cart", "-n", "demo", "--timeout=90s")
    page, code = rome.curl("curl-redis-back", "-s", "--fail", "http://frontend.demo/")
    assert code == 0 and "Hot Products" in page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offloaded_demo_serves_from_milan_through_a_port_forward(tmp_path: Path, kubectl_bin: str) -> None:
    """Liqo's quick-start: the demo in an offloaded namespace; the frontend, wherever it runs, reaches its
    backends through the Services Liqo reflects (liqo v1.2.0 pkg/virtualKubelet/reflection), and
    `kubectl port-forward service/frontend-external` serves the home page to the host's curl."""
    simdir = simdir_for(tmp_path)
    ensure_bin(simdir)
    env = dict(os.environ)
    env.update(sim_env(simdir, tmp_path))
    env["KUBECONFIG"] = str(tmp_path / "kc_rome")
    config = str(REPO / "manifests" / "quick-start" / "kind-v1.yaml")

    def run(*argv: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert res.returncode == 0 or not ok, f"{' '.join(argv)}\n{res.stdout}\n{res.stderr}"
        return res

    forward: subprocess.Popen[str] | None = None
    try:
        for name in ("rome", "milan"):
            run("kind", "create", "cluster", "--name", name, "--kubeconfig", f"kc_{name}", "--config", config)
            run("liqoctl", "install", "kind", "--cluster-id", name, "--kubeconfig", f"kc_{name}")
        run("liqoctl", "peer", "--remote-kubeconfig", "kc_milan", "--gw-server-service-type", "NodePort")
        run("kubectl", "create", "namespace", "liqo-demo")
        run("liqoctl", "offload", "namespace", "liqo-demo")
        run("kubectl", "apply", "-k", str(DEMO), "-n", "liqo-demo")
        for name in sorted(DEPLOYMENTS):
            run("kubectl", "rollout", "status", f"deployment/{name}", "-n", "liqo-demo", "--timeout=90s")
        wide = run("kubectl", "get", "pods", "-n", "liqo-demo", "-o", "wide").stdout
        assert any(line.split()[6] == "milan" for line in wide.splitlines()[1:]), wide
        port = _free_port()
        forward = subprocess.Popen(
            ["kubectl", "port-forward", "-n", "liqo-demo", "service/frontend-external", f"{port}:80"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert forward.stdout is not None
        assert forward.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{port} -> 8080")
        page = run("curl", "--fail", "--silent", f"http://localhost:{port}/").stdout
        assert "Online Boutique" in page.split("</title>")[0] and ">Loafers<" in page and "$89.99" in page
        missing = run("curl", "--fail", "--silent", f"http://localhost:{port}/product/NOPE", ok=False)
        assert missing.returncode == 22
    finally:
        if forward is not None:
            forward.terminate()
            forward.wait(timeout=10)
        stop(simdir)

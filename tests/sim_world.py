"""An in-process playground for tests: a World with the built-in controllers, one API listener per
cluster, a ticker standing in for the daemon's loop, and the REAL kubectl pointed at each cluster."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from liqo_tutor.sim.apiserver import ApiServerHandle, serve_cluster
from liqo_tutor.sim.controllers import register
from liqo_tutor.sim.store import Cluster, ClusterSpec, World


class Kube:
    """The real kubectl against one simulated cluster."""

    def __init__(self, kubectl_bin: str, handle: ApiServerHandle, home: Path, name: str) -> None:
        self.kubectl_bin, self.home = kubectl_bin, home
        self.kubeconfig = home / f"{name}.kubeconfig"
        self.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: kind-{name}\n  cluster:\n    server: {handle.url}\n"
            f"users:\n- name: kind-{name}\n  user:\n    token: not-a-secret\n"
            f"contexts:\n- name: kind-{name}\n  context:\n    cluster: kind-{name}\n    user: kind-{name}\n"
            f"current-context: kind-{name}\n"
        )

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            input=stdin,
            env={"HOME": str(self.home), "PATH": "/usr/bin:/bin"},
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        out = self(*args, stdin=stdin)
        assert out.returncode == 0, f"kubectl {' '.join(args)}: {out.stderr}"
        return out.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "-o", "json"))


def poll(what: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Return what() as soon as it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


class Playground:
    def __init__(self, world: World, kubectl_bin: str, home: Path) -> None:
        self.world, self.kubectl_bin, self.home = world, kubectl_bin, home
        self.handles: list[ApiServerHandle] = []
        self.kube: dict[str, Kube] = {}

    def add(self, name: str, workers: int = 2, version: str = "v1.32.0") -> Kube:
        nodes = ((f"{name}-control-plane", "control-plane"),) + tuple(
            (f"{name}-worker{i if i > 1 else ''}", "worker") for i in range(1, workers + 1)
        )
        with self.world.lock:
            cluster = self.world.add_cluster(ClusterSpec(name=name, k8s_version=version, nodes=nodes))
        self.world.reconcile()
        handle = serve_cluster(self.world, cluster)
        self.handles.append(handle)
        self.kube[name] = Kube(self.kubectl_bin, handle, self.home, name)
        return self.kube[name]

    def cluster(self, name: str) -> Cluster:
        return self.world.clusters[name]


@contextmanager
def reconciling(world: World) -> Iterator[None]:
    """The daemon's loop in miniature for the block: a thread reconciles `world` when a wake-up is due."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.05):
            due = world.next_wake()
            if due is not None and due <= time.time():
                world.reconcile()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join(timeout=5)


@contextmanager
def playground(kubectl_bin: str, home: Path) -> Iterator[Playground]:
    world = World(seed="tests")
    register(world)
    pg = Playground(world, kubectl_bin, home)
    try:
        with reconciling(world):
            yield pg
    finally:
        for handle in pg.handles:
            handle.shutdown()

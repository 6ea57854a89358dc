"""The playground's kubectl keeps its discovery cache in the playground, and a new cluster starts with
none: kubectl caches discovery per host:port for hours (its cache directory, $KUBECACHEDIR, else
~/.kube/cache; k8s.io/cli-runtime genericclioptions config_flags.go), and playgrounds reuse local
ports, so a cluster recreated on a port (another Liqo line, other CRD groups) would otherwise be read
through the previous one's API groups."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from liqo_tutor.sim import KUBE_CACHE
from liqo_tutor.sim.client import stop
from test_sim_kind import Play


@pytest.fixture
def play(tmp_path: Path) -> Iterator[Play]:
    p = Play(tmp_path)
    try:
        yield p
    finally:
        stop(p.simdir)


def _port(kubeconfig: Path) -> str:
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    return str(server).rsplit(":", 1)[1]


def test_discovery_stays_in_the_playground_and_a_new_cluster_starts_without_it(play: Play) -> None:
    kc = play.root / "kc"
    created = play.run("kind", "create", "cluster", "--name", "a", "--kubeconfig", str(kc))
    assert created.returncode == 0, created.stderr
    port = _port(kc)
    assert play.run("kubectl", "get", "nodes", "--kubeconfig", str(kc)).returncode == 0
    cached = play.simdir / KUBE_CACHE / "discovery" / f"127.0.0.1_{port}"
    assert cached.is_dir()
    assert not (play.root / "home" / ".kube" / "cache").exists()  # the user's own cache is untouched
    assert play.run("kind", "delete", "cluster", "--name", "a", "--kubeconfig", str(kc)).returncode == 0
    assert not cached.exists()  # deleted with its cluster
    cached.mkdir(parents=True)  # as if left by an earlier playground on that port
    # Another cluster on the very same port: what was discovered of the first one is gone.
    config = play.root / "same-port.yaml"
    config.write_text(
        f"kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  apiServerPort: {port}\n"
    )
    again = play.run(
        "kind", "create", "cluster", "--name", "b", "--kubeconfig", str(kc), "--config", str(config)
    )
    assert again.returncode == 0, again.stderr
    assert _port(kc) == port
    assert not cached.exists()
    assert play.run("kubectl", "get", "nodes", "--kubeconfig", str(kc)).returncode == 0
    assert play.run("kind", "delete", "cluster", "--name", "b", "--kubeconfig", str(kc)).returncode == 0

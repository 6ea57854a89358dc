"""Bring your own clusters: a playground made by hand (kind create + liqoctl install) is "your own clusters".

The tutorial runs on it (with --explain, --report and --junit), and teardown undoes only what
liqo-tutor did there: the clusters and their Liqo stay. One set-up serves every assertion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import real_kubectl
from liqo_tutor.report import SCHEMA
from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
from liqo_tutor.sim.client import stop

# The whole tutorial runs on the hand-made clusters: an end-to-end run (`make test`, not test-fast).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Byo:
    workdir: Path
    env: dict[str, str]
    run: subprocess.CompletedProcess[str]
    teardown: subprocess.CompletedProcess[str]
    tokens: list[str]

    def tool(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=self.workdir, env=self.env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)


def _cli(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "liqo_tutor", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def byo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Byo]:
    kubectl_bin = real_kubectl()
    if kubectl_bin is None:
        pytest.skip("real kubectl not found (run `make install`)")
    workdir = tmp_path_factory.mktemp("byo")
    home = tmp_path_factory.mktemp("byo-home")
    # Module-scoped: the autouse hermetic fixture is not there yet, so the environment is built here.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LIQO_TUTOR_", "KUBECONFIG"))}
    base.update(HOME=str(home), KUBECONFIG=str(home / ".kube" / "config"), NO_COLOR="1",
                LIQO_TUTOR_SIM_SPEED="0", COLUMNS="120")
    cli_env = dict(base)
    simdir = simdir_for(workdir)
    env = dict(base)
    env.update(sim_env(simdir, workdir))
    env["PATH"] = os.pathsep.join([str(ensure_bin(simdir)), str(Path(kubectl_bin).parent), env.get("PATH", "")])
    mine = workdir / "mine"
    mine.mkdir()
    state = Byo(workdir, env, None, None, [])  # type: ignore[arg-type]
    try:
        for name in ("london", "newyork"):
            for argv in (
                ["kind", "create", "cluster", "--name", f"mine-{name}", "--kubeconfig", f"mine/{name}.yaml",
                 "--config", str(REPO / "manifests" / "kind-v1.yaml")],
                ["liqoctl", "install", "kind", "--cluster-id", name, "--version", "v1.2.0",
                 "--kubeconfig", f"mine/{name}.yaml"],
            ):
                done = state.tool(*argv)
                assert done.returncode == 0, done.stderr
            state.tokens += [u["user"]["token"] for u in yaml.safe_load((mine / f"{name}.yaml").read_text())["users"]]
        clusters = ["--cluster", "london=mine/london.yaml", "--cluster", f"newyork={mine}/newyork.yaml@kind-mine-newyork"]
        state.run = _cli(workdir, cli_env, "run", "--simulate", "--explain", "--report", "r.json", "--junit", "j.xml",
                         *clusters)
        state.teardown = _cli(workdir, cli_env, "teardown", "--simulate", *clusters)
        yield state
    finally:
        for name in ("london", "newyork"):
            state.tool("kind", "delete", "cluster", "--name", f"mine-{name}", "--kubeconfig", f"mine/{name}.yaml")
        stop(simdir)


def test_the_tutorial_runs_on_your_clusters(byo: Byo) -> None:
    assert byo.run.returncode == 0, byo.run.stdout + byo.run.stderr
    out = byo.run.stdout
    assert "using your kubeconfig" in out
    assert "already done on london: Liqo is already running in london" in out
    assert "kind create" not in out and "liqoctl install" not in out
    # Your clusters' nodes are not ours to reach: no image is pulled on them behind the steps.
    transcript = (byo.workdir / ".liqo-tutor" / "transcript.jsonl").read_text()
    assert "crictl" not in transcript and '"docker", "exec"' not in transcript
    # --explain: what changed, computed from the clusters themselves.
    assert "node newyork appeared (virtual node)" in out
    assert "no pod runs in liqo-demo" in out
    assert "service liqo-demo/flights-service appeared with ClusterIP" in out


def test_teardown_leaves_your_clusters_and_their_liqo(byo: Byo) -> None:
    assert byo.teardown.returncode == 0, byo.teardown.stdout + byo.teardown.stderr
    out = byo.teardown.stdout
    assert "liqoctl unoffload" in out and "liqoctl unpeer" in out  # what liqo-tutor did is undone
    assert "liqoctl uninstall" not in out and "kind delete" not in out
    assert "left alone on london" in out and "left alone on newyork" in out
    assert set(byo.tool("kind", "get", "clusters").stdout.split()) == {"mine-london", "mine-newyork"}
    for name in ("london", "newyork"):
        assert (byo.workdir / "mine" / f"{name}.yaml").exists()
        deployments = byo.tool("kubectl", "get", "deployments", "-n", "liqo", "-o", "name",
                               "--kubeconfig", f"mine/{name}.yaml")
        assert "liqo-controller-manager" in deployments.stdout
    node = byo.tool("kubectl", "get", "node", "newyork", "--ignore-not-found", "-o", "name",
                    "--kubeconfig", "mine/london.yaml")
    assert node.stdout.strip() == ""


def test_report_junit_and_transcript_are_valid_and_masked(byo: Byo) -> None:
    report = json.loads((byo.workdir / "r.json").read_text())
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    assert report["tutorial"] == "service-offloading" and report["line"] == "v1" and report["ok"] is True
    assert [s["id"] for s in report["steps"]] == ["provision", "peer", "offload", "consume"]
    assert all(c["status"] == "passed" for s in report["steps"] for c in s["checks"])

    junitparser = pytest.importorskip("junitparser")
    suite = junitparser.JUnitXml.fromfile(str(byo.workdir / "j.xml"))
    cases = [case for s in (suite if isinstance(suite, junitparser.JUnitXml) else [suite]) for case in s]
    assert [c.name for c in cases] == ["provision", "peer", "offload", "consume"]
    assert all(c.is_passed for c in cases)

    lines = (byo.workdir / ".liqo-tutor" / "transcript.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert {"cluster", "argv", "exit_code", "duration", "stdout"} <= set(entries[0])
    peer = next(e for e in entries if e["argv"][:2] == ["liqoctl", "peer"])
    assert peer["cluster"] == "london" and peer["exit_code"] == 0
    # The complete consume output is kept (the screen shows it cut down).
    logs = [e for e in entries if e["argv"][:2] == ["kubectl", "logs"]]
    assert logs and all(len(json.loads(e["stdout"])) > 2 for e in logs)
    assert "… " not in "".join(e["stdout"] for e in logs)
    everything = "".join(p.read_text() for p in (byo.workdir / "r.json", byo.workdir / "j.xml")) + "\n".join(lines)
    everything += byo.run.stdout + byo.run.stderr + byo.teardown.stdout
    assert byo.tokens and all(t not in everything for t in byo.tokens)

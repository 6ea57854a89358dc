"""Both Liqo lines end to end through the CLI and the simulated playground (real kubectl).

One full run per line is shared by the tests of that line (module-scoped, in file order): the run's
output, a client/server mismatch against its clusters, then its teardown. The v1 run (the default
line, by name) is also the one whose status, environment and teardown
test_full_tutorial_then_status_teardown_and_step_order reads. The simulated liqoctl reports the
version in LIQO_TUTOR_SIM_LIQO_VERSION, read per call.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lines_cli import cleanup, hermetic_env, require_kubectl, tutor
from reliability_helpers import sim_processes

pytestmark = pytest.mark.slow

@dataclass
class Played:
    workdir: Path
    env: dict[str, str]
    run: subprocess.CompletedProcess[str]
    teardown: subprocess.CompletedProcess[str] | None = None


def torn_down(played: Played) -> subprocess.CompletedProcess[str]:
    """`teardown --simulate` of the shared run, once, for whichever test needs it first."""
    if played.teardown is None:
        played.teardown = tutor(played.workdir, played.env, "teardown", "--simulate")
    return played.teardown


def _played(
    tmp_path_factory: pytest.TempPathFactory, version: str, *args: str
) -> Iterator[Played]:
    require_kubectl()
    workdir = tmp_path_factory.mktemp(f"line-{version}")
    env = hermetic_env(tmp_path_factory.mktemp("home"), version)
    try:
        yield Played(workdir, env, tutor(workdir, env, "run", "--simulate", *args))
    finally:
        cleanup(workdir, env)


@pytest.fixture(scope="module")
def v0(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    yield from _played(tmp_path_factory, "v0.10.3")


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    yield from _played(tmp_path_factory, "v1.2.0", "service-offloading")


@pytest.fixture(scope="module")
def v06(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    yield from _played(tmp_path_factory, "v0.6.1", "--to", "peer")


def table_row(out: str, header: list[str], name: str) -> dict[str, str] | None:
    """The row `name` of a shown kubectl table whose header has exactly these columns (in order)."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        cols = re.split(r"\s{2,}", line.strip())
        if cols != header:
            continue
        for row in lines[i + 1 :]:
            cells = re.split(r"\s{2,}", row.strip())
            if len(cells) != len(header):
                break
            if cells[0] == name:
                return dict(zip(header, cells, strict=True))
    return None


# -- v0.x: the seed's flow ----------------------------------------------------------------------

V0_COLUMNS = ["NAME", "TYPE", "OUTGOING PEERING", "INCOMING PEERING", "NETWORKING", "AUTHENTICATION", "AGE"]


def test_v0_run_shows_the_seeds_commands_and_columns(v0: Played) -> None:
    out, err = v0.run.stdout, v0.run.stderr
    assert v0.run.returncode == 0, out + err
    assert "liqoctl v0.10.3: Liqo line v0 detected" in out
    # The trap: a v0.x install pinned to its own version (else it installs the newest, v1, chart).
    assert "liqoctl install kind --cluster-name london --version v0.10.3" in out
    assert "--cluster-labels" not in out  # no labels: no empty flag either
    # Every claim of the seed is a visible line, including the ones before offloading.
    assert "✓ before offloading, newyork does not see the application" in out
    assert "kind-v0.yaml" in out
    assert "✓ the Liqo running in newyork is v0.10.3" in out
    assert "liqoctl generate peer-command --only-command --kubeconfig liqo_kubeconf_newyork" in out
    peer = re.search(r"^\$ liqoctl peer out-of-band newyork (.*)$", out, re.M)
    assert peer is not None, out
    assert re.fullmatch(
        r"--auth-url https://[\d.]+:\d+ --cluster-id [0-9a-f-]{36} --auth-token '\*\*\*' --timeout 5m "
        r"--kubeconfig liqo_kubeconf_london",
        peer.group(1),
    ), peer.group(1)
    # The seed's verification table, shown as kubectl prints it, and the claims it makes.
    row = table_row(out, V0_COLUMNS, "newyork")
    assert row is not None, out
    assert (row["TYPE"], row["OUTGOING PEERING"], row["NETWORKING"], row["AUTHENTICATION"]) == (
        "OutOfBand",
        "Established",
        "Established",
        "Established",
    )
    assert "node/liqo-newyork" in out
    # The seed's consumer: curl | jq in dwdraju/alpine-curl-jq, run as the shell's script.
    assert "$ kubectl run consumer-" in out and "--rm -i --restart=Never --image dwdraju/alpine-curl-jq" in out
    assert "-- sh -c 'curl -s -H \"accept: application/json\" http://flights-service.liqo-demo:7999/schedule | jq .'" in out
    assert "liqoctl peer --remote-kubeconfig" not in out and "curlimages/curl" not in out


def test_v1_client_against_v0_clusters_fails_early(v0: Played) -> None:
    env = dict(v0.env, LIQO_TUTOR_SIM_LIQO_VERSION="v1.2.0")
    for args in (["run", "--simulate"], ["step", "offload", "--simulate"]):
        res = tutor(v0.workdir, env, *args)
        combined = res.stdout + res.stderr
        assert res.returncode == 2, combined
        assert "v0.10.3 (line v0)" in res.stderr and "line v1 (liqoctl v1.2.0)" in res.stderr, combined
        assert "cannot drive" in res.stderr
        # Nothing was attempted: no step started, no Liqo command but the version probes.
        assert "== " not in res.stdout
        assert [c for c in re.findall(r"^\$ (liqoctl \w+.*)$", combined, re.M) if "version" not in c] == []
    state = json.loads((v0.workdir / ".liqo-tutor" / "state.json").read_text())
    assert state["line"] == "v0", "a refused run must not record another line"


def test_v0_teardown(v0: Played) -> None:
    res = tutor(v0.workdir, v0.env, "teardown", "--simulate")
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert "$ liqoctl unoffload namespace liqo-demo --skip-confirm" in out
    assert "$ liqoctl unpeer out-of-band newyork --skip-confirm --kubeconfig liqo_kubeconf_london" in out
    assert "$ liqoctl uninstall --skip-confirm --kubeconfig liqo_kubeconf_newyork" in out
    assert "teardown complete: nothing left behind" in out
    for claim in (
        "✓ newyork no longer has the flights-service Service",
        "✓ newyork no longer has the namespace liqo-demo",
        "✓ Liqo is uninstalled from london (no Deployment left in liqo)",
        "✓ without --purge, Liqo's CRDs stay in newyork (foreignclusters.discovery.liqo.io)",
    ):
        assert claim in out, out
    assert not list(v0.workdir.glob("liqo_kubeconf_*"))


# -- v0.6.x: the oldest supported release -------------------------------------------------------


def test_v06_uses_its_node_image_and_no_skip_confirm(v06: Played) -> None:
    out = v06.run.stdout
    assert v06.run.returncode == 0, out + v06.run.stderr
    assert "--config" in out and "kind-v0.6.yaml" in out
    assert "✓ the Liqo running in london is v0.6.1" in out
    assert row_ok(out)
    down = tutor(v06.workdir, v06.env, "teardown", "--simulate")
    assert down.returncode == 0, down.stdout + down.stderr
    # v0.6 has neither the prompts nor the flag: passing it would be `unknown flag`.
    assert "$ liqoctl unpeer out-of-band newyork --kubeconfig liqo_kubeconf_london" in down.stdout
    assert "$ liqoctl uninstall --kubeconfig liqo_kubeconf_london" in down.stdout
    assert "--skip-confirm" not in down.stdout
    assert "teardown complete: nothing left behind" in down.stdout


def row_ok(out: str) -> bool:
    row = table_row(out, V0_COLUMNS, "newyork")
    return row is not None and row["OUTGOING PEERING"] == "Established"


# -- v1.x ---------------------------------------------------------------------------------------


def test_v1_run_shows_the_v1_commands_and_role_table(v1: Played) -> None:
    out = v1.run.stdout
    assert v1.run.returncode == 0, out + v1.run.stderr
    assert "liqoctl v1.2.0: Liqo line v1 detected" in out
    assert "liqoctl install kind --cluster-id london --version v1.2.0" in out
    assert "--cluster-labels" not in out
    assert "✓ before offloading, newyork does not see the application" in out
    assert "kind-v1.yaml" in out
    assert (
        "$ liqoctl peer --remote-kubeconfig liqo_kubeconf_newyork --gw-server-service-type NodePort "
        "--kubeconfig liqo_kubeconf_london"
    ) in out
    assert table_row(out, ["NAME", "ROLE", "AGE"], "newyork") is not None
    assert (table_row(out, ["NAME", "ROLE", "AGE"], "newyork") or {}).get("ROLE") == "Provider"
    assert (table_row(out, ["NAME", "ROLE", "AGE"], "london") or {}).get("ROLE") == "Consumer"
    # `peer` returns before the virtual node is Ready: the run waits for it.
    assert "kubectl wait --for=condition=Ready node/newyork" in out
    assert "--rm -i --restart=Never --image curlimages/curl --kubeconfig liqo_kubeconf_newyork -- curl" in out
    assert "generate peer-command" not in out and "out-of-band" not in out


def test_v0_client_against_v1_clusters_fails_early(v1: Played) -> None:
    env = dict(v1.env, LIQO_TUTOR_SIM_LIQO_VERSION="v0.10.3")
    res = tutor(v1.workdir, env, "run", "--simulate")
    assert res.returncode == 2, res.stdout + res.stderr
    assert "v1.2.0 (line v1)" in res.stderr and "line v0 (liqoctl v0.10.3)" in res.stderr


def test_full_tutorial_then_status_teardown_and_step_order(v1: Played) -> None:
    """The default line's run by name: its steps and commands, then `status`, `env` and the real kubectl
    on the playground, teardown, and a step that needs an earlier one after it."""
    workdir = v1.workdir
    assert v1.run.returncode == 0, v1.run.stdout + v1.run.stderr
    out = v1.run.stdout
    for step in ("provision", "peer", "offload", "consume"):
        assert step in out.lower()
    # The commands are shown as a person types them, and the tutorial's claims are verified.
    assert "kind create cluster --name london" in out
    assert "liqoctl peer --remote-kubeconfig" in out
    assert "--gw-server-service-type NodePort" in out
    assert "liqoctl offload namespace liqo-demo" in out
    assert "No resources found in liqo-demo namespace." in out or "no pod" in out.lower()

    status = tutor(workdir, v1.env, "status", "--simulate", "--json")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert {k: data["steps"][k] for k in ("provision", "peer", "offload", "consume")} == dict.fromkeys(
        ("provision", "peer", "offload", "consume"), "done"
    )
    assert sorted((c["name"], c["exists"]) for c in data["clusters"]) == [("london", True), ("newyork", True)]

    # The playground answers the very commands the tutorial prints.
    env = dict(v1.env)
    for line in tutor(workdir, v1.env, "env", "--simulate").stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = subprocess.run(
                ["sh", "-c", f"printf %s {value}"], capture_output=True, text=True
            ).stdout
    svc = subprocess.run(
        ["kubectl", "get", "services", "-n", "liqo-demo", "--kubeconfig", env["KUBECONFIG_NEWYORK"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert svc.returncode == 0 and "flights-service" in svc.stdout, svc.stderr
    pods = subprocess.run(
        ["kubectl", "get", "pods", "-n", "liqo-demo", "--kubeconfig", env["KUBECONFIG_NEWYORK"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pods.stdout == "" and pods.stderr.strip() == "No resources found in liqo-demo namespace."

    down = torn_down(v1)  # what it printed: test_v1_teardown
    assert down.returncode == 0, down.stdout + down.stderr
    assert not list(workdir.glob("liqo_kubeconf_*")), "kubeconfig files left behind"
    assert sim_processes(workdir) == [], "playground processes left behind"

    peer = tutor(workdir, v1.env, "step", "peer", "--simulate")
    assert peer.returncode == 1
    assert "provision" in peer.stdout + peer.stderr
    assert "Traceback" not in peer.stdout + peer.stderr


def test_v1_teardown(v1: Played) -> None:
    res = torn_down(v1)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    assert (
        "$ liqoctl unpeer --remote-kubeconfig liqo_kubeconf_newyork --skip-confirm "
        "--kubeconfig liqo_kubeconf_london"
    ) in out
    assert "teardown complete: nothing left behind" in out
    # The seed's teardown claims: newyork loses what was reflected; uninstall keeps the CRDs.
    for claim in (
        "✓ newyork no longer has the flights-service Service",
        "✓ newyork no longer has the namespace liqo-demo",
        "✓ Liqo is uninstalled from newyork (no Deployment left in liqo)",
        "✓ without --purge, Liqo's CRDs stay in london (foreignclusters.core.liqo.io)",
    ):
        assert claim in out, out
    assert not list(v1.workdir.glob("liqo_kubeconf_*"))


# -- detection without clusters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "says"),
    [
        ("v0.5.0", "liqoctl v0.5.0 is not supported"),
        ("v2.0.0", "liqoctl v2.0.0 is not supported"),
        ("v0.11.0-rc.1", "liqoctl v0.11.0-rc.1 is not supported"),
        ("unknown", "liqoctl reports 'unknown', not a release version"),
    ],
)
def test_unsupported_client_is_a_usage_error_naming_the_ranges(
    tmp_path: Path, kubectl_bin: str, version: str, says: str
) -> None:
    env = hermetic_env(tmp_path / "home", version)
    res = tutor(tmp_path, env, "run", "--simulate")
    assert res.returncode == 2, res.stdout + res.stderr
    assert says in res.stderr
    assert "v1: >=1.0.0,<2.0.0" in res.stderr and "v0: >=0.6.0,<0.11.0" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "liqo_kubeconf_london").exists()


@pytest.mark.parametrize(
    ("version", "line", "kind_config", "skip_confirm"),
    [
        ("v0.6.1", "v0", "kind-v0.6.yaml", False),
        ("v0.8.2", "v0", "kind-v0.yaml", False),
        ("v0.9.0", "v0", "kind-v0.yaml", True),
        ("v1.0.0", "v1", "kind-v1.yaml", True),
    ],
)
def test_plan_follows_the_detected_release(
    tmp_path: Path, version: str, line: str, kind_config: str, skip_confirm: bool
) -> None:
    from liqo_tutor.sim import ensure_bin, sim_env

    simdir = tmp_path / ".liqo-tutor" / "sim"
    ensure_bin(simdir)
    env = hermetic_env(tmp_path / "home", version, **sim_env(simdir))
    res = tutor(tmp_path, env, "show", "--json")
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert (plan["line"], plan["liqo_version"]) == (line, version)
    commands = [c["command"] for s in plan["steps"] for c in s["commands"]]
    assert any(kind_config in c for c in commands if c.startswith("kind create"))
    uninstall = next(c for c in commands if c.startswith("liqoctl uninstall"))
    assert ("--skip-confirm" in uninstall) is skip_confirm
    assert any(f"--version {version}" in c for c in commands if c.startswith("liqoctl install"))

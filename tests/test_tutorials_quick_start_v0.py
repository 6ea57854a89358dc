"""quick-start on the Liqo v0 line (Liqo's docs/examples/quick-start.md and examples/quick-start/ at
v0.10.3) end to end in the playground: one run with a simulated liqoctl v0.10.3, read by the real kubectl.

The claims are the v0 line's of steps/quick-start.yaml; the run must pass each of them (✓) and leave
nothing behind. What it shows is the playground's v0 side as the doc describes it: out-of-band
peering (pkg/liqoctl/peeroob), a ForeignCluster with the v0 columns (apis/discovery/v1alpha1), the
virtual node `liqo-<name>` (pkg/vkMachinery/forge), `liqoctl status` / `status peer`
(pkg/liqoctl/status at v0.10.3), the DefaultName remote namespace `<ns>-<name>-<6 hex>`
(pkg/utils/foreignCluster/uniqueName.go) and `uninstall --purge` (pkg/liqoctl/uninstall).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from liqo_tutor import loader, verbs
from liqo_tutor.engine.model import RunOptions
from liqo_tutor.engine.observe import NullReporter
from liqo_tutor.engine.resolve import applicable, make_context, make_shell
from liqo_tutor.lines import line_of
from liqo_tutor.state import State
from reliability_helpers import assert_clean, stop_playground, tutor
from tutorial_helpers import claims_of, wrong_copy

pytestmark = pytest.mark.slow

NAME = "quick-start"
VERSION = "v0.10.3"
CAPTURE = "10.200.1.7"  # what tutorial_helpers.context_for sets every capture to


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _passed(claim: str, passed: set[str]) -> bool:
    """Whether `claim` has a ✓ line; claims_of words a claim that names a capture (here the remote
    namespace, read during the run) with the placeholder value CAPTURE, which stands for any word."""
    if CAPTURE not in claim:
        return claim in passed
    rx = re.compile(re.escape(claim).replace(re.escape(CAPTURE), r"\S+"))
    return any(rx.fullmatch(line) for line in passed)


def _row(out: str, name: str) -> list[str]:
    """The cells of the first shown table row (as kubectl printed it) whose NAME is `name`."""
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no table row {name!r} in the output:\n{out}")


def test_v0_line_runs_green_with_a_passed_line_for_every_claim(
    tmp_path: Path, kubectl_bin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIQO_TUTOR_SIM_LIQO_VERSION", VERSION)
    steps = None
    port = 8080
    if not _port_free(port):  # the doc's local port is busy here: a copy forwarding a free one
        port = _free_port()
        steps = wrong_copy(tmp_path / "copy", NAME, steps_edit=('frontend_port: "8080"', f'frontend_port: "{port}"'))
    workdir = tmp_path / "wd"
    workdir.mkdir()
    where = ["--steps-dir", str(steps)] if steps is not None else []
    try:
        res = tutor(workdir, "run", NAME, "--simulate", "--teardown", *where, timeout=400)
        out = res.stdout
        assert res.returncode == 0, out + res.stderr
        assert "Traceback" not in out + res.stderr
        assert f"liqoctl {VERSION}: Liqo line v0 detected" in out + res.stderr, out + res.stderr

        # Every claim of the v0 line (teardown included) has its ✓ line, and nothing failed.
        passed = {line.strip()[2:] for line in out.splitlines() if line.strip().startswith("✓ ")}
        claims = claims_of(NAME, tmp_path, line="v0", steps_dir=steps)
        missing = [f"{step}: {c}" for step, cs in claims.items() for c in cs if not _passed(c, passed)]
        assert not missing, "claims without a ✓ line:\n" + "\n".join(missing) + "\n" + out
        assert "✗" not in out, out
        assert "teardown complete: nothing left behind" in out, out
        assert_clean(workdir)

        # The v0 doc's commands, as a person types them (kubeconfigs added by the engine).
        for typed in (
            "$ liqoctl install kind --cluster-name rome --version v0.10.3 --kubeconfig liqo_kubeconf_rome",
            "$ liqoctl status --kubeconfig liqo_kubeconf_rome",
            "$ liqoctl generate peer-command --only-command --kubeconfig liqo_kubeconf_milan",
            "$ liqoctl status peer milan --kubeconfig liqo_kubeconf_rome",
            "$ liqoctl unoffload namespace liqo-demo --skip-confirm --kubeconfig liqo_kubeconf_rome",
            "$ liqoctl unpeer out-of-band milan --skip-confirm --kubeconfig liqo_kubeconf_rome",
            "$ liqoctl uninstall --purge --skip-confirm --kubeconfig liqo_kubeconf_milan",
        ):
            assert typed in out, typed
        # The generated peer command runs with its token hidden, and the token is nowhere in the output.
        peer = next(line for line in out.splitlines() if line.startswith("$ liqoctl peer out-of-band milan "))
        assert re.search(r"--auth-url https://\S+ --cluster-id [0-9a-f-]{36} --auth-token '\*\*\*'", peer), peer
        assert not re.search(r"[0-9a-f]{128}", out + res.stderr)

        # What the real kubectl printed of the playground: the doc's v0 tables.
        fc = _row(out, "milan")
        assert fc[:6] == ["milan", "OutOfBand", "Established", "None", "Established", "Established"], fc
        node = _row(out, "liqo-milan")
        assert node[1] == "Ready" and node[2] == "agent" and node[-1] == "v1.25.0", node
        remote = _row(out, "nginx-remote")
        assert remote[2] == "Running" and remote[6] == "liqo-milan", remote

        for claim in (
            "the outgoing peering, the network tunnel and the authentication towards milan are Established",
            "the virtual node liqo-milan is Ready in rome with the role agent",
            "`liqoctl status peer milan` reports the authentication and the network Established",
            "nginx-remote runs on the virtual node liqo-milan",
            "the page's Server name is one of the two nginx pods",
            "the frontend runs on rome's worker node",
            f"http://localhost:{port} serves Online Boutique's home page",
            "the virtual node liqo-milan is gone",
            "with --purge, Liqo's CRDs are gone from milan (foreignclusters.discovery.liqo.io)",
        ):
            assert f"✓ {claim}" in out, claim
        remote_ns = re.search(r"✓ nginx-remote really runs in milan, in (liqo-demo-rome-[0-9a-f]{6})\n", out)
        assert remote_ns is not None, out
        assert f"✓ the namespace {remote_ns.group(1)} is gone from milan" in out, out
    finally:
        stop_playground(workdir)


@pytest.mark.parametrize(("version", "line"), [
    ("v0.8.1", None), ("v0.8.2", "v0"), ("v0.9.4", "v0"), ("v0.10.3", "v0"),
    ("v0.11.0-rc.1", None), ("v1.0.0", "v1"), ("v1.2.0", "v1"),
])
def test_the_v0_line_covers_the_releases_whose_liqoctl_status_the_claims_read(version: str, line: str | None) -> None:
    """The doc and example are the same from v0.7.0 to v0.10.3, but `liqoctl status` prints the
    per-component "Desired/Ready/Available" lines and "Cluster name:" the claims read only since v0.8.2
    (pkg/liqoctl/status/local/{pods,localinfo}.go); v0.11.0-rc.* are pre-releases of the v1 redesign."""
    assert line_of(loader.load(NAME).lines, version) == line


@pytest.mark.parametrize(("version", "skip"), [("v0.8.2", ""), ("v0.9.0", " --skip-confirm"), ("v0.10.3", " --skip-confirm")])
def test_the_v0_teardown_answers_the_prompts_only_where_liqoctl_asks(version: str, skip: str, tmp_path: Path) -> None:
    """v0.9.0 added the confirmation prompts of uninstall, unoffload and unpeer and the root --skip-confirm
    flag (cmd/liqoctl/cmd/{root,uninstall,unoffload,unpeer}.go): before it the flag is unknown."""
    tut = loader.load(NAME)
    opts = RunOptions(workdir=tmp_path, env={}, line="v0", clusters={})
    ctx = make_context(tut, opts, State(path=tmp_path / "state.json"), NullReporter(), make_shell(tut, opts),
                       "v0", version)
    typed = [" ".join(ctx.argv(verbs.get(a.kind).command(a.spec), "rome"))
             for s in tut.steps if s.teardown for a in applicable(s.actions, "v0") if a.kind == "run"]
    assert typed == [f"liqoctl unoffload namespace liqo-demo{skip}", f"liqoctl unpeer out-of-band milan{skip}",
                     f"liqoctl uninstall{skip}", f"liqoctl uninstall --purge{skip}"], typed

"""Simulated liqoctl: argv handling and outputs that need no cluster, per Liqo line."""

from __future__ import annotations

import pytest

from liqo_tutor.sim.liqo import crds
from liqo_tutor.sim.liqo.versions import line_of
from liqo_tutor.sim.tools.liqoctl import main, parse_duration


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, version: str,
        *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("LIQO_TUTOR_SIM_LIQO_VERSION", version)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("version", "line_out"), [("v1.2.0", "v1.2.0"), ("v0.10.3", "v0.10.3")])
def test_version_client_only(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                             version: str, line_out: str) -> None:
    code, out, err = run(capsys, monkeypatch, version, "version", "--client")
    assert (code, out, err) == (0, f"Client version: {line_out}\n", "")


def test_default_version_is_v1_2_0(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIQO_TUTOR_SIM_LIQO_VERSION", raising=False)
    assert main(["version", "--client"]) == 0
    assert capsys.readouterr().out == "Client version: v1.2.0\n"


@pytest.mark.parametrize(("version", "bad"), [("v1.2.0", "--cluster-name"), ("v0.10.3", "--cluster-id")])
def test_wrong_identity_flag_is_a_cobra_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                              version: str, bad: str) -> None:
    code, out, err = run(capsys, monkeypatch, version, "install", "kind", bad, "london", "--cluster-labels=")
    assert code == 1
    assert out == ""
    assert err == f"Error: unknown flag: {bad}\n"


def test_missing_required_flags_and_args(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "v0.10.3", "peer", "out-of-band", "newyork", "--auth-url", "https://x")
    assert code == 1
    assert err == 'Error: required flag(s) "auth-token", "cluster-id" not set\n'
    code, _, err = run(capsys, monkeypatch, "v0.10.3", "peer", "oob", "--auth-url", "u", "--cluster-id", "c",
                       "--auth-token", "t")
    assert (code, err) == (1, "Error: accepts 1 arg(s), received 0\n")
    code, _, err = run(capsys, monkeypatch, "v1.2.0", "offload", "namespace")
    assert (code, err) == (1, "Error: accepts 1 arg(s), received 0\n")


def test_v1_has_no_peer_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, monkeypatch, "v1.2.0", "generate", "peer-command", "--only-command")
    assert code == 1 and out == ""
    assert err == "Error: unknown flag: --only-command\n"


def test_v0_peer_has_no_remote_kubeconfig(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "v0.10.3", "peer", "--remote-kubeconfig", "x")
    assert code == 1 and err == "Error: unknown flag: --remote-kubeconfig\n"


def test_skip_confirm_exists_only_from_v0_9(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "v0.8.3", "uninstall", "--skip-confirm")
    assert (code, err) == (1, "Error: unknown flag: --skip-confirm\n")


def test_prompt_without_tty_aborts(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "v1.2.0", "uninstall", "--kubeconfig", "/nonexistent")
    assert code == 1
    assert "potentially destructive" in err and err.endswith("Error: action aborted\n")


def test_offload_output_yaml_does_not_touch_the_cluster(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "v1.2.0", "offload", "namespace", "liqo-demo", "-o", "yaml",
                       "--namespace-mapping-strategy", "EnforceSameName", "--pod-offloading-strategy", "Local",
                       "--kubeconfig", "/nonexistent")
    assert code == 0
    assert "apiVersion: offloading.liqo.io/v1beta1" in out and "EnforceSameName" in out


def test_invalid_duration(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "v1.2.0", "peer", "--timeout", "soon")
    assert code == 1
    assert err == 'Error: invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"\n'


def test_missing_kubeconfig_is_an_error_on_the_log_stream(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(capsys, monkeypatch, "v0.10.3", "generate", "peer-command", "--only-command",
                         "--kubeconfig", "/nonexistent")
    assert code == 1 and err == ""
    assert out.startswith("ERRO: stat /nonexistent")
    code, out, err = run(capsys, monkeypatch, "v1.2.0", "install", "kind", "--cluster-id", "x",
                         "--kubeconfig", "/nonexistent")
    assert code == 1 and out == ""
    assert err.startswith("Initializing installer\n") and "ERRO: stat /nonexistent" in err


def test_parse_duration() -> None:
    assert parse_duration("10m") == 600
    assert parse_duration("1h2m3.5s") == 3723.5
    assert parse_duration("300ms") == pytest.approx(0.3)
    with pytest.raises(ValueError):
        parse_duration("10")


def test_crds_per_line() -> None:
    v0 = {c.name: c for c in crds.crds_for(line_of("v0.10.3"))}
    v1 = {c.name: c for c in crds.crds_for(line_of("v1.2.0"))}
    assert "foreignclusters.discovery.liqo.io" in v0 and "foreignclusters.core.liqo.io" in v1
    fc0 = v0["foreignclusters.discovery.liqo.io"].to_obj()
    cols = [c["name"] for c in fc0["spec"]["versions"][0]["additionalPrinterColumns"] if not c.get("priority")]
    assert cols == ["Type", "Outgoing peering", "Incoming peering", "Networking", "Authentication", "Age"]
    fc1 = v1["foreignclusters.core.liqo.io"].to_obj()
    assert fc1["spec"]["names"]["shortNames"] == ["fc"]
    assert fc1["spec"]["versions"][0]["name"] == "v1beta1"
    assert v0["namespaceoffloadings.offloading.liqo.io"].version == "v1alpha1"
    assert v1["namespaceoffloadings.offloading.liqo.io"].version == "v1beta1"


def test_offload_selectors_become_node_selector_terms(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """pkg/liqoctl/offload/handler.go: one term per --selector (OR), requirements sorted by key, `k=v`
    last as `In [v]`; without --selector the cluster selector is empty (it matches every cluster)."""
    import yaml

    code, out, _ = run(capsys, monkeypatch, "v1.2.0", "offload", "namespace", "demo", "-o", "yaml",
                       "--selector", "topology.liqo.io/region=south",
                       "--selector", "region in (b,a),!staging,zone!=x", "--kubeconfig", "/nonexistent")
    assert code == 0
    terms = yaml.safe_load(out)["spec"]["clusterSelector"]["nodeSelectorTerms"]
    assert terms == [
        {"matchExpressions": [{"key": "topology.liqo.io/region", "operator": "In", "values": ["south"]}]},
        {"matchExpressions": [
            {"key": "region", "operator": "In", "values": ["a", "b"]},
            {"key": "staging", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "NotIn", "values": ["x"]},
        ]},
    ]
    code, out, _ = run(capsys, monkeypatch, "v0.10.3", "offload", "namespace", "demo", "-o", "yaml",
                       "--kubeconfig", "/nonexistent")
    assert code == 0 and yaml.safe_load(out)["spec"]["clusterSelector"] == {"nodeSelectorTerms": []}


def test_root_flags_before_the_subcommand(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """cobra finds the subcommand past persistent flags and their values: `liqoctl --kubeconfig F install`."""
    code, out, err = run(capsys, monkeypatch, "v1.2.0", "--kubeconfig", "/nonexistent", "install", "kind",
                         "--cluster-id", "x")
    assert code == 1 and out == ""
    assert err.startswith("Initializing installer\n") and "ERRO: stat /nonexistent" in err


def test_info_exists_only_on_v1_and_status_only_on_v0(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "v0.10.3", "info")
    assert (code, err) == (1, 'Error: unknown command "info" for "liqoctl"\n')
    code, _, err = run(capsys, monkeypatch, "v1.2.0", "status")
    assert (code, err) == (1, 'Error: unknown command "status" for "liqoctl"\n')


def test_boxes_look_like_liqoctl_info_without_a_terminal() -> None:
    """pkg/liqoctl/output (boxWidth 80, levelMultiplier 4) as docs/examples/quick-start.md shows it."""
    from liqo_tutor.sim.tools.liqoctl.boxes import Section, box

    body = Section().entry("Cluster ID", "milan").entry("K8s API server", "https://172.19.0.10:6443")
    body.section("Cluster labels").entry("liqo.io/provider", "kind")
    lines = box("Local installation info", body).splitlines()
    assert lines[0].startswith("─ Local installation info ─") and len(lines[0]) == 82
    assert lines[1:] == [
        "  Cluster ID:     milan",
        "  K8s API server: https://172.19.0.10:6443",
        "  Cluster labels",
        "      liqo.io/provider: kind",
        "─" * 82,
    ]
    assert box("Active peerings", Section()).splitlines()[1:] == ["", "─" * 82]


def test_command_line_is_cobras(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """On the shared cobra parser (sim/tools/cobra.py), per liqoctl's cmd/liqoctl/cmd/*.go: a missing short-flag
    value as pflag words it, NoArgs commands refuse words, a group without Run prints its help (exit 0), a
    Use line with its positional name (offload.go `namespace name`), flags before the command."""
    code, _, err = run(capsys, monkeypatch, "v1.2.0", "unpeer", "-n")
    assert (code, err) == (1, "Error: flag needs an argument: 'n' in -n\n")
    code, _, err = run(capsys, monkeypatch, "v1.2.0", "install", "kindd")
    assert (code, err) == (1, 'Error: unknown command "kindd" for "liqoctl install"\n')
    code, out, err = run(capsys, monkeypatch, "v1.2.0", "offload")
    assert (code, err) == (0, "") and "Usage:\n  liqoctl offload [command]\n" in out and "  namespace" in out
    code, out, _ = run(capsys, monkeypatch, "v0.10.3", "--skip-confirm", "offload", "ns", "--help")
    assert code == 0 and "Usage:\n  liqoctl offload namespace name [flags]\n" in out
    assert "Aliases:\n  namespace, ns\n" in out and "      --timeout duration" in out
    code, out, _ = run(capsys, monkeypatch, "v1.2.0", "-v", "help", "unoffload", "namespace")
    assert code == 0 and "Aliases:\n  namespace, ns, namespaces\n" in out

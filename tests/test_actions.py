"""Variable substitution per argv token and validation of a generated command."""

from __future__ import annotations

import pytest

from liqo_tutor.context import substitute_argv
from liqo_tutor.patterns import GeneratedCommandError, match_generated
from liqo_tutor.tools.kubectl import with_kubeconfig

PATTERN = (
    "liqoctl peer out-of-band {name:dns-label} --auth-url {url:https-url} --cluster-id {id:uuid} "
    "--auth-token {token:hex128:secret}"
)
UUID = "3f0e1c2a-1b2c-4d3e-8f9a-0123456789ab"
TOKEN = "ab" * 64
GOOD = f"liqoctl peer out-of-band newyork --auth-url https://172.18.0.4:31753 --cluster-id {UUID} --auth-token {TOKEN}"


def lookup(values: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda name, at: values[f"{name}@{at}" if at else name]


@pytest.mark.parametrize("value", ["a; rm -rf /", "$(touch /tmp/x)", "two words", "`id`", "a|b", "'quoted'"])
def test_value_stays_one_token(value: str) -> None:
    argv = substitute_argv("kubectl create namespace {ns} --label=x{ns}", lookup({"ns": value}))
    assert argv == ["kubectl", "create", "namespace", value, f"--label=x{value}"]


def test_empty_single_variable_token_and_empty_flag_value_are_dropped() -> None:
    """No person types `--cluster-labels=`: a `--flag={var}` with an empty value goes, like `{skip}`."""
    argv = substitute_argv(
        "liqoctl install kind {skip} --cluster-labels={labels} --name=x{labels} --version {v}",
        lookup({"skip": "", "labels": "", "v": "v1.2.0"}),
    )
    assert argv == ["liqoctl", "install", "kind", "--name=x", "--version", "v1.2.0"]


def test_flag_with_a_value_is_kept() -> None:
    argv = substitute_argv("liqoctl install kind --cluster-labels={labels}", lookup({"labels": "a=b,c=d"}))
    assert argv == ["liqoctl", "install", "kind", "--cluster-labels=a=b,c=d"]


def test_cluster_qualified_variable() -> None:
    argv = substitute_argv(
        "liqoctl peer --remote-kubeconfig {kubeconfig@b}", lookup({"kubeconfig@b": "/x/kc b"})
    )
    assert argv == ["liqoctl", "peer", "--remote-kubeconfig", "/x/kc b"]


def test_literal_braces_are_kept() -> None:
    argv = substitute_argv("docker version --format '{{.Server.Version}}' -o jsonpath={.status}", lookup({}))
    assert argv == ["docker", "version", "--format", "{{.Server.Version}}", "-o", "jsonpath={.status}"]


def test_generated_command_accepted() -> None:
    argv, values = match_generated(GOOD, PATTERN)
    assert argv == GOOD.split()
    assert values == {"name": "newyork", "url": "https://172.18.0.4:31753", "id": UUID, "token": TOKEN}


def test_generated_command_with_program_path_runs_our_liqoctl() -> None:
    argv, _ = match_generated("/usr/local/bin/" + GOOD, PATTERN)
    assert argv[0] == "liqoctl"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (GOOD + " --extra", "11 words where"),
        (GOOD + "; rm -rf ~", "shell syntax ';'"),
        (GOOD.replace("newyork", "$(id)"), "shell syntax '$()'"),
        (GOOD.replace("peer out-of-band", "uninstall out-of-band"), "word 2 is 'uninstall', expected 'peer'"),
        (GOOD.replace("liqoctl", "kubectl", 1), "word 1 is 'kubectl', expected 'liqoctl'"),
        (GOOD.replace(UUID, "not-a-uuid"), "'not-a-uuid' for <id> is not a valid uuid"),
        (GOOD.replace(TOKEN, "ab" * 10), "the value for <token> is not a valid hex128"),
        (
            GOOD.replace("https://172.18.0.4:31753", "http://172.18.0.4:31753"),
            "for <url> is not a valid https-url",
        ),
        (GOOD.replace("newyork", "New_York"), "for <name> is not a valid dns-label"),
        ("", "0 words where"),
    ],
)
def test_generated_command_refused(line: str, problem: str) -> None:
    with pytest.raises(GeneratedCommandError) as info:
        match_generated(line, PATTERN)
    assert problem in info.value.message
    assert TOKEN not in info.value.message


def test_kubeconfig_goes_before_double_dash() -> None:
    argv = with_kubeconfig(["kubectl", "run", "p", "--", "curl", "-s"], "/k", "ctx")
    assert argv == ["kubectl", "run", "p", "--kubeconfig", "/k", "--context", "ctx", "--", "curl", "-s"]
    assert with_kubeconfig(["kind", "get", "clusters"], "/k") == ["kind", "get", "clusters"]
    assert with_kubeconfig(["liqoctl", "x", "--kubeconfig=/a"], "/k") == ["liqoctl", "x", "--kubeconfig=/a"]

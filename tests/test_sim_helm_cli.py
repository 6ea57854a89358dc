"""The simulated helm's command line on the shared cobra parser: what helm v3.17 answers before any work.

Positional rules and their messages follow cmd/helm/require/args.go (`"helm X" requires N argument(s)` plus the
command's usage line); commands, aliases and flags cmd/helm/*.go at v3.17.0 (root.go, install.go, upgrade.go,
uninstall.go, list.go, status.go, get_*.go, repo_*.go, search_*.go, version.go, flags.go for -f/--set/-o);
unknown commands and pflag errors come from spf13/cobra and spf13/pflag as helm prints them (`Error: ...`,
exit 1). Nothing here needs a cluster: a wrong command line must fail before helm looks for one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from liqo_tutor.sim.tools.helm import main


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQO_TUTOR_SIM_DIR", str(tmp_path / "sim"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))


def helm(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("argv", "message"), [
    (["install"], '"helm install" requires at least 1 argument\n\nUsage:  helm install [NAME] [CHART] [flags]'),
    (["upgrade", "db"], '"helm upgrade" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]'),
    (["un"], '"helm uninstall" requires at least 1 argument\n\nUsage:  helm uninstall RELEASE_NAME [...] [flags]'),
    (["ls", "db"], '"helm list" accepts no arguments\n\nUsage:  helm list [flags]'),
    (["hist"], '"helm history" requires 1 argument\n\nUsage:  helm history RELEASE_NAME [flags]'),
    (["get", "notes", "a", "b"], '"helm get notes" requires 1 argument\n\nUsage:  helm get notes RELEASE_NAME [flags]'),
    (["repo", "add", "bitnami"], '"helm repo add" requires 2 arguments\n\nUsage:  helm repo add [NAME] [URL] [flags]'),
    (["repo", "rm"], '"helm repo remove" requires at least 1 argument\n\n'
                     "Usage:  helm repo remove [REPO1 [REPO2 ...]] [flags]"),
])
def test_positional_rules_name_the_command_and_its_usage(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                         message: str) -> None:
    assert helm(capsys, *argv) == (1, "", f"Error: {message}\n")


def test_flag_errors_are_pflags(capsys: pytest.CaptureFixture[str]) -> None:
    assert helm(capsys, "install", "db", "x/y", "--wiat") == (1, "", "Error: unknown flag: --wiat\n")
    # -o takes helm's output formats only (flags.go outputValue.Set, pkg/cli/output ParseFormat)
    assert helm(capsys, "list", "-o", "xml")[2] == (
        'Error: invalid argument "xml" for "-o, --output" flag: invalid format type\n')
    assert helm(capsys, "install", "db", "x/y", "--timeout", "5")[2] == (
        'Error: invalid argument "5" for "--timeout" flag: time: missing unit in duration "5"\n')
    assert helm(capsys, "status", "db", "-n")[2] == "Error: flag needs an argument: 'n' in -n\n"
    # a flag of another command is unknown here: --create-namespace belongs to install/upgrade
    assert helm(capsys, "uninstall", "db", "--create-namespace")[2] == "Error: unknown flag: --create-namespace\n"


def test_unknown_commands_suggest_like_cobra(capsys: pytest.CaptureFixture[str]) -> None:
    assert helm(capsys, "instal", "db") == (
        1, "", 'Error: unknown command "instal" for "helm"\n\nDid you mean this?\n\tinstall\n\n'
               "Run 'helm --help' for usage.\n")
    assert helm(capsys, "frob") == (1, "", "Error: unknown command \"frob\" for \"helm\"\nRun 'helm --help' for usage.\n")


def test_flags_anywhere_and_aliases_reach_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """Flags before the command (global -n), between words and after them; `ls` is repo list's alias."""
    assert helm(capsys, "--debug", "version", "--short") == (0, "v3.17.0+g301108e\n", "")
    assert helm(capsys, "repo", "-n", "x", "ls") == (1, "", "Error: no repositories to show\n")
    # the cluster is looked for only once the command line is right
    code, _, err = helm(capsys, "-n", "demo", "list", "-A", "--kubeconfig", "/nonexistent")
    assert code == 1 and err.startswith("Error: Kubernetes cluster unreachable")


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = helm(capsys)
    assert code == 0 and out.startswith("The Kubernetes package manager\n\nUsage:\n  helm [command]\n")
    assert "  install     install a chart\n" in out and "  -n, --namespace string" in out
    code, out, _ = helm(capsys, "repo")
    assert code == 0 and "consists of multiple subcommands to interact with chart repositories" in out
    code, out, _ = helm(capsys, "status", "--help")
    assert code == 0 and "Usage:\n  helm status RELEASE_NAME [flags]\n" in out and "  -o, --output format" in out

"""The shared cobra-like parser of the simulated Go CLIs (src/liqo_tutor/sim/tools/cobra.py).

Each expectation is a fact of spf13/pflag v1.0.5 flag.go (parseLongArg, parseSingleShortArg, parseArgs,
FlagUsages, the Value.Set errors of strconv/time) or spf13/cobra v1.8.0 (command.go: Find, stripFlags,
execute, findSuggestions, InitDefaultHelpFlag/VersionFlag; args.go), the versions kind v0.29.0 builds with.
The last tests drive the simulated kind through its shim, as a person would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from liqo_tutor.sim.tools.cobra import (
    NO_ARGS,
    Command,
    Flag,
    Invocation,
    UsageError,
    exact_n,
    help_text,
    maximum_n,
    minimum_n,
    parse_go_int,
    range_n,
    resolve,
)


def _tree() -> Command[str]:
    leaf = Command(
        "cluster", "Makes a cluster", args=NO_ARGS, run="create-cluster",
        flags=[Flag("name", "str", "kind", "n", help="the cluster name"), Flag("wait", "duration"),
               Flag("retain", "bool", short="r"), Flag("nodes", "list"), Flag("set", "array"),
               Flag("replicas", "int"), Flag("token", required=True), Flag("id", required=True)])
    other = Command("nodes", "Lists nodes", run="get-nodes", args=exact_n(1), aliases=("no",))
    create: Command[str] = Command("create", "Creates one of [cluster]", subs=[leaf])
    get: Command[str] = Command("get", "Gets one of [nodes]", subs=[other])
    return Command("tool", "A tool", version="1.2.3", subs=[create, get],
                   persistent=[Flag("verbosity", "int32", 0, "v"), Flag("quiet", "bool", False, "q")])


def _ok(*argv: str) -> Invocation[str]:
    return resolve(_tree(), [*argv, "--token", "t", "--id", "i"] if "cluster" in argv else list(argv))


def _error(*argv: str) -> str:
    with pytest.raises(UsageError) as info:
        resolve(_tree(), list(argv))
    return info.value.message


def test_value_forms_of_long_and_short_flags() -> None:
    """pflag: `--f=v`, `--f v`, `-f v`, `-fv`, `-f=v`; a bool takes no value unless written `=value`."""
    for argv in (["--name=a"], ["--name", "a"], ["-n", "a"], ["-na"], ["-n=a"]):
        assert _ok("create", "cluster", *argv).values["name"] == "a", argv
    inv = _ok("create", "cluster", "-rq")
    assert (inv.values["retain"], inv.values["quiet"]) == (True, True)
    assert _ok("create", "cluster", "--retain=false").values["retain"] is False
    assert _ok("create", "cluster", "-r=F").values["retain"] is False
    assert _error("create", "cluster", "--retain", "false", "--token", "t", "--id", "i") == (
        'unknown command "false" for "tool create cluster"')
    # a valued flag takes the next word even when it looks like a flag (pflag '--flag arg')
    assert _ok("create", "cluster", "--name", "--retain").values["name"] == "--retain"


def test_defaults_seen_and_the_dash_dash_terminator() -> None:
    inv = _ok("create", "cluster")
    assert (inv.values["name"], inv.values["retain"], inv.values["nodes"], inv.values["wait"]) == (
        "kind", False, [], 0.0)
    assert "name" not in inv.seen and {"token", "id"} <= inv.seen
    nodes = resolve(_tree(), ["get", "nodes", "-q", "--", "--x"])
    assert nodes.args == ["--x"] and nodes.path == "tool get nodes" and nodes.values["quiet"]


def test_slices_arrays_ints_and_durations() -> None:
    """StringSlice splits on commas (CSV) and appends on repeat; StringArray keeps one item per use."""
    inv = _ok("create", "cluster", "--nodes", "a,b", "--nodes=c", "--set", "x=1,2", "--set", "y",
              "--replicas", "0x10", "--wait", "1m30s", "-v", "010")
    assert inv.values["nodes"] == ["a", "b", "c"]
    assert inv.values["set"] == ["x=1,2", "y"]
    assert (inv.values["replicas"], inv.values["wait"], inv.values["verbosity"]) == (16, 90.0, 8)
    assert (parse_go_int("-0b101"), parse_go_int("0o17"), parse_go_int("0x_ff")) == (-5, 15, 255)
    assert parse_go_int("1_000") == 1000  # Go integer literal syntax, allowed with base 0
    with pytest.raises(ValueError, match="invalid syntax"):
        parse_go_int("1__000")
    assert _error("create", "cluster", "-v", "99999999999") == (
        'invalid argument "99999999999" for "-v, --verbosity" flag: strconv.ParseInt: parsing '
        '"99999999999": value out of range')
    assert _error("create", "cluster", "--wait", "soon") == (
        'invalid argument "soon" for "--wait" flag: time: invalid duration "soon"')
    assert _error("create", "cluster", "-r=yes") == (
        'invalid argument "yes" for "-r, --retain" flag: strconv.ParseBool: parsing "yes": invalid syntax')


def test_flag_errors() -> None:
    """pflag's messages: unknown long/shorthand flags, a missing value, bad syntax."""
    assert _error("create", "cluster", "--frob") == "unknown flag: --frob"
    assert _error("create", "cluster", "--frob=1") == "unknown flag: --frob"
    assert _error("create", "cluster", "-x") == "unknown shorthand flag: 'x' in -x"
    assert _error("create", "cluster", "-rx") == "unknown shorthand flag: 'x' in -x"
    assert _error("create", "cluster", "--name") == "flag needs an argument: --name"
    assert _error("create", "cluster", "-n") == "flag needs an argument: 'n' in -n"
    assert _error("create", "cluster", "-rn") == "flag needs an argument: 'n' in -n"
    assert _error("create", "cluster", "---name") == "bad flag syntax: ---name"
    # a flag of another command is unknown here
    assert _error("get", "nodes", "x", "--retain") == "unknown flag: --retain"


def test_finding_the_command_skips_flags_and_their_values() -> None:
    """cobra Find/stripFlags: flags may come before the subcommand; a valued flag hides its value."""
    inv = _ok("-v", "2", "create", "--name", "get", "cluster")
    assert inv.path == "tool create cluster" and inv.values["name"] == "get" and inv.values["verbosity"] == 2
    assert resolve(_tree(), ["get", "no", "n1"]).path == "tool get nodes"  # an alias
    # an unknown `--flag` without `=` is taken to carry a value while searching: `x` is not a command
    assert _error("--bogus", "x", "get") == "unknown flag: --bogus"


def test_positional_rules() -> None:
    """cobra args.go messages; no Args on a root with subcommands: unknown command + suggestions."""
    assert _error("get", "nodes") == "accepts 1 arg(s), received 0"
    assert _error("create", "cluster", "extra") == 'unknown command "extra" for "tool create cluster"'
    assert _error("crate") == 'unknown command "crate" for "tool"\n\nDid you mean this?\n\tcreate\n'
    assert _error("zzz") == 'unknown command "zzz" for "tool"'
    assert _error("g") == 'unknown command "g" for "tool"\n\nDid you mean this?\n\tget\n'  # a prefix
    checks = [(minimum_n(2), ["a"], ["a", "b", "c"], "requires at least 2 arg(s), only received 1"),
              (maximum_n(1), ["a", "b"], [], "accepts at most 1 arg(s), received 2"),
              (range_n(1, 2), [], ["a", "b"], "accepts between 1 and 2 arg(s), received 0")]
    for check, bad, good, message in checks:
        assert check("tool x", bad) == message
        assert check("tool x", good) is None


def test_required_flags_help_and_version() -> None:
    assert _error("create", "cluster") == 'required flag(s) "id", "token" not set'
    assert resolve(_tree(), ["create", "cluster", "-h"]).help  # help wins over a missing required flag
    assert resolve(_tree(), ["create"]).help  # a group without Run asks for help
    assert resolve(_tree(), ["--version"]).version
    assert _error("create", "--version") == "unknown flag: --version"  # only the root has a Version


def test_help_text_follows_cobras_template() -> None:
    """The usage template of cobra v1.8 and pflag's FlagUsages columns: `-s, --name type   usage (default)`."""
    root = _tree()
    text = help_text([root, root.subs[0], root.subs[0].subs[0]])
    assert text.startswith("Makes a cluster\n\nUsage:\n  tool create cluster [flags]\n\nFlags:\n")
    assert "  -n, --name string       the cluster name (default \"kind\")\n" in text
    assert "  -h, --help              help for cluster\n" in text
    assert "      --wait duration\n" in text  # no usage, no zero default, no trailing blanks
    assert text.endswith("\n\nGlobal Flags:\n  -q, --quiet\n  -v, --verbosity int32\n")
    top = help_text([root])
    assert "Available Commands:\n  create      Creates one of [cluster]\n  get         Gets one of [nodes]\n" in top
    assert "      --version           version for tool\n" in top  # -v is taken by --verbosity
    assert top.endswith('Use "tool [command] --help" for more information about a command.\n')


def test_an_unknown_flag_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Flag("x", "float")


# --- through the simulated kind ---------------------------------------------------------------------


def _kind(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {**os.environ, "LIQO_TUTOR_SIM_DIR": str(tmp_path / "sim"), "HOME": str(tmp_path),
                           "KUBECONFIG": str(tmp_path / "kc"), "LIQO_TUTOR_SIM_SPEED": "0"}
    env.pop("LIQO_TUTOR_SIM_FAULTS", None)
    return subprocess.run([sys.executable, "-m", "liqo_tutor.sim.tools", "kind", *argv], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_kind_usage_errors_and_group_commands(tmp_path: Path) -> None:
    """kind v0.29.0 pkg/cmd/kind: groups print their help then fail `Subcommand is required`; load docker-image
    wants images; load has cobra.NoArgs; errors go through kind's logger (cmd/kind/app/main.go logError)."""
    group = _kind(tmp_path, "create")
    assert group.returncode == 1 and group.stderr == "ERROR: Subcommand is required\n"
    assert group.stdout.startswith("Creates one of local Kubernetes cluster (cluster)\n\nUsage:\n  kind create")
    images = _kind(tmp_path, "load", "docker-image")
    assert (images.returncode, images.stderr) == (1, "ERROR: a list of image names is required\n")
    assert _kind(tmp_path, "load", "x").stderr == 'ERROR: unknown command "x" for "kind load"\n'
    typo = _kind(tmp_path, "delte", "cluster")
    assert (typo.returncode, typo.stderr) == (
        1, 'ERROR: unknown command "delte" for "kind"\n\nDid you mean this?\n\tdelete\n')
    short = _kind(tmp_path, "get", "nodes", "-n")
    assert (short.returncode, short.stderr) == (1, "ERROR: flag needs an argument: 'n' in -n\n")
    quiet = _kind(tmp_path, "get", "nodes", "-q", "--nope")
    assert (quiet.returncode, quiet.stderr) == (1, "")
    helped = _kind(tmp_path, "get", "nodes", "--help")
    assert helped.returncode == 0 and "  -A, --all-clusters" in helped.stdout
    assert "  -n, --name string" in helped.stdout and '(default "kind")' in helped.stdout
    assert not (tmp_path / "sim" / "daemon.json").exists()


def test_the_help_command_of_a_root() -> None:
    """cobra's InitDefaultHelpCmd: `help [command]` shows that command's help; an unknown topic prints
    `Unknown help topic` with the root's usage; the root lists `help` among its commands."""
    asked = resolve(_tree(), ["help", "create", "cluster"])
    assert asked.help and asked.path == "tool create cluster"
    assert asked.help_output().startswith("Makes a cluster\n\nUsage:\n  tool create cluster [flags]\n")
    unknown = resolve(_tree(), ["help", "nope"])
    assert unknown.help and unknown.help_output().startswith("Unknown help topic [`nope`]\nUsage:\n  tool [command]\n")
    assert "\n  help        Help about any command\n" in help_text([_tree()])
    assert "help" not in _error("hlep")  # the help command is never suggested


def _docker(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {**os.environ, "LIQO_TUTOR_SIM_DIR": str(tmp_path / "sim"), "HOME": str(tmp_path),
                           "LIQO_TUTOR_SIM_SPEED": "0"}
    env.pop("LIQO_TUTOR_SIM_FAULTS", None)
    return subprocess.run([sys.executable, "-m", "liqo_tutor.sim.tools", "docker", *argv], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)


def test_docker_usage_errors(tmp_path: Path) -> None:
    """docker/cli v28.2.2: global flags parsed before the command only (TopLevelCommand.HandleGlobalFlags,
    SetInterspersed(false)); flag errors through cli.FlagErrorFunc (usage line, hint, exit 125); argument
    errors from cli/required.go (exit 1, `SRun` sic in RequiresMaxArgs); unknown commands from the root's RunE."""
    late = _docker(tmp_path, "ps", "--context", "x")
    assert (late.returncode, late.stderr) == (125, "unknown flag: --context\n\nUsage:  docker ps [OPTIONS]\n\n"
                                                   "Run 'docker ps --help' for more information\n")
    assert _docker(tmp_path, "--context", "default", "ps", "-q").returncode == 0
    bad_filter = _docker(tmp_path, "ps", "--filter", "nolabel")
    assert bad_filter.returncode == 125 and bad_filter.stderr.startswith(
        'invalid argument "nolabel" for "-f, --filter" flag: bad format of filter (expected name=value)\n')
    extra = _docker(tmp_path, "info", "extra")
    assert (extra.returncode, extra.stderr) == (1, "docker: 'docker info' accepts no arguments\n\n"
                                                   "Usage:  docker info [OPTIONS]\n\n"
                                                   "Run 'docker info --help' for more information\n")
    pull = _docker(tmp_path, "image", "pull")
    assert pull.returncode == 1 and pull.stderr.startswith("docker: 'docker image pull' requires 1 argument\n\n"
                                                           "Usage:  docker image pull [OPTIONS] NAME[:TAG|@DIGEST]")
    rmi = _docker(tmp_path, "rmi")
    assert rmi.stderr.endswith("\n\nSee 'docker rmi --help' for more information\n")
    assert _docker(tmp_path, "images", "a", "b").stderr.endswith("\n\nSRun 'docker images --help' for more "
                                                                 "information\n")
    sub = _docker(tmp_path, "image", "frob")
    assert (sub.returncode, sub.stderr) == (1, "docker: unknown command: docker image frob\n\n"
                                               "Usage:  docker image\n\nRun 'docker image --help' for more information\n")
    top = _docker(tmp_path, "frob")
    assert (top.returncode, top.stderr) == (1, "docker: unknown command: docker frob\n\n"
                                               "Run 'docker --help' for more information\n")
    assert _docker(tmp_path, "-v").stdout == "Docker version 28.2.2, build e6534b4\n"
    assert _docker(tmp_path, "container", "ls", "-q").returncode == 0  # aliases: container ls = ps

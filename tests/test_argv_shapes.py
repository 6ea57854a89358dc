"""Real mode: every kind, liqoctl and helm command line of every tutorial is one the real CLI accepts.

Each tutorial is loaded through the loader and resolved as the engine resolves it (a Context per Liqo
line, the cluster's `--kubeconfig`/`--context` added by the shell), for its own clusters and for
bring-your-own clusters given with a context. Each tool argv is then parsed against a table of the
commands, positional-argument rules and flags that the real CLIs define with cobra/pflag, read in:

- liqoctl v1.2.0 (liqotech/liqo): cmd/liqoctl/cmd/{root,install,info,peer,unpeer,offload,unoffload,
  uninstall,version}.go, pkg/liqoctl/factory/factory.go (AddFlags: the ConfigFlags kubeconfig/context/
  cluster/user, `--verbose`), pkg/liqoctl/install/kind/provider.go, pkg/utils/args/{enum,stringmap}.go;
- liqoctl v0.10.3: cmd/liqoctl/cmd/{root,install,generate,peer,unpeer,offload,unoffload,uninstall,
  version,status}.go, pkg/liqoctl/peeroob/consts.go (auth-url, cluster-id, auth-token);
- kind v0.32.0 (kubernetes-sigs/kind; same flags at v0.20.0): pkg/cmd/kind/root.go,
  pkg/cmd/kind/create/cluster/createcluster.go, pkg/cmd/kind/delete/cluster/deletecluster.go,
  pkg/cmd/kind/get/clusters/clusters.go, pkg/cmd/kind/load/docker-image/docker-image.go;
- helm v3.21.4 (cmd/helm/{root,repo_add,repo_list,install,status,uninstall,version}.go,
  pkg/cli/environment.go) and v4.2.4 (pkg/cmd/*.go): the shapes used are accepted by both.

Facts (names, Args rules, enum values) only; the parser below is ours. kubectl is not checked: the real
kubectl runs in both modes, so a wrong kubectl line already fails in the playground.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from liqo_tutor import loader
from liqo_tutor.engine.resolve import applicable, targets
from liqo_tutor.tutorial import Check, Tutorial
from tutorial_helpers import context_for

REPO = Path(__file__).resolve().parents[1]
TUTORIALS = sorted(p.stem for p in (REPO / "steps").glob("*.yaml"))

Validator = Callable[[str], str | None]  # None when the value is accepted, else why not

_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$|^0$")  # Go time.ParseDuration


def duration(value: str) -> str | None:
    return None if _DURATION.match(value) else f"invalid duration {value!r}"


def enum(*allowed: str) -> Validator:
    """pkg/utils/args/enum.go: the value must be one of the allowed ones, case-sensitive."""

    def check(value: str) -> str | None:
        return None if value in allowed else f"{value} is not included in {','.join(allowed)}"

    return check


def string_map(value: str) -> str | None:
    """pkg/utils/args/stringmap.go Set: "" is an empty map; else comma-separated k=v chunks."""
    if value == "":
        return None
    bad = [chunk for chunk in value.split(",") if "=" not in chunk]
    return f"invalid value {bad[0]}: missing '=' separator" if bad else None


def integer(value: str) -> str | None:
    return None if re.fullmatch(r"-?\d+", value) else f"invalid integer {value!r}"


def kind_name(value: str) -> str | None:
    """kind validates cluster names against this (pkg/internal/apis/config/validate.go)."""
    return None if re.fullmatch(r"[a-z0-9.-]+", value) else f"invalid cluster name {value!r}"


def anything(_: str) -> str | None:
    return None


@dataclass(frozen=True)
class Flag:
    takes_value: bool = True
    check: Validator = anything
    short: str | None = None


BOOL = Flag(takes_value=False)
STR = Flag()


@dataclass(frozen=True)
class Command:
    min_args: int = 0
    max_args: int | None = 0  # None: no upper bound (cobra without an Args rule, MinimumNArgs)
    flags: dict[str, Flag] = field(default_factory=dict)


def merged(*groups: dict[str, Flag]) -> dict[str, Flag]:
    out: dict[str, Flag] = {}
    for g in groups:
        out.update(g)
    return out


# -- kind v0.32.0 -------------------------------------------------------------------------------
KIND_ROOT = {"verbosity": Flag(check=integer, short="v"), "quiet": Flag(takes_value=False, short="q")}
KIND: dict[tuple[str, ...], Command] = {
    ("create", "cluster"): Command(flags=merged(KIND_ROOT, {
        "name": Flag(check=kind_name, short="n"), "config": STR, "kubeconfig": STR,
        "wait": Flag(check=duration), "image": STR, "retain": BOOL})),
    ("delete", "cluster"): Command(flags=merged(KIND_ROOT, {
        "name": Flag(check=kind_name, short="n"), "kubeconfig": STR})),
    ("get", "clusters"): Command(flags=dict(KIND_ROOT)),
    ("load", "docker-image"): Command(min_args=1, max_args=None, flags=merged(KIND_ROOT, {
        "name": Flag(check=kind_name, short="n"), "nodes": STR})),
}

# -- liqoctl v1.2.0 -----------------------------------------------------------------------------
_CONFIG = {"kubeconfig": STR, "context": STR, "cluster": STR, "user": STR}
_REMOTE = {f"remote-{k}": v for k, v in _CONFIG.items()}
V1_ROOT = merged(_CONFIG, {"verbose": Flag(takes_value=False, short="v"), "skip-confirm": BOOL,
                           "global-labels": Flag(check=string_map), "global-annotations": Flag(check=string_map)})
_LIQO_NS = {"namespace": Flag(short="n")}
V1_INSTALL = merged(V1_ROOT, _LIQO_NS, {
    "cluster-id": STR, "version": STR, "timeout": Flag(check=duration), "cluster-labels": Flag(check=string_map),
    "set": STR, "set-string": STR, "values": STR, "repo-url": STR, "local-chart-path": STR,
    "only-output-values": BOOL, "dump-values-path": STR, "dry-run": BOOL, "reserved-subnets": STR,
    "disable-api-server-sanity-check": BOOL, "skip-validation": BOOL, "enable-metrics": BOOL,
    "disable-telemetry": BOOL, "disable-kernel-version-check": BOOL})
V1_INFO = merged(V1_ROOT, _LIQO_NS, {"output": Flag(check=enum("json", "yaml"), short="o"),
                                     "get": Flag(short="g")})
V1_PEERING = merged(V1_ROOT, _REMOTE, _LIQO_NS, {"timeout": Flag(check=duration), "remote-namespace": STR,
                                                 "skip-validation": BOOL})
LIQOCTL_V1: dict[tuple[str, ...], Command] = {
    ("version",): Command(flags=merged(V1_ROOT, _LIQO_NS, {"client": BOOL})),
    ("install", "kind"): Command(flags=V1_INSTALL),
    ("info",): Command(flags=V1_INFO),
    ("info", "peer"): Command(max_args=None, flags=V1_INFO),
    ("peer",): Command(flags=merged(V1_PEERING, {
        "gw-server-service-type": Flag(check=enum("LoadBalancer", "NodePort", "ClusterIP")),
        "gw-server-service-location": Flag(check=enum("Consumer", "Provider")),
        "gw-server-service-port": Flag(check=integer), "gw-server-service-nodeport": Flag(check=integer),
        "networking-disabled": BOOL, "create-resource-slice": BOOL, "create-virtual-node": BOOL,
        "cpu": STR, "memory": STR, "pods": STR, "resource": STR, "in-band": BOOL, "mtu": Flag(check=integer)})),
    ("unpeer",): Command(flags=merged(V1_PEERING, {"wait": BOOL, "delete-namespaces": BOOL})),
    ("offload", "namespace"): Command(max_args=None, flags=merged(V1_ROOT, {
        "pod-offloading-strategy": Flag(check=enum("LocalAndRemote", "Remote", "Local")),
        "namespace-mapping-strategy": Flag(check=enum("EnforceSameName", "DefaultName", "SelectedName")),
        "timeout": Flag(check=duration), "remote-namespace-name": STR, "selector": Flag(short="l"),
        "ns-selector": STR, "output": Flag(check=enum("json", "yaml"), short="o")})),
    ("unoffload", "namespace"): Command(max_args=None, flags=merged(V1_ROOT, {
        "timeout": Flag(check=duration), "ns-selector": STR})),
    ("uninstall",): Command(flags=merged(V1_ROOT, _LIQO_NS, {"purge": BOOL, "timeout": Flag(check=duration)})),
}

# -- liqoctl v0.10.3 ----------------------------------------------------------------------------
V0_ROOT = merged(_CONFIG, {"verbose": Flag(takes_value=False, short="v"), "skip-confirm": BOOL})
LIQOCTL_V0: dict[tuple[str, ...], Command] = {
    ("version",): Command(flags=merged(V0_ROOT, _LIQO_NS, {"client": BOOL})),
    ("install", "kind"): Command(flags=merged(V0_ROOT, _LIQO_NS, {
        "version": STR, "repo-url": STR, "local-chart-path": STR, "only-output-values": BOOL,
        "dump-values-path": STR, "dry-run": BOOL, "timeout": Flag(check=duration), "cluster-name": STR,
        "cluster-labels": Flag(check=string_map), "sharing-percentage": STR, "enable-ha": BOOL,
        "reserved-subnets": STR, "set": STR, "values": STR, "disable-api-server-sanity-check": BOOL,
        "skip-validation": BOOL, "enable-metrics": BOOL, "disable-telemetry": BOOL, "service-type": STR})),
    ("generate", "peer-command"): Command(flags=merged(V0_ROOT, _LIQO_NS, {"only-command": BOOL})),
    ("peer", "out-of-band"): Command(min_args=1, max_args=1, flags=merged(V0_ROOT, _LIQO_NS, {
        "timeout": Flag(check=duration), "incoming": BOOL, "auth-url": STR, "auth-token": STR,
        "cluster-id": STR})),
    ("unpeer", "out-of-band"): Command(min_args=1, max_args=1, flags=merged(V0_ROOT, _LIQO_NS, {
        "timeout": Flag(check=duration), "incoming": BOOL})),
    ("offload", "namespace"): Command(min_args=1, max_args=1, flags=merged(V0_ROOT, {
        "pod-offloading-strategy": Flag(check=enum("LocalAndRemote", "Remote", "Local")),
        "namespace-mapping-strategy": Flag(check=enum("EnforceSameName", "DefaultName", "SelectedName")),
        "timeout": Flag(check=duration), "remote-namespace-name": STR, "selector": Flag(short="l"),
        "output": Flag(check=enum("json", "yaml"), short="o")})),
    ("unoffload", "namespace"): Command(min_args=1, max_args=1, flags=merged(V0_ROOT, {
        "timeout": Flag(check=duration)})),
    ("uninstall",): Command(flags=merged(V0_ROOT, _LIQO_NS, {"purge": BOOL, "timeout": Flag(check=duration)})),
    ("status",): Command(flags=merged(V0_ROOT, _LIQO_NS)),  # cobra.NoArgs
    ("status", "peer"): Command(max_args=None, flags=merged(V0_ROOT, _LIQO_NS)),  # no Args rule
}

# -- helm v3.21.4 / v4.2.4 ----------------------------------------------------------------------
HELM_ROOT = {"namespace": Flag(short="n"), "kubeconfig": STR, "kube-context": STR, "debug": BOOL,
             "repository-config": STR, "repository-cache": STR, "registry-config": STR,
             "kube-apiserver": STR, "kube-token": STR, "kube-as-user": STR, "kube-as-group": STR}
_HELM_OUT = {"output": Flag(check=enum("table", "json", "yaml"), short="o")}
HELM: dict[tuple[str, ...], Command] = {
    ("version",): Command(flags=merged(HELM_ROOT, {"short": BOOL, "template": STR})),
    ("repo", "add"): Command(min_args=2, max_args=2, flags=merged(HELM_ROOT, {
        "force-update": BOOL, "username": STR, "password": STR, "password-stdin": BOOL,
        "timeout": Flag(check=duration), "insecure-skip-tls-verify": BOOL, "pass-credentials": BOOL,
        "allow-deprecated-repos": BOOL, "ca-file": STR, "cert-file": STR, "key-file": STR})),
    ("repo", "list"): Command(flags=merged(HELM_ROOT, _HELM_OUT)),
    # MinimumNArgs(1), but one positional is the chart: "must either provide a name or specify
    # --generate-name" (pkg/action/install.go NameAndChart); at most two.
    ("install",): Command(min_args=2, max_args=2, flags=merged(HELM_ROOT, _HELM_OUT, {
        "values": Flag(short="f"), "set": STR, "set-string": STR, "set-file": STR, "set-json": STR,
        "set-literal": STR, "version": STR, "create-namespace": BOOL, "timeout": Flag(check=duration)})),
    ("status",): Command(min_args=1, max_args=1, flags=merged(HELM_ROOT, _HELM_OUT, {
        "revision": Flag(check=integer), "show-desc": BOOL, "show-resources": BOOL})),
    ("uninstall",): Command(min_args=1, max_args=None, flags=merged(HELM_ROOT, {
        "ignore-not-found": BOOL, "keep-history": BOOL, "timeout": Flag(check=duration),
        "cascade": Flag(check=enum("background", "orphan", "foreground")), "dry-run": BOOL,
        "no-hooks": BOOL})),
}

TABLES: dict[tuple[str, str], dict[tuple[str, ...], Command]] = {
    ("kind", "v1"): KIND, ("kind", "v0"): KIND,
    ("liqoctl", "v1"): LIQOCTL_V1, ("liqoctl", "v0"): LIQOCTL_V0,
    ("helm", "v1"): HELM, ("helm", "v0"): HELM,
}


def problems(argv: list[str], line: str) -> tuple[tuple[str, ...], list[str]]:
    """(the command path, what the real CLI would refuse) for one tool argv, as cobra/pflag parse it."""
    table = TABLES[(argv[0], line)]
    words = argv[1:]
    path: tuple[str, ...] = ()
    while words and not words[0].startswith("-") and any(k[: len(path) + 1] == (*path, words[0]) for k in table):
        path, words = (*path, words[0]), words[1:]
    command = table.get(path)
    if command is None:
        nxt = words[0] if words else ""
        return path, [f'unknown command "{nxt}" for "{" ".join([argv[0], *path])}"']
    shorts = {f.short: name for name, f in command.flags.items() if f.short}
    bad: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            positional += words[i:]
            break
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        name, eq, value = word.lstrip("-").partition("=")
        if not word.startswith("--"):
            if name not in shorts:
                bad.append(f"unknown shorthand flag: {name!r} in {word}")
                continue
            name = shorts[name]
        flag = command.flags.get(name)
        if flag is None:
            bad.append(f"unknown flag: --{name}")
            continue
        if flag.takes_value and not eq:
            if i >= len(words):
                bad.append(f"flag needs an argument: --{name}")
                continue
            value, i = words[i], i + 1
        elif not flag.takes_value and eq and value not in ("true", "false"):
            bad.append(f"invalid argument {value!r} for --{name} (a bool)")
            continue
        why = flag.check(value) if flag.takes_value else None
        if why:
            bad.append(f'invalid argument "{value}" for "--{name}" flag: {why}')
    if len(positional) < command.min_args or (command.max_args is not None and len(positional) > command.max_args):
        if command.max_args == 0:
            bad.append(f'unknown command "{positional[0]}" for "{" ".join([argv[0], *path])}"')
        else:
            bad.append(f"{' '.join([argv[0], *path])}: wrong number of arguments {positional}")
    return path, bad


# -- the argv a tutorial runs, resolved as the engine resolves it --------------------------------

_HOLE = re.compile(r"\{[a-z][a-z0-9_]*:([a-z0-9-]+)(?::secret)?\}")
_SAMPLE = {"dns-label": "milan", "https-url": "https://172.18.0.3:32000", "word": "x",
           "uuid": "0b1f1c8e-5f3a-4c57-9a57-3b2c8f0e6d41", "hex128": "ab" * 64}


def _commands_of(check: Check) -> list[str]:
    return [v for k in ("command", "table") if isinstance(v := getattr(check.spec, k, None), str)]


def _templates(tut: Tutorial, line: str) -> Iterator[tuple[str, str | None, str]]:
    """(where, cluster, command template) of every command the tutorial can run on `line`."""
    names = [c.name for c in tut.clusters]
    yield "provider.list", None, tut.provider.list
    yield "lines.detect", None, tut.detect.command
    for name in names:
        yield "provider.delete", name, tut.provider.delete
        if tut.detect.server_command:
            yield "lines.detect.server", name, tut.detect.server_command
    for req in tut.requires:
        if req.probe:
            yield f"requires[{req.program}]", None, req.probe
    for step in tut.steps:
        for action in applicable(step.actions, line):
            spec = action.spec
            template = next((v for k in ("run", "create_cluster", "delete_cluster") if isinstance(
                v := getattr(spec, k, None), str)), None)
            for cluster in targets(tut, action.each, action.cluster):
                if template is not None:
                    yield action.where, cluster, template
                generator = getattr(spec, "generated_command", None)
                if isinstance(generator, str):
                    yield action.where, getattr(spec, "source", None), generator
                    generated = _HOLE.sub(lambda m: _SAMPLE[m.group(1)], getattr(spec, "pattern", ""))
                    yield action.where + " (generated)", cluster, generated + " " + (
                        getattr(spec, "extra_args", None) or "")
                for check in (*action.guards, *action.unless, *action.before):
                    for c in targets(tut, check.each, check.cluster or cluster):
                        for command in _commands_of(check):
                            yield check.where, c, command
        for check in applicable(step.checks, line):
            for c in targets(tut, check.each, check.cluster):
                for command in _commands_of(check):
                    yield check.where, c, command


def tool_argvs(name: str, line: str, workdir: Path, byo: bool = False) -> list[tuple[str, list[str]]]:
    tut = loader.load(name)
    ctx = context_for(tut, line, workdir, byo)
    out = []
    for where, cluster, template in _templates(tut, line):
        # `{timeout}`: a check's own timeout, given to its command as a Go duration (claims/command.py)
        argv = ctx.with_kubeconfig(ctx.argv(template, cluster, {"timeout": "60s"}), cluster)
        if argv and argv[0] in ("kind", "liqoctl", "helm"):
            out.append((where, argv))
    return out


CASES = [(name, line) for name in TUTORIALS for line in sorted(loader.load(name).lines)]


@pytest.mark.parametrize("byo", [False, True], ids=["created", "bring-your-own"])
@pytest.mark.parametrize(("name", "line"), CASES, ids=[f"{n}-{ln}" for n, ln in CASES])
def test_every_tool_command_line_is_accepted_by_the_real_cli(name: str, line: str, byo: bool,
                                                             tmp_path: Path) -> None:
    found = tool_argvs(name, line, tmp_path, byo)
    refused = [f"{where}: {shlex.join(argv)}: {why}" for where, argv in found for why in problems(argv, line)[1]]
    assert not refused, "\n".join(refused)
    # Not vacuous: the tutorial's kind and liqoctl lines were all found and parsed.
    paths = {(argv[0], *problems(argv, line)[0]) for _, argv in found}
    assert {("kind", "create", "cluster"), ("kind", "delete", "cluster"), ("kind", "get", "clusters"),
            ("liqoctl", "version"), ("liqoctl", "install", "kind"), ("liqoctl", "uninstall")} <= paths, paths
    assert ("liqoctl", "unoffload", "namespace") in paths and ("liqoctl", "offload", "namespace") in paths
    if name == "stateful-applications":
        assert {("helm", "repo", "add"), ("helm", "install"), ("helm", "status"), ("helm", "uninstall")} <= paths
    if name == "quick-start":
        assert ("liqoctl", "info", "peer") in paths if line == "v1" else ("liqoctl", "status", "peer") in paths
    if byo:  # the shell names the context with each program's own flag (helm: --kube-context)
        helm = [argv for _, argv in found if argv[0] == "helm" and "--kubeconfig" in argv]
        assert all("--kube-context" in argv and "--context" not in argv for argv in helm), helm
    # liqoctl's remote factory (v1.2.0 pkg/liqoctl/factory/factory.go remotify) reads the remote
    # kubeconfig's current context unless --remote-context names the one given with FILE@CONTEXT.
    peers = [argv for _, argv in found if argv[:2] in (["liqoctl", "peer"], ["liqoctl", "unpeer"])
             and "--remote-kubeconfig" in argv]
    assert all(any(a.startswith("--remote-context=") for a in argv) == byo for argv in peers), peers


def test_the_cluster_labels_reach_the_install_as_one_flag_value(tmp_path: Path) -> None:
    """common.sh's install_liqo types `--cluster-labels=LABELS`: the value is a StringMap (k=v,...)."""
    found = tool_argvs("offloading-with-policies", "v1", tmp_path)
    installs = [argv for _, argv in found if argv[1:3] == ["install", "kind"]]
    labels = sorted(a for argv in installs for a in argv if a.startswith("--cluster-labels="))
    assert labels == ["--cluster-labels=topology.liqo.io/region=center",
                      "--cluster-labels=topology.liqo.io/region=north",
                      "--cluster-labels=topology.liqo.io/region=south"], installs


@pytest.mark.parametrize(("argv", "line", "why"), [
    ("liqoctl install kind --cluster-name rome", "v1", "unknown flag: --cluster-name"),
    ("liqoctl install kind --cluster-id rome", "v0", "unknown flag: --cluster-id"),
    ("liqoctl peer milan --gw-server-service-type NodePort", "v1", 'unknown command "milan"'),
    ("liqoctl peer --gw-server-service-type Nodeport", "v1", "Nodeport is not included in"),
    ("liqoctl offload namespace demo --pod-offloading-strategy remote", "v1", "remote is not included"),
    ("liqoctl info -o table", "v1", "table is not included in json,yaml"),
    ("liqoctl info extra", "v1", 'unknown command "extra"'),
    ("liqoctl install kind --cluster-labels=region", "v1", "missing '=' separator"),
    ("liqoctl unoffload namespace", "v0", "wrong number of arguments"),
    ("liqoctl generate peer-command --only", "v0", "unknown flag: --only"),
    ("kind create cluster extra --name x", "v1", 'unknown command "extra"'),
    ("kind create cluster --name Rome", "v1", "invalid cluster name"),
    ("kind create cluster --wait 5 minutes", "v1", "invalid duration"),
    ("helm install db -n liqo-demo", "v1", "wrong number of arguments"),
    ("helm install a b c", "v1", "wrong number of arguments"),
    ("helm repo add bitnami", "v1", "wrong number of arguments"),
    ("helm status db -o xml", "v1", "xml is not included"),
    ("helm status db --context kind-turin", "v1", "unknown flag: --context"),
])
def test_the_table_refuses_what_the_real_cli_refuses(argv: str, line: str, why: str) -> None:
    """ARGV.md's refused shapes (each exits 1 on the real CLI): the checker is not a rubber stamp."""
    _, bad = problems(shlex.split(argv), line)
    assert any(why in b for b in bad), bad

"""The command tree of the simulated helm on the shared cobra/pflag parser (sim/tools/cobra.py).

Commands, aliases, flags and positional rules follow helm v3.17's cmd/helm (root.go and pkg/cli/environment.go
for the global flags; install.go/addInstallFlags, upgrade.go, uninstall.go, list.go, status.go, history.go,
get_*.go, search_repo.go, repo_*.go, version.go; flags.go for the value, chart-path and output flags) and
cmd/helm/require/args.go for the `"helm X" requires N argument(s)` messages with the command's usage line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liqo_tutor.sim.tools.cobra import ARBITRARY, ArgsCheck, Command, Flag

__all__ = ["Run", "build"]

Run = Callable[[list[str], dict[str, Any]], int]
Handlers = dict[str, Run]

_FORMATS = ("table", "json", "yaml")  # pkg/cli/output: ParseFormat


def _format(raw: str) -> None:
    if raw not in _FORMATS:
        raise ValueError("invalid format type")


OUTPUT = Flag("output", "str", "table", "o", check=_format,
              help="prints the output in the specified `format`. Allowed values: table, json, yaml")


def _plural(n: int) -> str:
    return "argument" if n == 1 else "arguments"


Rule = tuple[ArgsCheck, str]  # the positional check and the words the Use line shows after the name


def _require(what: str, bad: Callable[[int], bool], n: int, use: str) -> Rule:
    """require/args.go: `"PATH" requires N argument(s)` (or accepts no arguments) and the usage line."""

    def check(path: str, args: list[str]) -> str | None:
        if not bad(len(args)):
            return None
        line = " ".join(filter(None, [path, use, "[flags]"]))
        return f'"{path}" {what.format(n=n, word=_plural(n))}\n\nUsage:  {line}'

    return check, use


def no_args(use: str = "") -> Rule:
    return _require("accepts no arguments", lambda k: k > 0, 0, use)


def exact(n: int, use: str) -> Rule:
    return _require("requires {n} {word}", lambda k: k != n, n, use)


def minimum(n: int, use: str) -> Rule:
    return _require("requires at least {n} {word}", lambda k: k < n, n, use)


GLOBAL = [
    Flag("namespace", "str", "", "n", help="namespace scope for this request"),
    Flag("kubeconfig", "str", "", help="path to the kubeconfig file"),
    Flag("kube-context", "str", "", help="name of the kubeconfig context to use"),
    Flag("kube-token", "str", "", help="bearer token used for authentication"),
    Flag("kube-as-user", "str", "", help="username to impersonate for the operation"),
    Flag("kube-as-group", "array", [], help="group to impersonate for the operation"),
    Flag("kube-apiserver", "str", "", help="the address and the port for the Kubernetes API server"),
    Flag("kube-ca-file", "str", "", help="the certificate authority file for the Kubernetes API server"),
    Flag("kube-tls-server-name", "str", "", help="server name for the API server's certificate"),
    Flag("kube-insecure-skip-tls-verify", "bool", False, help="do not check the API server's certificate"),
    Flag("debug", "bool", False, help="enable verbose output"),
    Flag("registry-config", "str", "", help="path to the registry config file"),
    Flag("repository-config", "str", "", help="path to the file containing repository names and URLs"),
    Flag("repository-cache", "str", "", help="path to the directory containing cached repository indexes"),
    Flag("burst-limit", "int", 100, help="client-side default throttling limit"),
    Flag("qps", "str", "", help="queries per second used when communicating with the Kubernetes API"),
]

VALUES = [
    Flag("values", "list", [], "f", help="specify values in a YAML file or a URL (can specify multiple)"),
    *(Flag(n, "array", [], help="set values on the command line")
      for n in ("set", "set-string", "set-file", "set-json", "set-literal")),
]

CHART_PATH = [
    Flag("version", "str", "", help="specify a version constraint for the chart version to use"),
    Flag("verify", "bool", False), Flag("keyring", "str", ""), Flag("repo", "str", ""),
    Flag("username", "str", ""), Flag("password", "str", ""), Flag("cert-file", "str", ""),
    Flag("key-file", "str", ""), Flag("insecure-skip-tls-verify", "bool", False),
    Flag("plain-http", "bool", False), Flag("ca-file", "str", ""), Flag("pass-credentials", "bool", False),
]

def _bools(*names: str) -> list[Flag]:
    return [Flag(n, "bool", False) for n in names]


def _strs(*names: str) -> list[Flag]:
    return [Flag(n, "str", "") for n in names]


TIMEOUT = Flag("timeout", "duration", 300.0, help="time to wait for any individual Kubernetes operation")
_RELEASE_SHARED = [
    Flag("create-namespace", "bool", False, help="create the release namespace if not present"),
    Flag("dry-run", "str", ""), TIMEOUT, Flag("labels", "list", [], "l"), Flag("description", "str", ""),
    *_bools("hide-secret", "force", "no-hooks", "wait", "wait-for-jobs", "devel", "dependency-update",
            "disable-openapi-validation", "atomic", "skip-crds", "render-subchart-notes",
            "skip-schema-validation", "enable-dns", "hide-notes", "take-ownership"),
    *VALUES, *CHART_PATH, OUTPUT,
]

INSTALL = [*_RELEASE_SHARED, Flag("replace", "bool", False), Flag("generate-name", "bool", False, "g"),
           Flag("name-template", "str", "")]
UPGRADE = [*_RELEASE_SHARED, Flag("install", "bool", False, "i"), Flag("history-max", "int", 10),
           *_bools("recreate-pods", "reset-values", "reuse-values", "reset-then-reuse-values",
                   "cleanup-on-fail")]
UNINSTALL = [*_bools("dry-run", "no-hooks", "ignore-not-found", "keep-history", "wait"),
             Flag("cascade", "str", "background"), TIMEOUT, Flag("description", "str", "")]
LIST = [Flag("short", "bool", False, "q"), Flag("date", "bool", False, "d"),
        Flag("reverse", "bool", False, "r"),
        Flag("all", "bool", False, "a"), Flag("all-namespaces", "bool", False, "A"),
        *_bools("no-headers", "uninstalled", "superseded", "uninstalling", "deployed", "failed", "pending"),
        Flag("max", "int", 256, "m"), Flag("offset", "int", 0), Flag("time-format", "str", ""),
        Flag("filter", "str", "", "f"), Flag("selector", "str", "", "l"), OUTPUT]
REPO_ADD = [*_strs("username", "password", "cert-file", "key-file", "ca-file"),
            *_bools("password-stdin", "force-update", "no-update", "insecure-skip-tls-verify",
                    "allow-deprecated-repos", "pass-credentials")]
SEARCH_REPO = [Flag("regexp", "bool", False, "r"), Flag("versions", "bool", False, "l"),
               *_bools("devel", "fail-on-no-result"), Flag("version", "str", ""),
               Flag("max-col-width", "int", 50), OUTPUT]
STATUS = [Flag("revision", "int", 0), *_bools("show-desc", "show-resources"), OUTPUT]


REPO_LONG = "\nThis command consists of multiple subcommands to interact with chart repositories.\n"


def _cmd(name: str, run: Run, rule: Rule, flags: list[Flag] | None = None, **kw: Any) -> Command[Run]:
    check, use = rule
    return Command(name, run=run, args=check, use=f"{name} {use}".strip(), flags=list(flags or []), **kw)


def _any(use: str) -> Rule:
    """No Args: cobra's legacy rule, any words for a command without subcommands."""
    return ARBITRARY, use


def build(h: Handlers) -> Command[Run]:
    """helm's root (SilenceUsage, no Run) with the commands the playground implements; `h`: name -> run."""
    repo = Command[Run]("repo", short="add, list, remove, update, and index chart repositories",
                        long=REPO_LONG, use="repo add|remove|list|index|update [ARGS]", subs=[
        _cmd("add", h["repo add"], exact(2, "[NAME] [URL]"), REPO_ADD, short="add a chart repository"),
        _cmd("update", h["repo update"], minimum(0, "[REPO1 [REPO2 ...]]"),
             [Flag("fail-on-repo-update-fail", "bool", False)], aliases=("up",),
             short="update information of available charts locally from chart repositories"),
        _cmd("list", h["repo list"], no_args(), [OUTPUT], aliases=("ls",), short="list chart repositories"),
        _cmd("remove", h["repo remove"], minimum(1, "[REPO1 [REPO2 ...]]"), aliases=("rm",),
             short="remove one or more chart repositories"),
    ])
    get = Command[Run]("get", short="download extended information of a named release", subs=[
        _cmd("values", h["get values"], exact(1, "RELEASE_NAME"),
             [Flag("revision", "int", 0), Flag("all", "bool", False, "a"), OUTPUT],
             short="download the values file for a named release"),
        _cmd("manifest", h["get manifest"], exact(1, "RELEASE_NAME"), [Flag("revision", "int", 0)],
             short="download the manifest for a named release"),
        _cmd("notes", h["get notes"], exact(1, "RELEASE_NAME"), [Flag("revision", "int", 0)],
             short="download the notes for a named release"),
    ])
    search = Command[Run]("search", short="search for a keyword in charts", subs=[
        _cmd("repo", h["search repo"], _any("[keyword]"), SEARCH_REPO,
             short="search repositories for a keyword in charts"),
        _cmd("hub", h["search hub"], _any("[KEYWORD]"),
             short="search for charts in the Artifact Hub or your own hub instance"),
    ])
    return Command[Run]("helm", short="The Kubernetes package manager", persistent=GLOBAL, subs=[
        get,
        _cmd("history", h["history"], exact(1, "RELEASE_NAME"), [Flag("max", "int", 256), OUTPUT],
             aliases=("hist",), short="fetch release history"),
        _cmd("install", h["install"], minimum(1, "[NAME] [CHART]"), INSTALL, short="install a chart"),
        _cmd("list", h["list"], no_args(), LIST, aliases=("ls",), short="list releases"),
        repo,
        search,
        _cmd("status", h["status"], exact(1, "RELEASE_NAME"),
             STATUS, short="display the status of the named release"),
        _cmd("uninstall", h["uninstall"], minimum(1, "RELEASE_NAME [...]"), UNINSTALL,
             aliases=("del", "delete", "un"), short="uninstall a release"),
        _cmd("upgrade", h["upgrade"], exact(2, "[RELEASE] [CHART]"), UPGRADE, short="upgrade a release"),
        _cmd("version", h["version"], no_args(),
             [Flag("short", "bool", False), Flag("template", "str", ""), Flag("client", "bool", True, "c")],
             short="print the client version information"),
    ])

"""The simulated `helm` (v3.17 surface): repo add/update/list/remove, install, upgrade [--install], uninstall,
list, status, version, with -n/--namespace, --create-namespace, -f/--values, --set, --version, --wait,
--timeout, --kubeconfig, --kube-context.

Messages and formats follow helm's cmd/helm (repo_add.go, repo_update.go, repo_list.go, repo_remove.go,
install.go, upgrade.go, uninstall.go, list.go, status.go, version.go; errors as `Error: ...`, exit 1) and
pkg/downloader/chart_downloader.go (`repo X not found`, `chart "X" matching V not found in R index`).
Repositories are kept in the playground's directory (helm/repositories.yaml); the charts the playground
can reach are in sim/charts.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from liqo_tutor.sim.charts import ChartVersion, coalesce, index_for, known_hosts
from liqo_tutor.sim.kclient import ApiError, KubeClient, KubeConfigError, load_kubeconfig
from liqo_tutor.sim.tools import helm_cli
from liqo_tutor.sim.tools import helm_release as hr
from liqo_tutor.sim.tools.cobra import UsageError, resolve
from liqo_tutor.sim.tools.common import err, out, read_json, simdir, write_json

__all__ = ["main"]

Flags = dict[str, Any]  # a command's flag values, by long name (cobra.Invocation.values)

VERSION = "v3.17.0"
COMMIT = "301108edc7ac2a8ba79e4ebf5701b0b6ce6a31e4"
GO = "go1.23.4"

def _one(flags: Flags, name: str) -> str:
    return str(flags.get(name) or "")


def _on(flags: Flags, name: str) -> bool:
    return bool(flags.get(name))


# --- repositories ---------------------------------------------------------------------------------


def _repo_file() -> Path:
    return simdir() / "helm" / "repositories.json"


def _repos() -> dict[str, str]:
    data = read_json(_repo_file(), {})
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def repo_add(args: list[str], flags: Flags) -> int:
    name, url = args
    repos = _repos()
    if "/" in name:
        raise hr.HelmError(
            f"repository name ({name}) contains '/', please specify a different name without '/'"
        )
    if name in repos and not _on(flags, "force-update"):
        if repos[name] != url:
            raise hr.HelmError(f"repository name ({name}) already exists, please specify a different name")
        out(f'"{name}" already exists with the same configuration, skipping\n')
        return 0
    _reach(url)
    repos[name] = url
    write_json(_repo_file(), repos)
    out(f'"{name}" has been added to your repositories\n')
    return 0


def _reach(url: str) -> None:
    index = url.rstrip("/") + "/index.yaml"
    host = urlsplit(url).hostname or ""
    if urlsplit(url).scheme not in ("http", "https"):
        raise hr.HelmError(f"could not find protocol handler for: {urlsplit(url).scheme or url}")
    if host not in known_hosts():
        raise hr.HelmError(
            f'looks like "{url}" is not a valid chart repository or cannot be reached: '
            f'Get "{index}": dial tcp: lookup {host}: no such host'
        )
    if index_for(url) is None:
        raise hr.HelmError(
            f'looks like "{url}" is not a valid chart repository or cannot be reached: '
            f"failed to fetch {index} : 404 Not Found"
        )


def repo_update(args: list[str], flags: Flags) -> int:
    repos = _repos()
    if not repos:
        raise hr.HelmError("no repositories found. You must add one before updating")
    names = args or sorted(repos)
    for n in names:
        if n not in repos:
            raise hr.HelmError(f"no repositories found matching '{n}'.  Nothing will be updated")
    out("Hang tight while we grab the latest from your chart repositories...\n")
    failed = []
    for n in names:
        if index_for(repos[n]) is None:
            out(f'...Unable to get an update from the "{n}" chart repository ({repos[n]}):\n\t'
                f"failed to fetch {repos[n].rstrip('/')}/index.yaml : 404 Not Found\n")  # fmt: skip
            failed.append(repos[n])
        else:
            out(f'...Successfully got an update from the "{n}" chart repository\n')
    if failed:
        raise hr.HelmError(f"Failed to update the following repositories: {failed}")
    out("Update Complete. ⎈Happy Helming!⎈\n")
    return 0


def _table(rows: list[list[str]]) -> str:
    """gosuri/uitable as helm uses it: every cell padded to its column, columns joined by a tab."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("\t".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + "\n" for r in rows)


def repo_list(args: list[str], flags: Flags) -> int:
    repos = _repos()
    if not repos:
        raise hr.HelmError("no repositories to show")
    if _one(flags, "output") == "json":
        out(json.dumps([{"name": n, "url": u} for n, u in repos.items()], separators=(",", ":")) + "\n")
        return 0
    out(_table([["NAME", "URL"], *[[n, u] for n, u in repos.items()]]))
    return 0


def repo_remove(args: list[str], flags: Flags) -> int:
    repos = _repos()
    for n in args:
        if n not in repos:
            raise hr.HelmError(f'no repo named "{n}" found')
        del repos[n]
        write_json(_repo_file(), repos)
        out(f'"{n}" has been removed from your repositories\n')
    return 0


def _chart(ref: str, version: str) -> ChartVersion:
    if "/" not in ref or ref.startswith(("/", ".")) or os.path.exists(ref):
        if os.path.exists(ref):
            raise hr.HelmError(
                f"the playground's helm installs charts from its known repositories, not {ref}"
            )
        raise hr.HelmError(f"non-absolute URLs should be in form of repo_name/path_to_chart, got: {ref}")
    repo, _, chart = ref.partition("/")
    repos = _repos()
    if repo not in repos:
        raise hr.HelmError(f"repo {repo} not found")
    index = index_for(repos[repo]) or {}
    versions = index.get(chart)
    if not versions:
        raise hr.HelmError(
            f"chart \"{chart}\" matching {version} not found in {repo} index. (try 'helm repo update'): "
            "no chart name found"
        )
    if not version:
        return versions[0]
    want = version.lstrip("v")
    for cv in versions:
        if cv.version.lstrip("v") == want:
            return cv
    raise hr.HelmError(
        f"chart \"{chart}\" matching {version} not found in {repo} index. (try 'helm repo update'): "
        f"no chart version found for {chart}-{version}"
    )


# --- values ---------------------------------------------------------------------------------------


def _typed(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if value == "null":
        return None
    if re.fullmatch(r"-?\d+", value) and not (len(value) > 1 and value.lstrip("-").startswith("0")):
        return int(value)
    return value


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """strvals: `a.b=c`, `a.b[0]=c` (dots escaped with a backslash stay in the key)."""
    node: Any = target
    parts = [p.replace("\\.", ".") for p in re.findall(r"(?:\\\.|[^.])+", path)]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        m = re.fullmatch(r"(.*)\[(\d+)\]", part)
        key, idx = (m.group(1), int(m.group(2))) if m else (part, None)
        if idx is None:
            if last:
                node[key] = value
            else:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            continue
        items = node.get(key) if isinstance(node.get(key), list) else []
        node[key] = items
        while len(items) <= idx:
            items.append(None)
        if last:
            items[idx] = value
        else:
            if not isinstance(items[idx], dict):
                items[idx] = {}
            node = items[idx]


def _values(flags: Flags) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for path in flags.get("values", []):
        try:
            text = Path(path).read_text()
        except OSError:
            raise hr.HelmError(f"open {path}: no such file or directory") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise hr.HelmError(f"failed to parse {path}: error converting YAML to JSON: {exc}") from None
        if not isinstance(data, dict):
            raise hr.HelmError(
                f"failed to parse {path}: error unmarshaling JSON: cannot unmarshal into values"
            )
        values = coalesce(values, data)
    for flag, typed in (("--set", True), ("--set-string", False)):
        for expr in flags.get(flag.lstrip("-"), []):
            for item in re.split(r"(?<!\\),", expr):
                key, eq, raw = item.partition("=")
                if not eq:
                    raise hr.HelmError(f'failed parsing {flag} data: key "{key}" has no value')
                _set_path(values, key, _typed(raw) if typed else raw)
    return values


# --- cluster --------------------------------------------------------------------------------------


def _client(flags: Flags) -> tuple[KubeClient, str]:
    from liqo_tutor.sim.tools import kind

    state = simdir()
    if not (state / "daemon.json").exists() and (state / "state.json").exists():
        kind.wake(state)
    try:
        target = load_kubeconfig(_one(flags, "kubeconfig") or None, _one(flags, "kube-context") or None)
    except KubeConfigError as exc:
        raise hr.HelmError(f"Kubernetes cluster unreachable: {exc}") from None
    kc = KubeClient(target)
    try:
        kc.request("GET", "/version")
    except ApiError as exc:
        raise hr.HelmError(
            f'Kubernetes cluster unreachable: Get "{target.server}/version": {exc.message}'
        ) from None
    return kc, _one(flags, "namespace") or target.namespace or "default"


def _status_text(release: dict[str, Any]) -> str:
    info = release.get("info") or {}
    text = f"NAME: {release['name']}\n"
    if info.get("last_deployed"):
        text += f"LAST DEPLOYED: {hr.ansic(info['last_deployed'])}\n"
    text += f"NAMESPACE: {release['namespace']}\nSTATUS: {info.get('status', '')}\n"
    text += f"REVISION: {release['version']}\n"
    text += "TEST SUITE: None\n"
    if info.get("notes"):
        text += f"NOTES:\n{str(info['notes']).strip()}\n"
    return text


def _request(args: list[str], flags: Flags, namespace: str) -> hr.Request:
    cv = _chart(args[1], _one(flags, "version"))
    user = _values(flags)
    timeout = float(flags.get("timeout", 300.0))
    return hr.Request(
        name=args[0],
        namespace=namespace,
        chart=cv,
        values=user,
        computed=coalesce(cv.defaults, user),
        create_namespace=_on(flags, "create-namespace"),
        wait=_on(flags, "wait") or _on(flags, "atomic"),
        timeout=timeout if timeout is not None else 300.0,
    )


def cmd_install(args: list[str], flags: Flags) -> int:
    if len(args) < 2:
        raise hr.HelmError("must either provide a name or specify --generate-name")
    try:
        kc, namespace = _client(flags)
        release = hr.install(kc, _request(args, flags, namespace))
    except hr.HelmError as exc:
        raise hr.HelmError(f"INSTALLATION FAILED: {exc}") from None
    out(_status_text(release))
    return 0


def cmd_upgrade(args: list[str], flags: Flags) -> int:
    kc, namespace = _client(flags)
    if _on(flags, "install") and not hr.releases(kc, namespace, args[0]):
        out(f'Release "{args[0]}" does not exist. Installing it now.\n')
        return cmd_install(args, flags)
    try:
        release = hr.upgrade(kc, _request(args, flags, namespace))
    except hr.HelmError as exc:
        raise hr.HelmError(f"UPGRADE FAILED: {exc}") from None
    out(f'Release "{args[0]}" has been upgraded. Happy Helming!\n' + _status_text(release))
    return 0


def cmd_uninstall(args: list[str], flags: Flags) -> int:
    kc, namespace = _client(flags)
    for name in args:
        hr.uninstall(kc, name, namespace, _on(flags, "keep-history"))
        out(f'release "{name}" uninstalled\n')
    return 0


def cmd_list(args: list[str], flags: Flags) -> int:
    kc, namespace = _client(flags)
    every = _on(flags, "all-namespaces")
    latest: dict[tuple[str, str], hr.Release] = {}
    for rel in hr.releases(kc, None if every else namespace):
        latest[(rel.namespace, rel.name)] = rel
    show_all = _on(flags, "all")
    shown = [r for r in latest.values() if show_all or r.status in ("deployed", "failed")]
    shown.sort(key=lambda r: r.name)
    if _on(flags, "short"):
        out("".join(f"{r.name}\n" for r in shown))
        return 0
    rows = []
    for r in shown:
        meta = (r.data.get("chart") or {}).get("metadata") or {}
        updated = (r.data.get("info") or {}).get("last_deployed")
        chart = f"{meta.get('name', '')}-{meta.get('version', '')}"
        when = hr.go_time(updated) if updated else "-"
        rows.append(
            [r.name, r.namespace, str(r.version), when, r.status, chart, str(meta.get("appVersion", ""))]
        )
    fmt = _one(flags, "output") or "table"
    if fmt in ("json", "yaml"):
        keys = ("name", "namespace", "revision", "updated", "status", "chart", "app_version")
        items = [dict(zip(keys, row, strict=True)) for row in rows]
        out(
            json.dumps(items, separators=(",", ":")) + "\n"
            if fmt == "json"
            else yaml.safe_dump(items, sort_keys=False)
        )
        return 0
    head = (
        []
        if _on(flags, "no-headers")
        else [["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]]
    )
    if head or rows:
        out(_table(head + rows))
    return 0


def _history(flags: Flags, name: str) -> list[hr.Release]:
    """The release's stored revisions, oldest first; "release: not found" when it has none."""
    kc, namespace = _client(flags)
    history = hr.releases(kc, namespace, name)
    if not history:
        raise hr.HelmError("release: not found")
    return history


def cmd_status(args: list[str], flags: Flags) -> int:
    history = _history(flags, args[0])
    release = history[-1].data
    fmt = _one(flags, "output") or "table"
    if fmt == "json":  # status.go: the release object itself, encoded
        out(json.dumps(release, separators=(",", ":")) + "\n")
    elif fmt == "yaml":
        out(yaml.safe_dump(release, sort_keys=False))
    elif fmt == "table":
        out(_status_text(release))
    else:  # pkg/cli/output: ParseFormat
        raise hr.HelmError("invalid format type")
    return 0


def cmd_version(args: list[str], flags: Flags) -> int:
    if _on(flags, "short"):
        out(f"{VERSION}+g{COMMIT[:7]}\n")
    else:
        out(
            f'version.BuildInfo{{Version:"{VERSION}", GitCommit:"{COMMIT}", GitTreeState:"clean", '
            f'GoVersion:"{GO}"}}\n'
        )
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def cmd_search(args: list[str], flags: Flags) -> int:
    """`helm search repo [KEYWORD]` (search_repo.go: a line per chart, -l every version, 50-column cells)."""
    if not args or args[0] != "repo":
        raise hr.HelmError('the playground\'s helm searches repositories only: "helm search repo [keyword]"')
    repos = _repos()
    if not repos:
        raise hr.HelmError("no repositories configured")
    term = args[1].lower() if len(args) > 1 else ""
    width = int(flags.get("max-col-width", 50))
    rows = []
    for name, url in sorted(repos.items()):
        for chart, versions in sorted((index_for(url) or {}).items()):
            full = f"{name}/{chart}"
            if term and term not in full.lower() and term not in versions[0].description.lower():
                continue
            for cv in versions if _on(flags, "versions") else versions[:1]:
                rows.append([full, cv.version, cv.app_version, _cut(cv.description, width)])
    if not rows:
        out("No results found\n")
        return 0
    out(_table([["NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"], *rows]))
    return 0


def cmd_history(args: list[str], flags: Flags) -> int:
    history = _history(flags, args[0])
    rows = [["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]]
    for rel in history:
        meta = (rel.data.get("chart") or {}).get("metadata") or {}
        info = rel.data.get("info") or {}
        rows.append(
            [str(rel.version), hr.ansic(info["last_deployed"]) if info.get("last_deployed") else "-",
             rel.status,
             f"{meta.get('name', '')}-{meta.get('version', '')}", str(meta.get("appVersion", "")),
             str(info.get("description", ""))]
        )  # fmt: skip
    out(_table(rows))
    return 0


def cmd_get(args: list[str], flags: Flags) -> int:
    """`helm get values|manifest|notes RELEASE`."""
    history = _history(flags, args[1])
    rel = history[-1].data
    if args[0] == "manifest":
        out(str(rel.get("manifest") or ""))
    elif args[0] == "notes":
        out(f"NOTES:\n{(rel.get('info') or {}).get('notes', '')}\n")
    elif _on(flags, "all"):
        computed = coalesce((rel.get("chart") or {}).get("values") or {}, rel.get("config") or {})
        out("COMPUTED VALUES:\n" + yaml.safe_dump(computed, sort_keys=True))
    else:
        config = rel.get("config") or None
        out("USER-SUPPLIED VALUES:\n" + (yaml.safe_dump(config, sort_keys=True) if config else "null\n"))
    return 0


def _handlers() -> dict[str, helm_cli.Run]:
    def sub(fn: helm_cli.Run, first: str) -> helm_cli.Run:
        return lambda args, flags: fn([first, *args], flags)

    return {"repo add": repo_add, "repo update": repo_update, "repo list": repo_list,
            "repo remove": repo_remove,
            "install": cmd_install, "upgrade": cmd_upgrade, "uninstall": cmd_uninstall, "list": cmd_list,
            "status": cmd_status, "version": cmd_version, "history": cmd_history,
            "search repo": sub(cmd_search, "repo"), "search hub": sub(cmd_search, "hub"),
            "get values": sub(cmd_get, "values"), "get manifest": sub(cmd_get, "manifest"),
            "get notes": sub(cmd_get, "notes")}  # fmt: skip


def main(argv: list[str]) -> int:
    try:
        inv = resolve(helm_cli.build(_handlers()), argv)
        if inv.help:
            out(inv.help_output())
            return 0
        run = inv.command.run
        assert run is not None  # resolve asks for help on a command without Run
        return run(inv.args, inv.values)
    except UsageError as exc:
        err(f"Error: {exc.message}\n")
        if exc.message.startswith("unknown command") and not exc.chain:
            err("Run 'helm --help' for usage.\n")
        return 1
    except hr.HelmError as exc:
        err(f"Error: {exc}\n")
        return 1
    except ApiError as exc:
        err(f"Error: {exc.message}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

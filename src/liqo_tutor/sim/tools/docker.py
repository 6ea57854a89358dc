"""Simulated docker CLI 28.2.2: a running engine (or none, under `docker:down`) and a host image store."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from liqo_tutor.sim import delays, faults
from liqo_tutor.sim.tools.cobra import ARBITRARY, ArgsCheck, Command, Flag, UsageError, parse_flags, resolve
from liqo_tutor.sim.tools.common import (
    DOCKER_DOWN,
    err,
    familiar_image,
    file_lock,
    normalize_image,
    out,
    pause,
    read_json,
    simdir,
    write_json,
)

__all__ = [
    "CLIENT_VERSION",
    "build",
    "add_image",
    "find_image",
    "image_entry",
    "known_image",
    "main",
    "render",
    "zero_info_json",
]

CLIENT_VERSION = "28.2.2"
API_VERSION = "1.50"
GIT_COMMIT = "e6534b4"
GO_VERSION = "go1.24.3"
STORE = "docker-images.json"
KIND_LABEL = "io.x-k8s.kind.cluster"
# Images the simulated registries serve (when sim.images offers no predicate of its own).
_KNOWN_REPOS = (
    "liqo/flights-service", "curlimages/curl", "dwdraju/alpine-curl-jq", "kindest/node",
    "library/busybox", "library/alpine", "library/nginx",
)
_KNOWN_PREFIXES = ("ghcr.io/liqotech/", "docker.io/liqo/")


def known_image(ref: str) -> bool:
    """Whether a registry would serve `ref` in the playground."""
    try:
        from liqo_tutor.sim import images

        if images.behaviour_for(ref).kind != "unknown":
            return True
    except (ImportError, AttributeError):
        pass
    full = normalize_image(ref)
    repo = full.split("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    short = repo.removeprefix("docker.io/")
    return short in _KNOWN_REPOS or any(full.startswith(p) for p in _KNOWN_PREFIXES)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _store_path(sd: Path) -> Path:
    return sd / STORE


def _load(sd: Path) -> dict[str, Any]:
    data = read_json(_store_path(sd), {})
    return data if isinstance(data, dict) else {}


def find_image(sd: Path, ref: str) -> dict[str, Any] | None:
    """The host store's entry for `ref` (by reference or by ID prefix), or None."""
    store = _load(sd)
    full = normalize_image(ref)
    if full in store:
        return dict(store[full], ref=full)
    want = ref.removeprefix("sha256:")
    if len(want) >= 4 and re.fullmatch(r"[0-9a-f]+", want):
        for key, entry in store.items():
            if str(entry.get("id", "")).removeprefix("sha256:").startswith(want):
                return dict(entry, ref=key)
    return None


def image_entry(ref: str) -> dict[str, Any]:
    """What a registry serves for `ref`: image ID, manifest digest, creation time, size (one scheme for
    the host store and the kind nodes' containerd)."""
    full = normalize_image(ref)
    h = hashlib.sha256(full.encode()).hexdigest()
    return {
        "id": _digest("image/" + full),
        "digest": _digest("manifest/" + full),
        "created": time.time() - 86400 * (3 + int(h[:2], 16) % 60),
        "size": 5_000_000 + int(h[2:8], 16) % 400_000_000,
    }


def add_image(sd: Path, ref: str) -> dict[str, Any]:
    full = normalize_image(ref)
    with file_lock(sd / f"{STORE}.lock"):
        store = _load(sd)
        entry = store.get(full) or image_entry(full)
        store[full] = entry
        write_json(_store_path(sd), store)
    return dict(entry, ref=full)


def _remove_image(sd: Path, ref: str) -> dict[str, Any] | None:
    with file_lock(sd / f"{STORE}.lock"):
        found = find_image(sd, ref)
        if found is None:
            return None
        store = _load(sd)
        store.pop(found["ref"], None)
        write_json(_store_path(sd), store)
    return found


# --- Go templates (the few forms scripts use) ------------------------------------------------------

def _lookup(data: Any, path: str) -> Any:
    cur = data
    for part in [p for p in path.split(".") if p]:
        if isinstance(cur, dict):
            cur = cur.get(part)
        else:
            return None
    return cur


def _go_str(value: Any) -> str:
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "map[]" if isinstance(value, dict) and not value else json.dumps(value)
    return str(value)


_ACTION = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def render(template: str, data: Any) -> str:
    """`{{.A.B}}`, `{{json .}}`, `{{json .A}}`, `{{.Label "k"}}`, `{{ .Id }}`; `\\t` and `\\n` escapes."""

    def action(m: re.Match[str]) -> str:
        expr = m.group(1)
        if expr.startswith("json "):
            arg = expr[5:].strip()
            return json.dumps(data if arg == "." else _lookup(data, arg), separators=(",", ":"))
        label = re.fullmatch(r'\.Label\s+"([^"]*)"', expr)
        if label:
            labels = data.get("Labels") or {} if isinstance(data, dict) else {}
            return str(labels.get(label.group(1), ""))
        if expr == ".":
            return _go_str(data)
        if expr.startswith("."):
            return _go_str(_lookup(data, expr[1:]))
        raise ValueError(f'template: :1: function "{expr.split()[0]}" not defined')

    return _ACTION.sub(action, template.replace("\\t", "\t").replace("\\n", "\n"))


# --- engine facts ------------------------------------------------------------------------------

def _info(sd: Path) -> dict[str, Any]:
    containers = _containers(sd)
    return {
        "ID": "6f0d1e2c-5b7a-4c1e-9f3a-liqo-tutor-sim",
        "Containers": len(containers), "ContainersRunning": len(containers), "ContainersPaused": 0,
        "ContainersStopped": 0, "Images": len(_load(sd)), "Driver": "overlay2",
        "DockerRootDir": "/var/lib/docker", "MemTotal": 16 * 1024**3, "NCPU": 8,
        "OperatingSystem": "Ubuntu 24.04.2 LTS", "OSType": "linux", "Architecture": "x86_64",
        "KernelVersion": "6.8.0-60-generic", "ServerVersion": CLIENT_VERSION, "Name": "liqo-tutor-sim",
        "CgroupDriver": "systemd", "CgroupVersion": "2", "Labels": [], "ServerErrors": None,
        "Warnings": None,
    }


def zero_info_json() -> str:
    """What `docker info --format '{{json .}}'` still prints to stdout when the daemon is down."""
    zero: dict[str, Any] = {k: (0 if isinstance(v, int) else "" if isinstance(v, str) else None)
                            for k, v in _info_template().items()}
    zero["ServerErrors"] = [DOCKER_DOWN]
    return json.dumps(zero, separators=(",", ":"))


def _info_template() -> dict[str, Any]:
    return {"ID": "", "Containers": 0, "ContainersRunning": 0, "ContainersPaused": 0, "ContainersStopped": 0,
            "Images": 0, "Driver": "", "DockerRootDir": "", "MemTotal": 0, "NCPU": 0,
            "OperatingSystem": "", "OSType": "", "Architecture": "", "KernelVersion": "",
            "ServerVersion": "", "Name": "", "Labels": None, "Warnings": None, "ServerErrors": None}


def _client() -> dict[str, Any]:
    return {"Version": CLIENT_VERSION, "ApiVersion": API_VERSION, "DefaultAPIVersion": API_VERSION,
            "GitCommit": GIT_COMMIT, "GoVersion": GO_VERSION, "Os": "linux", "Arch": "amd64",
            "BuildTime": "Fri May 30 12:07:26 2025", "Context": "default"}


def _server() -> dict[str, Any]:
    return {"Platform": {"Name": "Docker Engine - Community"}, "Version": CLIENT_VERSION,
            "ApiVersion": API_VERSION, "MinAPIVersion": "1.24", "GitCommit": "45873be",
            "GoVersion": GO_VERSION, "Os": "linux", "Arch": "amd64", "KernelVersion": "6.8.0-60-generic",
            "BuildTime": "2025-05-30T12:07:26.000000000+00:00"}


def _containers(sd: Path) -> list[dict[str, Any]]:
    """kind node containers of the playground's clusters (read without starting the daemon)."""
    from liqo_tutor.sim.client import connect

    clusters: list[dict[str, Any]] = []
    control = connect(sd)
    if control is not None:
        clusters = [c["spec"] for c in control.clusters()]
    else:
        state = read_json(sd / "state.json", {})
        clusters = [c.get("spec", {}) for c in (state.get("clusters") or {}).values()] \
            if isinstance(state, dict) else []
    found = []
    for spec in clusters:
        name = str(spec.get("name", ""))
        image = str(spec.get("image", "")) or "kindest/node"
        for node, role in spec.get("nodes") or [[f"{name}-control-plane", "control-plane"]]:
            cid = hashlib.sha256(f"container/{name}/{node}".encode()).hexdigest()
            port = spec.get("api_port", 0)
            found.append({
                "ID": cid[:12], "Names": node, "Image": image.split("@", 1)[0],
                "Command": '"/usr/local/bin/entrypoint /sbin/init"', "CreatedAt": "", "RunningFor": "Up",
                "Status": "Up", "State": "running",
                "Ports": f"127.0.0.1:{port}->6443/tcp" if role == "control-plane" and port else "",
                "Labels": {KIND_LABEL: name, "io.x-k8s.kind.role": role},
            })
    return found


# --- commands ------------------------------------------------------------------------------

def _ago(ts: float) -> str:
    secs = max(0.0, time.time() - ts)
    for unit, size in (("months", 30 * 86400), ("weeks", 7 * 86400), ("days", 86400), ("hours", 3600),
                       ("minutes", 60)):
        if secs >= 2 * size:
            return f"{int(secs // size)} {unit} ago"
    return "About a minute ago" if secs >= 60 else "Less than a second ago"


def _size(n: int) -> str:
    return f"{n / 1e9:.3g}GB" if n >= 1e9 else f"{n / 1e6:.3g}MB" if n >= 1e6 else f"{n / 1e3:.3g}kB"


def _down(cmd: str, fmt: str | None) -> int:
    """Docker CLI 28 with no engine (reference §3): what reaches stdout before the error, exit 1."""
    if cmd == "info":
        if fmt is None:
            out("Client:\n Version:    28.2.2\n Context:    default\n Debug Mode: false\n\nServer:\n")
        elif "json ." in fmt.replace("{{ ", "{{"):
            out(zero_info_json() + "\n")
        else:
            out("\n")
    elif cmd == "version":
        if fmt is None:
            c = _client()
            out(f"Client:\n Version:           {c['Version']}\n API version:       {c['ApiVersion']}\n"
                f" Go version:        {c['GoVersion']}\n Git commit:        {c['GitCommit']}\n"
                f" Built:             {c['BuildTime']}\n OS/Arch:           linux/amd64\n"
                f" Context:           default\n")
        else:
            out(render(fmt, {"Client": _client(), "Server": None}).replace("<no value>", "") + "\n")
    elif cmd == "inspect":
        out("[]\n")
    err(DOCKER_DOWN + "\n")
    return 1


def _version(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    fmt = values.get("format") or None
    data = {"Client": _client(), "Server": _server()}
    if fmt is not None:
        out(render(fmt, data) + "\n")
        return 0
    c, s = data["Client"], data["Server"]
    out(f"Client: Docker Engine - Community\n Version:           {c['Version']}\n"
        f" API version:       {c['ApiVersion']}\n Go version:        {c['GoVersion']}\n"
        f" Git commit:        {c['GitCommit']}\n Built:             {c['BuildTime']}\n"
        f" OS/Arch:           linux/amd64\n Context:           default\n\n"
        f"Server: Docker Engine - Community\n Engine:\n  Version:          {s['Version']}\n"
        f"  API version:      {s['ApiVersion']} (minimum version {s['MinAPIVersion']})\n"
        f"  Go version:       {s['GoVersion']}\n  Git commit:       {s['GitCommit']}\n"
        f"  Built:            {s['BuildTime']}\n  OS/Arch:          linux/amd64\n  Experimental:     false\n")
    return 0


def _info_cmd(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    fmt = values.get("format") or None
    info = _info(sd)
    if fmt is not None:
        out(render(fmt, info) + "\n")
        return 0
    out(f"Client: Docker Engine - Community\n Version:    {CLIENT_VERSION}\n Context:    default\n"
        f" Debug Mode: false\n\nServer:\n Containers: {info['Containers']}\n"
        f"  Running: {info['ContainersRunning']}\n"
        f"  Paused: 0\n  Stopped: 0\n Images: {info['Images']}\n Server Version: {CLIENT_VERSION}\n"
        f" Storage Driver: overlay2\n Cgroup Driver: systemd\n Cgroup Version: 2\n"
        f" Kernel Version: {info['KernelVersion']}\n Operating System: {info['OperatingSystem']}\n"
        f" OSType: linux\n Architecture: x86_64\n CPUs: {info['NCPU']}\n Total Memory: 15.6GiB\n"
        f" Name: {info['Name']}\n Docker Root Dir: /var/lib/docker\n")
    return 0


def _filter_value(raw: str) -> None:
    """opts.FilterOpt.Set: `key=value` only."""
    if "=" not in raw:
        raise ValueError("bad format of filter (expected name=value)")


def _filters(values: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for value in values.get("filter") or []:
        key, _, val = str(value).partition("=")
        found.append((key.strip().lower(), val))
    return found


def _ps(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    fmt, quiet = values.get("format") or None, bool(values.get("quiet"))
    filters = _filters(values)
    rows = []
    for c in _containers(sd):
        ok = True
        for key, val in filters:
            if key == "label":
                lk, eq, lv = val.partition("=")
                have = c["Labels"]
                ok = ok and lk in have and (not eq or have[lk] == lv)
            elif key == "name":
                ok = ok and val in c["Names"]
        if ok:
            rows.append(c)
    if quiet:
        out("".join(c["ID"] + "\n" for c in rows))
    elif fmt is not None:
        out("".join(render(fmt, c) + "\n" for c in rows))
    else:
        out("CONTAINER ID   IMAGE                  COMMAND                  CREATED       STATUS       "
            "PORTS                       NAMES\n")
        for c in rows:
            out(f"{c['ID']:<14} {c['Image']:<22} {c['Command'][:22] + '…':<24} {'2 minutes ago':<13} "
                f"{'Up 2 minutes':<12} {c['Ports']:<27} {c['Names']}\n")
    return 0


def _pull(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    ref = args[0]
    full = normalize_image(ref)
    last = ref.rsplit("/", 1)[-1]
    tag = full.rsplit(":", 1)[1] if "@" not in full else ""
    if ":" not in last and "@" not in ref:
        out("Using default tag: latest\n")
    repo_short = familiar_image(ref).split("@", 1)[0].rsplit(":", 1)[0] if ":" in last or "@" not in ref \
        else familiar_image(ref).split("@", 1)[0]
    if not known_image(ref):
        err(f"Error response from daemon: pull access denied for {repo_short}, repository does not exist or "
            "may require 'docker login'\n")
        return 1
    present = find_image(sd, ref)
    entry = add_image(sd, ref)
    if present is None:
        out(f"{tag or 'latest'}: Pulling from {repo_short}\n")
        layers = hashlib.sha256(full.encode()).hexdigest()
        pause(delays.delay("image_pull"))
        for k in range(3):
            out(f"{layers[k * 12:(k + 1) * 12]}: Pull complete\n")
        out(f"Digest: {entry['digest']}\nStatus: Downloaded newer image for {familiar_image(ref)}\n")
    else:
        out(f"{tag or 'latest'}: Pulling from {repo_short}\nDigest: {entry['digest']}\n"
            f"Status: Image is up to date for {familiar_image(ref)}\n")
    out(f"{full}\n")
    return 0


def _images(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    fmt, quiet = values.get("format") or None, bool(values.get("quiet"))
    store = _load(sd)
    rows = []
    for ref, e in sorted(store.items()):
        fam = familiar_image(ref)
        repo, _, tag = fam.rpartition(":") if "@" not in fam else (fam, "", "<none>")
        if args and args[0] not in (repo, f"{repo}:{tag}"):  # `docker images [REPOSITORY[:TAG]]`
            continue
        rows.append({"Repository": repo, "Tag": tag, "ID": str(e["id"]).removeprefix("sha256:")[:12],
                     "CreatedSince": _ago(float(e["created"])), "Size": _size(int(e["size"])),
                     "Digest": e.get("digest", "")})
    if quiet:
        out("".join(r["ID"] + "\n" for r in rows))
    elif fmt is not None:
        out("".join(render(fmt, r) + "\n" for r in rows))
    else:
        out(f"{'REPOSITORY':<40} {'TAG':<10} {'IMAGE ID':<14} {'CREATED':<14} SIZE\n")
        for r in rows:
            out(f"{r['Repository']:<40} {r['Tag']:<10} {r['ID']:<14} {r['CreatedSince']:<14} {r['Size']}\n")
    return 0


def _inspect_obj(e: dict[str, Any]) -> dict[str, Any]:
    fam = familiar_image(e["ref"])
    repo = fam.split("@", 1)[0].rsplit(":", 1)[0] if ":" in fam.rsplit("/", 1)[-1] else fam
    created = _dt.datetime.fromtimestamp(float(e["created"]), tz=_dt.timezone.utc)
    return {"Id": e["id"], "RepoTags": [fam], "RepoDigests": [f"{repo}@{e['digest']}"],
            "Created": created.strftime("%Y-%m-%dT%H:%M:%S.000000000Z"), "Size": e["size"],
            "Architecture": "amd64", "Os": "linux", "Config": {"Labels": None}}


def _image_inspect(sd: Path, values: dict[str, Any], refs: list[str]) -> int:
    fmt = values.get("format") or None
    found, missing = [], []
    for ref in refs:
        e = find_image(sd, ref)
        if e is None:
            missing.append(ref)
        else:
            found.append(_inspect_obj(e))
    if fmt is not None:
        out("".join(render(fmt, o) + "\n" for o in found))
    else:
        out(json.dumps(found, indent=4) + "\n")
    for ref in missing:
        err(f"Error response from daemon: No such image: {ref}\n")
    return 1 if missing else 0


def _rmi(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    code = 0
    for ref in args:
        gone = _remove_image(sd, ref)
        if gone is None:
            err(f"Error response from daemon: No such image: {ref}\n")
            code = 1
            continue
        out(f"Untagged: {familiar_image(gone['ref'])}\nDeleted: {gone['id']}\n")
    return code


# CLI
# --- the command line (docker/cli v28.2.2 on the shared cobra-like parser) ---------------------------

DockerRun = Callable[[Path, dict[str, Any], list[str]], int]
Run = tuple[str, DockerRun]  # (the command's canonical name, for `docker:down`; its handler)
ROOT_USE = "docker [OPTIONS] COMMAND [ARG...]"
GLOBAL_FLAGS = [
    Flag("config", help="Location of client config files"),
    Flag("context", short="c", help="Name of the context to use to connect to the daemon"),
    Flag("debug", "bool", short="D", help="Enable debug mode"),
    Flag("host", "array", short="H", help="Daemon socket to connect to"),
    Flag("log-level", default="info", short="l", help="Set the logging level"),
    Flag("tls", "bool", help="Use TLS; implied by --tlsverify"),
    Flag("tlscacert", help="Trust certs signed only by this CA"),
    Flag("tlscert", help="Path to TLS certificate file"),
    Flag("tlskey", help="Path to TLS key file"),
    Flag("tlsverify", "bool", help="Use TLS and verify the remote"),
    Flag("version", "bool", short="v", help="Print version information and quit"),
    Flag("help", "bool", short="h", help="Print usage"),
]


def _use_line(path: str, use: str) -> str:
    """cobra UseLine with docker's DisableFlagsInUseLine: the parent's path and the command's Use."""
    parent = path.rsplit(" ", 1)[0] if " " in path else ""
    return f"{parent} {use}".strip()


def _args_rule(use: str, lo: int, hi: int | None, group: bool = False) -> ArgsCheck:
    """docker/cli cli/required.go: NoArgs, RequiresMinArgs, RequiresMaxArgs, ExactArgs (exit 1)."""

    def check(path: str, args: list[str]) -> str | None:
        usage = _use_line(path, use)
        n = len(args)
        if hi == 0 and n:
            if group:
                return (f"docker: unknown command: {path} {args[0]}\n\nUsage:  {usage}\n\n"
                        f"Run '{path} --help' for more information")
            return (f"docker: '{path}' accepts no arguments\n\nUsage:  {usage}\n\n"
                    f"Run '{path} --help' for more information")
        if lo == hi and n != lo:
            return (f"docker: '{path}' requires {lo} argument{'s' if lo != 1 else ''}\n\nUsage:  {usage}\n\n"
                    f"Run '{path} --help' for more information")
        if n < lo:
            return (f"docker: '{path}' requires at least {lo} argument{'s' if lo != 1 else ''}\n\n"
                    f"Usage:  {usage}\n\nSee '{path} --help' for more information")
        if hi is not None and n > hi:
            return (f"docker: '{path}' requires at most {hi} argument{'s' if hi != 1 else ''}\n\n"
                    f"Usage:  {usage}\n\nSRun '{path} --help' for more information")  # sic, v28.2.2
        return None

    return check


def _cmd(name: str, use: str, short: str, run: Run, flags: list[Flag], lo: int = 0, hi: int | None = 0,
         aliases: tuple[str, ...] = ()) -> Command[Run]:
    return Command(name, short, use=use, flags=flags, run=run, args=_args_rule(use, lo, hi), aliases=aliases)


def _show_help(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    raise _HelpOnStderr


class _HelpOnStderr(Exception):
    """command.ShowHelp(dockerCli.Err()): a management command alone prints its help on stderr, exit 0."""


def _filter() -> Flag:
    return Flag("filter", "array", short="f", help="Filter output based on conditions provided",
                check=_filter_value)


def _format(help_text: str = "Format output using a custom template") -> Flag:
    return Flag("format", short="f", help=help_text)


def build() -> Command[Run]:
    """The commands of docker/cli v28.2.2 the playground serves (cli/command/{container,image,system})."""

    def ps(name: str, use: str, aliases: tuple[str, ...] = ()) -> Command[Run]:
        return _cmd(name, use, "List containers", ("ps", _ps), [
            Flag("quiet", "bool", short="q"), Flag("size", "bool", short="s"), Flag("all", "bool", short="a"),
            Flag("no-trunc", "bool"), Flag("latest", "bool", short="l"), Flag("last", "int", -1, "n"),
            Flag("format"), _filter()], aliases=aliases)

    def images(name: str, use: str, aliases: tuple[str, ...] = ()) -> Command[Run]:
        return _cmd(name, use, "List images", ("images", _images), [
            Flag("quiet", "bool", short="q"), Flag("all", "bool", short="a"), Flag("no-trunc", "bool"),
            Flag("digests", "bool"), Flag("format"), _filter(), Flag("tree", "bool")], hi=1, aliases=aliases)

    def pull(name: str) -> Command[Run]:
        return _cmd(name, "pull [OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry",
                    ("pull", _pull), [Flag("all-tags", "bool", short="a"), Flag("quiet", "bool", short="q"),
                                      Flag("platform"), Flag("disable-content-trust", "bool", True)], 1, 1)

    def rmi(name: str, use: str, aliases: tuple[str, ...] = ()) -> Command[Run]:
        return _cmd(name, use, "Remove one or more images", ("rmi", _rmi), [
            Flag("force", "bool", short="f"), Flag("no-prune", "bool"), Flag("platform", "list")], 1, None,
            aliases=aliases)

    def info(name: str) -> Command[Run]:
        return _cmd(name, "info [OPTIONS]", "Display system-wide information", ("info", _info_cmd),
                    [_format()])

    def group(name: str, short: str, *subs: Command[Run]) -> Command[Run]:
        return Command(name, short, use=name, subs=list(subs), run=("", _show_help),
                       args=_args_rule(name, 0, 0, group=True))

    image = group(
        "image", "Manage images",
        _cmd("inspect", "inspect [OPTIONS] IMAGE [IMAGE...]",
             "Display detailed information on one or more images", ("inspect", _image_inspect),
             [_format(), Flag("platform")], 1, None),
        images("ls", "ls [OPTIONS] [REPOSITORY[:TAG]]", ("list",)), pull("pull"),
        rmi("rm", "rm [OPTIONS] IMAGE [IMAGE...]", ("rmi", "remove")))
    return Command("docker", "A self-sufficient runtime for containers", use=ROOT_USE, args=ARBITRARY,
                   run=("", _unknown_command), subs=[
        _cmd("version", "version [OPTIONS]", "Show the Docker version information", ("version", _version),
             [_format()]),
        info("info"), ps("ps", "ps [OPTIONS]"), pull("pull"),
        images("images", "images [OPTIONS] [REPOSITORY[:TAG]]"),
        rmi("rmi", "rmi [OPTIONS] IMAGE [IMAGE...]"),
        _cmd("inspect", "inspect [OPTIONS] NAME|ID [NAME|ID...]",
             "Return low-level information on Docker objects", ("inspect", _image_inspect),
             [_format(), Flag("type"), Flag("size", "bool", short="s")], 1, None),
        image, group("container", "Manage containers", ps("ls", "ls [OPTIONS]", ("ps", "list"))),
        group("system", "Manage Docker", info("info"))])


def _unknown_command(sd: Path, values: dict[str, Any], args: list[str]) -> int:
    if not args:
        raise _HelpOnStderr
    err(f"docker: unknown command: docker {args[0]}\n\nRun 'docker --help' for more information\n")
    return 1


def _flag_error(exc: UsageError, path: str, use: str) -> int:
    """cli.FlagErrorFunc: the pflag error, the usage line, a hint; exit 125 (a StatusError)."""
    err(f"{exc.message}\n\nUsage:  {_use_line(path, use)}\n\nRun '{path} --help' for more information\n")
    return 125


def _usage(chain: list[Command[Run]]) -> str:
    cmd = chain[-1]
    path = " ".join(c.name for c in chain)
    return f"Usage:  {_use_line(path, cmd.use or cmd.name)}\n\n{cmd.short}\n"


def main(argv: list[str]) -> int:
    try:
        top, _, rest = parse_flags(GLOBAL_FLAGS, argv, interspersed=False)
    except UsageError as exc:
        return _flag_error(exc, "docker", ROOT_USE)
    if top["version"]:
        out(f"Docker version {CLIENT_VERSION}, build {GIT_COMMIT}\n")
        return 0
    if rest[:1] == ["exec"] or rest[:2] == ["container", "exec"]:  # flags end at CONTAINER
        from liqo_tutor.sim.tools import docker_exec

        return docker_exec.main(rest)
    root = build()
    if top["help"]:
        out(_usage([root]))
        return 0
    try:
        inv = resolve(root, rest)
        if inv.help:
            out(_usage(inv.chain))
            return 0
        assert inv.command.run is not None
        name, handler = inv.command.run
        if name and faults.docker_down():
            return _down(name, inv.values.get("format") or None)
        return handler(simdir(), inv.values, inv.args)
    except UsageError as exc:
        if exc.flag_error:
            cmd = exc.chain[-1]
            return _flag_error(exc, " ".join(c.name for c in exc.chain), cmd.use or cmd.name)
        err(exc.message + "\n")
        return 1
    except _HelpOnStderr:
        err(_usage(inv.chain))
        return 0
    except ValueError as exc:
        err(f"{exc}\n")
        return 1

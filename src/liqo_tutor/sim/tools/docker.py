"""Simulated docker CLI 28.2.2: a running engine (or none, under `docker:down`) and a host image store."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

from liqo_tutor.sim import delays, faults
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
    "add_image",
    "find_image",
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


def add_image(sd: Path, ref: str) -> dict[str, Any]:
    full = normalize_image(ref)
    h = hashlib.sha256(full.encode()).hexdigest()
    with file_lock(sd / f"{STORE}.lock"):
        store = _load(sd)
        entry = store.get(full) or {
            "id": _digest("image/" + full),
            "digest": _digest("manifest/" + full),
            "created": time.time() - 86400 * (3 + int(h[:2], 16) % 60),
            "size": 5_000_000 + int(h[2:8], 16) % 400_000_000,
        }
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


def _pop_format(args: list[str], short: bool = True) -> tuple[str | None, list[str]]:
    fmt: str | None = None
    rest: list[str] = []
    it = iter(range(len(args)))
    for i in it:
        a = args[i]
        if a == "--format" or (short and a == "-f"):
            if i + 1 >= len(args):
                raise _Usage(f"flag needs an argument: {a}")
            fmt = args[i + 1]
            next(it, None)
        elif a.startswith("--format="):
            fmt = a.split("=", 1)[1]
        else:
            rest.append(a)
    return fmt, rest


class _Usage(Exception):
    pass


def _down(cmd: str, args: list[str]) -> int:
    """Docker CLI 28 with no engine (reference §3): what reaches stdout before the error, exit 1."""
    fmt, _ = _pop_format(args) if cmd in ("info", "version", "inspect", "ps", "images") else (None, args)
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
    elif cmd in ("inspect", "image") and (cmd == "inspect" or args[:1] == ["inspect"]):
        out("[]\n")
    err(DOCKER_DOWN + "\n")
    return 1


def _version(sd: Path, args: list[str]) -> int:
    fmt, _ = _pop_format(args)
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


def _info_cmd(sd: Path, args: list[str]) -> int:
    fmt, rest = _pop_format(args)
    if rest:
        err("docker: 'docker info' accepts no arguments\n\nUsage:  docker info [OPTIONS]\n\n"
            "Display system-wide information\n")
        return 1
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


def _ps(sd: Path, args: list[str]) -> int:
    fmt, rest = _pop_format(args, short=False)
    filters: list[tuple[str, str]] = []
    quiet = False
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in ("--filter", "-f") or a.startswith("--filter="):
            if a.startswith("--filter="):
                value = a.split("=", 1)[1]
            else:
                value = rest[i + 1] if i + 1 < len(rest) else ""
                i += 1
            key, _, val = value.partition("=")
            filters.append((key, val))
        elif a in ("-q", "--quiet"):
            quiet = True
        elif a in ("-a", "--all", "--no-trunc"):
            pass
        elif a.startswith("-"):
            raise _Usage(f"unknown flag: {a}")
        else:
            raise _Usage('"docker ps" accepts no arguments.')
        i += 1
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


def _pull(sd: Path, args: list[str]) -> int:
    refs = [a for a in args if not a.startswith("-")]
    if len(refs) != 1:
        err('"docker pull" requires exactly 1 argument.\nSee \'docker pull --help\'.\n\n'
            "Usage:  docker pull [OPTIONS] NAME[:TAG|@DIGEST]\n\nDownload an image from a registry\n")
        return 1
    ref = refs[0]
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


def _images(sd: Path, args: list[str]) -> int:
    fmt, rest = _pop_format(args)
    quiet = any(a in ("-q", "--quiet") for a in rest)
    store = _load(sd)
    rows = []
    for ref, e in sorted(store.items()):
        fam = familiar_image(ref)
        repo, _, tag = fam.rpartition(":") if "@" not in fam else (fam, "", "<none>")
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


def _image_inspect(sd: Path, args: list[str]) -> int:
    fmt, refs = _pop_format(args)
    refs = [r for r in refs if not r.startswith("-")]
    if not refs:
        err('"docker image inspect" requires at least 1 argument.\n')
        return 1
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


def _rmi(sd: Path, args: list[str]) -> int:
    code = 0
    for ref in [a for a in args if not a.startswith("-")]:
        gone = _remove_image(sd, ref)
        if gone is None:
            err(f"Error response from daemon: No such image: {ref}\n")
            code = 1
            continue
        out(f"Untagged: {familiar_image(gone['ref'])}\nDeleted: {gone['id']}\n")
    return code


_COMMANDS = ("version", "info", "ps", "pull", "images", "image", "inspect", "rmi", "container", "system")


def main(argv: list[str]) -> int:
    args = list(argv)
    if args[:1] in (["--version"], ["-v"]):
        out(f"Docker version {CLIENT_VERSION}, build {GIT_COMMIT}\n")
        return 0
    while args and args[0] in ("-D", "--debug", "-l", "--log-level", "--context", "-c", "-H", "--host"):
        args = args[2:] if args[0] in ("-l", "--log-level", "--context", "-c", "-H", "--host") else args[1:]
    if not args or args[0] in ("-h", "--help", "help"):
        out("Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n")
        return 0
    cmd, rest = args[0], args[1:]
    if cmd == "system" and rest[:1] == ["info"]:
        cmd, rest = "info", rest[1:]
    if cmd == "container" and rest[:1] in (["ls"], ["list"], ["ps"]):
        cmd, rest = "ps", rest[1:]
    if cmd == "image" and rest[:1] in (["ls"], ["list"]):
        cmd, rest = "images", rest[1:]
    if cmd == "image" and rest[:1] in (["rm"], ["remove"]):
        cmd, rest = "rmi", rest[1:]
    if cmd == "image" and rest[:1] == ["pull"]:
        cmd, rest = "pull", rest[1:]
    if cmd not in _COMMANDS:
        err(f"docker: unknown command: docker {cmd}\n\nRun 'docker --help' for more information\n")
        return 1
    try:
        if faults.docker_down():
            return _down(cmd, rest)
        sd = simdir()
        if cmd == "version":
            return _version(sd, rest)
        if cmd == "info":
            return _info_cmd(sd, rest)
        if cmd == "ps":
            return _ps(sd, rest)
        if cmd == "pull":
            return _pull(sd, rest)
        if cmd == "images":
            return _images(sd, rest)
        if cmd == "rmi":
            return _rmi(sd, rest)
        if cmd == "inspect" or (cmd == "image" and rest[:1] == ["inspect"]):
            return _image_inspect(sd, rest[1:] if cmd == "image" else rest)
        err(f"docker: unknown command: docker {' '.join(args[:2])}\n\n"
            "Run 'docker --help' for more information\n")
        return 1
    except _Usage as exc:
        err(f"{exc}\nSee 'docker {cmd} --help'.\n")
        return 1
    except ValueError as exc:
        err(f"{exc}\n")
        return 1

"""Simulated kind v0.29.0: clusters live in the playground daemon, kubeconfigs are written like kind does."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from liqo_tutor.sim import delays, faults
from liqo_tutor.sim.store import ClusterSpec
from liqo_tutor.sim.tools import docker
from liqo_tutor.sim.tools.common import (
    DOCKER_DOWN,
    err,
    format_duration,
    out,
    pause,
    read_json,
    simdir,
)

__all__ = ["DEFAULT_IMAGE", "KIND_VERSION", "main"]

KIND_VERSION = "0.29.0"
GO_VERSION = "go1.24.2"
DEFAULT_IMAGE = "kindest/node:v1.33.1"
DEFAULT_POD_SUBNET = "10.244.0.0/16"
DEFAULT_SERVICE_SUBNET = "10.96.0.0/16"
NAME_RE = re.compile(r"^[a-z0-9.-]+$")
SALUTATIONS = (
    "Have a nice day! 👋",
    "Thanks for using kind! 😊",
    "Not sure what to do next? 😅  Check out https://kind.sigs.k8s.io/docs/user/quick-start/",
    "Have a question, bug, or feature request? Let us know! https://kind.sigs.k8s.io/#community 🙂",
)


class KindError(Exception):
    """Printed as `ERROR: <message>` (plus `\\nCommand Output: ...` when a command failed), exit 1."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.output = output


# --- output ----------------------------------------------------------------------------------

class Log:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, line: str) -> None:
        if not self.quiet:
            err(line + "\n")


def _go_list(items: list[str]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(f'"{i}"' for i in items) + "]"


def _docker_failed(cmd: str, output: str) -> KindError:
    return KindError(f'command "{cmd}" failed with error: exit status 1', output)


def _ps_cmd(name: str | None) -> str:
    if name is None:
        return ("docker ps -a --filter label=io.x-k8s.kind.cluster "
                "--format '{{.Label \"io.x-k8s.kind.cluster\"}}'")
    return f"docker ps -a --filter label=io.x-k8s.kind.cluster={name} --format '{{{{.Names}}}}'"


# --- the playground -------------------------------------------------------------------------------

def _state_clusters(sd: Path) -> list[str]:
    state = read_json(sd / "state.json", {})
    clusters = state.get("clusters") if isinstance(state, dict) else None
    return sorted(clusters) if isinstance(clusters, dict) else []


def _control(sd: Path, *, start: bool) -> Any:
    """The daemon's control client; a persisted playground is brought back up, an empty one is not."""
    from liqo_tutor.sim import client

    found = client.connect(sd)
    if found is not None or not (start or _state_clusters(sd)):
        return found
    return client.ensure_daemon(sd)


def wake(sd: Path) -> None:
    """Bring a persisted playground's server back up (no-op when it runs or has no cluster)."""
    _control(sd, start=False)


def _clusters(sd: Path) -> dict[str, dict[str, Any]]:
    control = _control(sd, start=False)
    if control is None:
        return {}
    return {c["name"]: c for c in control.clusters()}


# --- kubeconfig ----------------------------------------------------------------------------------

def _kubeconfig_targets(explicit: str | None, *, for_write: bool) -> list[Path]:
    if explicit:
        return [Path(explicit)]
    env = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if env:
        if not for_write:
            return [Path(p) for p in env]
        existing = [p for p in env if Path(p).exists()]
        return [Path(existing[0] if existing else env[-1])]
    return [Path.home() / ".kube" / "config"]


class _FileLock:
    """client-go's convention: an exclusive `PATH.lock` file while the kubeconfig is rewritten."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")

    def __enter__(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                return
            except FileExistsError:
                if time.monotonic() > deadline:
                    self.path.unlink(missing_ok=True)  # a stale lock of a killed process
                time.sleep(0.02)

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _read_kubeconfig(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise KindError(f"failed to load kubeconfig {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _write_kubeconfig(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _kubeconfig(name: str, server: str, token: str) -> dict[str, Any]:
    ctx = f"kind-{name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": ctx, "cluster": {"server": server}}],
        "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": ctx}}],
        "current-context": ctx,
        "preferences": {},
        "users": [{"name": ctx, "user": {"token": token}}],
    }


def _upsert(entries: Any, entry: dict[str, Any]) -> list[Any]:
    items = [e for e in (entries or []) if isinstance(e, dict)]
    for idx, e in enumerate(items):
        if e.get("name") == entry["name"]:
            items[idx] = entry
            return items
    return [*items, entry]


def _merge_kubeconfig(path: Path, fresh: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    with _FileLock(path):
        data = _read_kubeconfig(path)
        data.setdefault("apiVersion", "v1")
        data.setdefault("kind", "Config")
        data.setdefault("preferences", {})
        for key in ("clusters", "contexts", "users"):
            data[key] = _upsert(data.get(key), fresh[key][0])
        data["current-context"] = fresh["current-context"]
        _write_kubeconfig(path, data)


def _remove_from_kubeconfig(path: Path, name: str) -> None:
    if not path.exists():
        return
    ctx = f"kind-{name}"
    with _FileLock(path):
        data = _read_kubeconfig(path)
        if not data:
            return
        changed = False
        for key in ("clusters", "contexts", "users"):
            kept = [e for e in data.get(key) or [] if not (isinstance(e, dict) and e.get("name") == ctx)]
            if len(kept) != len(data.get(key) or []):
                changed = True
            if kept:
                data[key] = kept
            else:
                data.pop(key, None)
        if data.get("current-context") == ctx:
            data.pop("current-context")
            changed = True
        if changed:
            _write_kubeconfig(path, data)


def _server_of(info: dict[str, Any], internal: bool) -> str:
    if internal:
        return f"http://{info['name']}-control-plane:6443"
    return f"http://127.0.0.1:{info['port']}"


# --- config ------------------------------------------------------------------------------------------

_TYPES: dict[str, dict[str, str]] = {
    "Cluster": {
        "kind": "str", "apiVersion": "str", "name": "str", "nodes": "[]Node", "networking": "Networking",
        "featureGates": "map", "runtimeConfig": "map", "kubeadmConfigPatches": "[]str",
        "kubeadmConfigPatchesJSON6902": "list", "containerdConfigPatches": "[]str",
        "containerdConfigPatchesJSON6902": "[]str",
    },
    "Node": {
        "role": "str", "image": "str", "labels": "map", "extraMounts": "[]Mount",
        "extraPortMappings": "[]PortMapping", "kubeadmConfigPatches": "[]str",
        "kubeadmConfigPatchesJSON6902": "list",
    },
    "Networking": {
        "ipFamily": "str", "apiServerPort": "int", "apiServerAddress": "str", "podSubnet": "str",
        "serviceSubnet": "str", "disableDefaultCNI": "bool", "kubeProxyMode": "str", "dnsSearch": "[]str",
    },
    "Mount": {"containerPath": "str", "hostPath": "str", "readOnly": "bool", "selinuxRelabel": "bool",
              "propagation": "str"},
    "PortMapping": {"containerPort": "int", "hostPort": "int", "listenAddress": "str", "protocol": "str"},
}


def _strict_errors(node: yaml.Node, type_name: str, errors: list[str]) -> None:
    """Go's strict YAML decoding: `line N: field X not found in type v1alpha4.T` per unknown field."""
    fields = _TYPES.get(type_name)
    if fields is None:
        return
    if not isinstance(node, yaml.MappingNode):
        if not (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            tag = node.tag.rsplit(":", 1)[-1]
            line = node.start_mark.line + 1
            errors.append(f"line {line}: cannot unmarshal !!{tag} into v1alpha4.{type_name}")
        return
    for key, value in node.value:
        fname = str(key.value)
        ftype = fields.get(fname)
        if ftype is None:
            line = key.start_mark.line + 1
            errors.append(f"line {line}: field {fname} not found in type v1alpha4.{type_name}")
            continue
        if ftype.startswith("[]") and ftype[2:] in _TYPES:
            if isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    _strict_errors(item, ftype[2:], errors)
        elif ftype in _TYPES:
            _strict_errors(value, ftype, errors)


@dataclass
class Config:
    name: str = ""
    pod_subnet: str = DEFAULT_POD_SUBNET
    service_subnet: str = DEFAULT_SERVICE_SUBNET
    api_port: int = 0
    disable_cni: bool = False
    nodes: list[tuple[str, str]] = field(default_factory=list)  # (role, image)


def _load_config(path: str | None) -> Config:
    if path is None:
        return Config(nodes=[("control-plane", "")])
    if path == "-":
        raw = sys.stdin.read()
    else:
        try:
            raw = Path(path).read_text()
        except FileNotFoundError:
            raise KindError(f"error reading file: open {path}: no such file or directory") from None
        except IsADirectoryError:
            raise KindError(f"error reading file: read {path}: is a directory") from None
    try:
        node = yaml.compose(raw)
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise KindError(f"unable to decode config: yaml: {where}{getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KindError("unable to decode config: yaml: unmarshal errors:\n  line 1: cannot unmarshal into "
                        "v1alpha4.Cluster")
    kind, api = data.get("kind", ""), data.get("apiVersion", "")
    if api != "kind.x-k8s.io/v1alpha4":
        raise KindError(f"unknown apiVersion: {api}")
    if kind != "Cluster":
        raise KindError(f"unknown kind {kind} for apiVersion: {api}")
    errors: list[str] = []
    if node is not None:
        _strict_errors(node, "Cluster", errors)
    if errors:
        raise KindError("unable to decode config: yaml: unmarshal errors:\n  " + "\n  ".join(errors))
    net = data.get("networking") or {}
    cfg = Config(name=str(data.get("name") or ""))
    cfg.pod_subnet = str(net.get("podSubnet") or DEFAULT_POD_SUBNET)
    cfg.service_subnet = str(net.get("serviceSubnet") or DEFAULT_SERVICE_SUBNET)
    cfg.disable_cni = bool(net.get("disableDefaultCNI", False))
    try:
        cfg.api_port = int(net.get("apiServerPort") or 0)
    except (TypeError, ValueError):
        raise KindError("unable to decode config: yaml: unmarshal errors:\n  cannot unmarshal "
                        "apiServerPort into int32") from None
    problems = []
    for label, value in (("pod subnet", cfg.pod_subnet), ("service subnet", cfg.service_subnet)):
        for part in value.split(","):
            try:
                ipaddress.ip_network(part.strip(), strict=False)
                if "/" not in part:
                    raise ValueError(part)
            except ValueError:
                problems.append(f"invalid {label} invalid CIDR address: {part.strip()}")
    nodes = data.get("nodes") or [{"role": "control-plane"}]
    for n in nodes:
        role = str((n or {}).get("role") or "control-plane")
        if role not in ("control-plane", "worker"):
            problems.append(f"invalid role: {role}")
        cfg.nodes.append((role, str((n or {}).get("image") or "")))
    if not any(r == "control-plane" for r, _ in cfg.nodes):
        problems.append("must have at least one control-plane node")
    if not 0 <= cfg.api_port <= 65535:
        problems.append(f"invalid apiServerPort: {cfg.api_port}")
    if problems:
        raise KindError(problems[0] if len(problems) == 1 else
                        "[" + ", ".join(problems) + "]")
    return cfg


def _node_names(name: str, roles: list[str]) -> list[str]:
    names, counts = [], {"control-plane": 0, "worker": 0}
    for role in roles:
        counts[role] += 1
        names.append(f"{name}-{role}" + (str(counts[role]) if counts[role] > 1 else ""))
    return names


def _k8s_version(image: str) -> str:
    m = re.search(r":(v\d+\.\d+\.\d+)", image)
    return m.group(1) if m else "v" + DEFAULT_IMAGE.rsplit(":v", 1)[1]


# --- argument parsing (cobra-like) ----------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    name: str
    short: str = ""
    kind: str = "str"  # str | bool | int | duration
    default: Any = None
    help: str = ""


@dataclass
class Cmd:
    name: str
    short: str
    flags: tuple[Flag, ...] = ()
    children: dict[str, Cmd] = field(default_factory=dict)
    run: Callable[[dict[str, Any], list[str], Log], int] | None = None
    args: tuple[int, int] = (0, 0)


GLOBAL_FLAGS = (
    Flag("verbosity", "v", "int", 0, "info log verbosity, higher value produces more output"),
    Flag("quiet", "q", "bool", False, "silence all stderr output"),
    Flag("help", "h", "bool", False, "help for this command"),
)


def _parse_value(flag: Flag, raw: str) -> Any:
    try:
        if flag.kind == "bool":
            low = raw.lower()
            if low in ("1", "t", "true"):
                return True
            if low in ("0", "f", "false"):
                return False
            raise ValueError(f'strconv.ParseBool: parsing "{raw}": invalid syntax')
        if flag.kind == "int":
            try:
                return int(raw)
            except ValueError:
                raise ValueError(f'strconv.ParseInt: parsing "{raw}": invalid syntax') from None
        if flag.kind == "duration":
            from liqo_tutor.sim.tools.common import parse_duration

            return parse_duration(raw)
    except ValueError as exc:
        raise KindError(f'invalid argument "{raw}" for "{_flag_label(flag)}" flag: {exc}') from None
    return raw


def _flag_label(flag: Flag) -> str:
    return f"-{flag.short}, --{flag.name}" if flag.short else f"--{flag.name}"


def parse(root: Cmd, argv: list[str]) -> tuple[list[Cmd], dict[str, Any], list[str]]:
    chain = [root]
    values: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        cmd = chain[-1]
        flags = {f.name: f for f in (*GLOBAL_FLAGS, *cmd.flags)}
        shorts = {f.short: f for f in flags.values() if f.short}
        if a == "--":
            positional.extend(argv[i + 1:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, raw = a[2:].partition("=")
            flag = flags.get(name)
            if flag is None:
                raise KindError(f"unknown flag: --{name}")
            if flag.kind == "bool" and not eq:
                values[name] = True
            else:
                if not eq:
                    if i + 1 >= len(argv):
                        raise KindError(f"flag needs an argument: --{name}")
                    i += 1
                    raw = argv[i]
                values[name] = _parse_value(flag, raw)
        elif a.startswith("-") and len(a) > 1:
            letters = a[1:]
            j = 0
            while j < len(letters):
                ch = letters[j]
                flag = shorts.get(ch)
                if flag is None:
                    raise KindError(f"unknown shorthand flag: '{ch}' in {a}")
                rest = letters[j + 1:]
                if flag.kind == "bool":
                    if rest.startswith("="):
                        values[flag.name] = _parse_value(flag, rest[1:])
                        break
                    values[flag.name] = True
                    j += 1
                    continue
                if rest:
                    values[flag.name] = _parse_value(flag, rest.removeprefix("="))
                elif i + 1 < len(argv):
                    i += 1
                    values[flag.name] = _parse_value(flag, argv[i])
                else:
                    raise KindError(f"flag needs an argument: '{ch}' in -{ch}")
                break
        elif cmd.children and not positional and a in cmd.children:
            chain.append(cmd.children[a])
        else:
            positional.append(a)
        i += 1
    return chain, values, positional


def _help(chain: list[Cmd]) -> str:
    cmd = chain[-1]
    path = " ".join(c.name for c in chain)
    lines = [cmd.short, "", "Usage:"]
    if cmd.children:
        lines.append(f"  {path} [command]")
    else:
        lines.append(f"  {path} [flags]")
    if cmd.children:
        lines += ["", "Available Commands:"]
        lines += [f"  {n:<12} {c.short}" for n, c in sorted(cmd.children.items())]
    lines += ["", "Flags:"]
    for f in (*cmd.flags, GLOBAL_FLAGS[2]):
        label = f"  -{f.short}, --{f.name}" if f.short else f"      --{f.name}"
        lines.append(f"{label:<30} {f.help}")
    lines += ["", "Global Flags:"]
    for f in GLOBAL_FLAGS[:2]:
        lines.append(f"  -{f.short}, --{f.name:<22} {f.help}")
    if cmd.children:
        lines += ["", f'Use "{path} [command] --help" for more information about a command.']
    return "\n".join(lines) + "\n"


# --- commands ------------------------------------------------------------------------------------

def _cluster_name(values: dict[str, Any], config_name: str = "") -> str:
    return str(values.get("name") or os.environ.get("KIND_CLUSTER_NAME") or config_name or "kind")


def _exists(name: str) -> str:
    return f'failed to create cluster: node(s) already exist for a cluster with the name "{name}"'


def _token(info: dict[str, Any]) -> str:
    return str((info.get("kind") or {}).get("token", ""))


def _check_docker(what: str) -> None:
    if faults.docker_down():
        raise KindError(f"{what}: failed to get docker info: command "
                        "\"docker info --format '{{json .}}'\" failed with error: exit status 1",
                        docker.zero_info_json() + "\n" + DOCKER_DOWN)


def cmd_create_cluster(values: dict[str, Any], args: list[str], log: Log) -> int:
    _check_docker("failed to create cluster")
    sd = simdir()
    try:
        cfg = _load_config(values.get("config"))
    except KindError as exc:
        raise KindError(f"failed to create cluster: {exc.message}", exc.output) from None
    name = _cluster_name(values, cfg.name)
    if not NAME_RE.match(name):
        raise KindError(f"failed to create cluster: '{name}' is not a valid cluster name, cluster names must "
                        "match `^[a-z0-9.-]+$`")
    if name in _clusters(sd):
        raise KindError(_exists(name))
    if len(name) > 50:
        log(f'WARNING: cluster name "{name}" is probably too long, this might not work properly on some '
            "systems")
    override = values.get("image")
    images = [str(override or img or DEFAULT_IMAGE) for _, img in cfg.nodes]
    roles = [r for r, _ in cfg.nodes]
    nodes = _node_names(name, roles)
    step_delay = delays.delay("kind_create_step")
    create_began = time.time()
    log(f'Creating cluster "{name}" ...')
    current = ""

    def start(text: str) -> None:
        nonlocal current
        current = text
        log(f" • {text}  ...")

    def done(ok: bool = True) -> None:
        log(f" {'✓' if ok else '✗'} {current}")

    for image in dict.fromkeys(img.split("@", 1)[0] for img in images):
        start(f"Ensuring node image ({image}) 🖼")
        if docker.find_image(sd, image) is None:
            if not docker.known_image(image):
                done(False)
                repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
                raise KindError(
                    f'failed to create cluster: failed to pull image "{image}": '
                    f'command "docker pull {image}" failed with error: exit status 1',
                    f"Error response from daemon: pull access denied for {repo}, repository does not exist "
                    "or may require 'docker login'")
            pause(delays.delay("image_pull"))
            docker.add_image(sd, image)
        else:
            pause(step_delay)
        done()
    cp_count = roles.count("control-plane")
    start("Preparing nodes " + "📦 " * len(nodes))
    pause(step_delay)
    from liqo_tutor.sim import client

    spec = ClusterSpec(
        name=name, k8s_version=_k8s_version(images[roles.index("control-plane")]),
        service_subnet=cfg.service_subnet, pod_subnet=cfg.pod_subnet,
        nodes=tuple(zip(nodes, roles, strict=True)), api_port=cfg.api_port,
        image=images[roles.index("control-plane")],
    )
    token = secrets.token_hex(16)
    try:
        control = client.ensure_daemon(sd)
        info = control.create_cluster(spec, kind={"token": token, "created": time.time()})
    except client.ControlError as exc:
        done(False)
        if exc.code == 409 and exc.reason == "AlreadyExists":
            raise KindError(_exists(name)) from None
        cmd = (f"docker run --name {nodes[0]} --hostname {nodes[0]} --label io.x-k8s.kind.role=control-plane "
               f"--privileged --detach --tty --label io.x-k8s.kind.cluster={name} --net kind "
               "--restart=on-failure:1 "
               f"--publish=127.0.0.1:{cfg.api_port}:6443/TCP {images[0]}")
        raise KindError(f'failed to create cluster: command "{cmd}" failed with error: exit status 125',
                        f"docker: Error response from daemon: {exc.message}.") from None
    except client.DaemonError as exc:
        done(False)
        raise KindError(f"failed to create cluster: {exc}") from None
    done()
    steps = []
    if cp_count > 1:
        steps.append("Configuring the external load balancer ⚖️")
    steps += ["Writing configuration 📜", "Starting control-plane 🕹️"]
    if not cfg.disable_cni:
        steps.append("Installing CNI 🔌")
    steps.append("Installing StorageClass 💾")
    if cp_count > 1:
        steps.append("Joining more control-plane nodes 🎮")
    if len(nodes) > cp_count:
        steps.append("Joining worker nodes 🚜")
    for text in steps:
        start(text)
        pause(step_delay)
        done()
    wait = float(values.get("wait") or 0.0)
    if wait > 0:
        start(f"Waiting ≤ {format_duration(wait)} for control-plane = Ready ⏳")
        began = time.monotonic()
        ready = False
        while True:
            found = control.cluster(name)
            cps = [n for n in (found or {}).get("nodes", []) if n["role"] == "control-plane"]
            if cps and all(n["ready"] for n in cps):
                ready = True
                break
            if time.monotonic() - began >= wait:
                break
            time.sleep(0.05)
        done(ready)
        if ready:
            log(f" • Ready after {format_duration(time.monotonic() - began)} 💚")
        else:
            log(" • WARNING: Timed out waiting for Ready ⚠️")
    explicit = values.get("kubeconfig")
    target = _kubeconfig_targets(explicit, for_write=True)[0]
    _merge_kubeconfig(target, _kubeconfig(name, _server_of(info, False), token))
    log(f'Set kubectl context to "kind-{name}"')
    log("You can now use your cluster with:")
    log("")
    sample = f"kubectl cluster-info --context kind-{name}"
    if explicit:
        sample += f" --kubeconfig {shlex.quote(str(explicit))}"
    log(sample)
    log("")
    log(SALUTATIONS[sum(name.encode()) % len(SALUTATIONS)])
    delays.trace("kind_create", name, create_began, time.time() - create_began)
    return 0


def _delete_one(sd: Path, name: str, explicit: str | None, log: Log, clusters: dict[str, Any]) -> bool:
    for path in _kubeconfig_targets(explicit, for_write=False):
        _remove_from_kubeconfig(path, name)
    if name not in clusters:
        return False
    pause(delays.delay("kind_delete"))
    control = _control(sd, start=True)
    result = control.delete_cluster(name) if control is not None else {"nodes": []}
    nodes = list(result.get("nodes") or [n["name"] for n in clusters[name].get("nodes", [])])
    log(f"Deleted nodes: {_go_list(nodes)}")
    return True


def cmd_delete_cluster(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = _cluster_name(values)
    log(f'Deleting cluster "{name}" ...')
    if faults.docker_down():
        raise KindError(f'failed to delete cluster "{name}": error listing nodes: failed to list nodes: '
                        f"{_docker_failed(_ps_cmd(name), '').message}", DOCKER_DOWN)
    sd = simdir()
    _delete_one(sd, name, values.get("kubeconfig"), log, _clusters(sd))
    return 0


def cmd_delete_clusters(values: dict[str, Any], args: list[str], log: Log) -> int:
    if faults.docker_down():
        raise KindError(f"failed to list clusters: {_docker_failed(_ps_cmd(None), '').message}", DOCKER_DOWN)
    sd = simdir()
    clusters = _clusters(sd)
    if values.get("all"):
        names = sorted(clusters)
    elif args:
        names = list(args)
    else:
        raise KindError("no cluster names provided")
    deleted = []
    for name in names:
        if _delete_one(sd, name, values.get("kubeconfig"), log, clusters):
            deleted.append(name)
    log(f"Deleted clusters: {_go_list(deleted)}")
    return 0


def cmd_get_clusters(values: dict[str, Any], args: list[str], log: Log) -> int:
    if faults.docker_down():
        raise KindError(f"failed to list clusters: {_docker_failed(_ps_cmd(None), '').message}", DOCKER_DOWN)
    sd = simdir()
    control = _control(sd, start=False)
    names = sorted({c["name"] for c in control.clusters()}) if control is not None else _state_clusters(sd)
    if not names:
        log("No kind clusters found.")
        return 0
    out("".join(n + "\n" for n in names))
    return 0


def cmd_get_nodes(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = _cluster_name(values)
    if faults.docker_down():
        raise KindError(f"failed to list nodes: {_docker_failed(_ps_cmd(name), '').message}", DOCKER_DOWN)
    clusters = _clusters(simdir())
    wanted = sorted(clusters) if values.get("all-clusters") else [name]
    nodes = [n["name"] for c in wanted for n in clusters.get(c, {}).get("nodes", [])]
    if not nodes:
        log(f'No kind nodes found for cluster "{name}".')
        return 0
    out("".join(n + "\n" for n in nodes))
    return 0


def _locate(name: str) -> dict[str, Any]:
    if faults.docker_down():
        raise KindError(f"failed to list nodes: {_docker_failed(_ps_cmd(name), '').message}", DOCKER_DOWN)
    info = _clusters(simdir()).get(name)
    if info is None:
        raise KindError(f"could not locate any control plane nodes for cluster named '{name}'. "
                        "Use the --name option to select a different cluster")
    return info


def cmd_get_kubeconfig(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = _cluster_name(values)
    info = _locate(name)
    cfg = _kubeconfig(name, _server_of(info, bool(values.get("internal"))), _token(info))
    out(yaml.safe_dump(cfg, sort_keys=True, default_flow_style=False) + "\n")
    return 0


def cmd_export_kubeconfig(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = _cluster_name(values)
    info = _locate(name)
    cfg = _kubeconfig(name, _server_of(info, bool(values.get("internal"))), _token(info))
    _merge_kubeconfig(_kubeconfig_targets(values.get("kubeconfig"), for_write=True)[0], cfg)
    log(f'Set kubectl context to "kind-{name}"')
    return 0


def cmd_load_image(values: dict[str, Any], args: list[str], log: Log) -> int:
    name = _cluster_name(values)
    sd = simdir()
    down = faults.docker_down()
    entries = []
    for image in args:
        entry = None if down else docker.find_image(sd, image)
        if entry is None:
            raise KindError(f'image: "{image}" not present locally')
        entries.append((image, entry))
    info = _clusters(sd).get(name)
    if info is None:
        raise KindError(f'no nodes found for cluster "{name}"')
    only = {n for n in str(values.get("nodes") or "").split(",") if n}
    nodes = [n["name"] for n in info.get("nodes", []) if not only or n["name"] in only]
    control = _control(sd, start=True)
    for image, entry in entries:
        already = any(e.get("image") == image and e.get("id") == entry["id"] for e in info.get("images", []))
        if already:
            log(f'Image: "{image}" with ID "{entry["id"]}" found to be already present on all nodes.')
            continue
        for node in nodes:
            log(f'Image: "{image}" with ID "{entry["id"]}" not yet present on node "{node}", loading...')
        pause(delays.delay("image_pull") / 2)
        control.load_image(name, image, str(entry["id"]), int(entry.get("size", 0)))
    return 0


def cmd_version(values: dict[str, Any], args: list[str], log: Log) -> int:
    if values.get("quiet"):
        out(KIND_VERSION + "\n")
    else:
        out(f"kind v{KIND_VERSION} {GO_VERSION} linux/amd64\n")
    return 0


def build() -> Cmd:
    name = Flag("name", "n", "str", "", "the cluster context name")
    kubeconfig = Flag("kubeconfig", "", "str", "",
                      "sets kubeconfig path instead of $KUBECONFIG or $HOME/.kube/config")
    internal = Flag("internal", "", "bool", False, "use internal address instead of external")
    root = Cmd("kind", "kind creates and manages local Kubernetes clusters using Docker container 'nodes'",
               flags=(Flag("version", "", "bool", False, "version for kind"),))
    create = Cmd("create", "Creates one of [cluster]")
    create.children["cluster"] = Cmd(
        "cluster", "Creates a local Kubernetes cluster",
        flags=(name, Flag("config", "", "str", "", "path to a kind config file"),
               Flag("image", "", "str", "", "node docker image to use for booting the cluster"),
               Flag("retain", "", "bool", False, "retain nodes for debugging when cluster creation fails"),
               Flag("wait", "", "duration", 0.0, "wait for control plane node to be ready (default 0s)"),
               kubeconfig),
        run=cmd_create_cluster)
    delete = Cmd("delete", "Deletes one of [cluster]")
    delete.children["cluster"] = Cmd("cluster", "Deletes a cluster", flags=(name, kubeconfig),
                                     run=cmd_delete_cluster)
    delete.children["clusters"] = Cmd("clusters", "Deletes one or more clusters",
                                      flags=(Flag("all", "A", "bool", False, "delete all clusters"),
                                             kubeconfig),
                                      run=cmd_delete_clusters, args=(0, 1 << 30))
    get = Cmd("get", "Gets one of [clusters, nodes, kubeconfig]")
    get.children["clusters"] = Cmd("clusters", "Lists existing kind clusters by their name",
                                   run=cmd_get_clusters)
    get.children["nodes"] = Cmd("nodes", "Lists existing kind nodes by their name",
                                flags=(name, Flag("all-clusters", "A", "bool", False, "all clusters")),
                                run=cmd_get_nodes)
    get.children["kubeconfig"] = Cmd("kubeconfig", "Prints cluster kubeconfig", flags=(name, internal),
                                     run=cmd_get_kubeconfig)
    export = Cmd("export", "Exports one of [kubeconfig, logs]")
    export.children["kubeconfig"] = Cmd("kubeconfig", "Exports cluster kubeconfig",
                                        flags=(name, kubeconfig, internal), run=cmd_export_kubeconfig)
    load = Cmd("load", "Loads images into nodes")
    load.children["docker-image"] = Cmd(
        "docker-image", "Loads docker images from host into nodes",
        flags=(name, Flag("nodes", "", "str", "", "comma separated list of nodes to load images into")),
        run=cmd_load_image, args=(1, 1 << 30))
    version = Cmd("version", "Prints the kind CLI version", run=cmd_version)
    for cmd in (create, delete, get, export, load, version):
        root.children[cmd.name] = cmd
    return root


def main(argv: list[str]) -> int:
    root = build()
    quiet = "-q" in argv or "--quiet" in argv
    log = Log(quiet)
    try:
        chain, values, args = parse(root, list(argv))
        cmd = chain[-1]
        log = Log(bool(values.get("quiet")))
        if values.get("help"):
            out(_help(chain))
            return 0
        if cmd is root and values.get("version"):
            out(f"kind version {KIND_VERSION}\n")
            return 0
        if cmd.run is None:
            if args:
                raise KindError(f'unknown command "{args[0]}" for "{" ".join(c.name for c in chain)}"')
            out(_help(chain))
            return 0
        lo, hi = cmd.args
        if hi == 0 and args:
            raise KindError(f'unknown command "{args[0]}" for "{" ".join(c.name for c in chain)}"')
        if len(args) < lo:
            raise KindError(f"requires at least {lo} arg(s), only received {len(args)}")
        return cmd.run(values, args, log)
    except KindError as exc:
        log(f"ERROR: {exc.message}")
        if exc.output:
            log(f"\nCommand Output: {exc.output}")
        return 1

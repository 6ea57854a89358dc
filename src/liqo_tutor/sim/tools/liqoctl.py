"""Simulated `liqoctl` (v0.x and v1.x lines): cobra-like argv handling, acting through the Kubernetes API.

The cluster-side half (peering, virtual nodes, offloading, reflection) lives in sim/liqo/controllers.py
and runs inside the playground daemon; this process only writes what the real liqoctl writes and waits
for what the real liqoctl waits for.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import yaml

from liqo_tutor.sim import delays as sim_delays
from liqo_tutor.sim.kclient import ApiError, KubeClient, KubeConfigError, Res, builtin, wait_for
from liqo_tutor.sim.liqo import crds, scaled
from liqo_tutor.sim.liqo import delay as sim_delay
from liqo_tutor.sim.liqo.selectors import SelectorError, parse_term
from liqo_tutor.sim.liqo.versions import (
    LATEST_CHART,
    Line,
    client_version,
    components,
    image,
    line_of,
    parse,
)
from liqo_tutor.sim.tools.liqoctl_info import cmd_info, cmd_info_peer
from liqo_tutor.sim.tools.liqoctl_status import cmd_status, cmd_status_peer

__all__ = ["main"]

PROG = "liqoctl"
Obj = dict[str, Any]

NS = builtin("namespaces")
NODES = builtin("nodes")
PODS = builtin("pods")
SVC = builtin("services")
SECRETS = builtin("secrets")
CM = builtin("configmaps")
DEPLOY = builtin("deployments.apps")
DS = builtin("daemonsets.apps")
CRD = builtin("customresourcedefinitions.apiextensions.k8s.io")
CLUSTERROLES = builtin("clusterroles.rbac.authorization.k8s.io")

CLUSTERID_CM = "liqo-clusterid-configmap"
TENANT_LABEL_V0 = "discovery.liqo.io/tenant-namespace"
REMOTE_ID_LABEL = "liqo.io/remote-cluster-id"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")



def _busy(name: str, kc: KubeClient) -> None:
    """Sleep for a named playground duration, traced against the cluster kc talks to."""
    seconds = sim_delay(name)
    sim_delays.trace(name, kc.target.context.removeprefix("kind-"), time.time(), seconds)
    time.sleep(seconds)

def res(line: Line, plural: str) -> Res:
    c = crds.find(line, plural)
    return Res(c.group, c.version, c.plural, c.namespaced)


# --------------------------------------------------------------------------------------------
# cobra-like command line
# --------------------------------------------------------------------------------------------


class CobraError(Exception):
    """A usage error: printed as `Error: <msg>` on stderr, exit 1 (root has SilenceUsage)."""


class Failed(Exception):
    """The command already printed its error; exit 1."""


@dataclass(frozen=True)
class Flag:
    name: str
    kind: str  # bool | str | dur | int | list
    default: Any = None
    short: str | None = None
    required: bool = False


@dataclass
class Command:
    name: str
    flags: list[Flag] = field(default_factory=list)
    persistent: list[Flag] = field(default_factory=list)
    subs: list[Command] = field(default_factory=list)
    aliases: tuple[str, ...] = ()
    args: tuple[int, int] | None = (0, 0)  # (min, max) positional args; None = has no Run
    run: Callable[[Ctx], int] | None = None

    def sub(self, word: str) -> Command | None:
        for c in self.subs:
            if word == c.name or word in c.aliases:
                return c
        return None


@dataclass
class Ctx:
    line: Line
    version: str
    path: list[str]
    flags: dict[str, Any]
    args: list[str]
    out: Printer

    def f(self, name: str) -> Any:
        return self.flags.get(name)


_DUR = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration (enough of it): `10m`, `120s`, `1h2m3.5s`, `0`."""
    if text in ("0", "+0", "-0"):
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        m = _DUR.match(text, pos)
        if m is None:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text:
        raise ValueError('time: invalid duration ""')
    return total


def _convert(flag: Flag, value: str) -> Any:
    try:
        if flag.kind == "bool":
            low = value.lower()
            if low in ("1", "t", "true"):
                return True
            if low in ("0", "f", "false"):
                return False
            raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax')
        if flag.kind == "dur":
            return parse_duration(value)
        if flag.kind == "int":
            return int(value)
    except ValueError as exc:
        raise CobraError(f'invalid argument "{value}" for "{_flag_label(flag)}" flag: {exc}') from None
    return value


def _flag_label(flag: Flag) -> str:
    return f"-{flag.short}, --{flag.name}" if flag.short else f"--{flag.name}"


def _all_flags(chain: list[Command]) -> list[Flag]:
    flags = list(chain[-1].flags)
    for c in chain:
        flags.extend(c.persistent)
    return flags


def _find_path(root: Command, argv: list[str]) -> tuple[list[Command], list[str]]:
    """Select the subcommand chain like cobra's Find: skip flags (and their values), descend on words."""
    every: dict[str, Flag] = {}

    def collect(c: Command) -> None:
        for fl in c.flags + c.persistent:
            every.setdefault(fl.name, fl)
            if fl.short:
                every.setdefault(fl.short, fl)
        for s in c.subs:
            collect(s)

    collect(root)
    chain = [root]
    rest: list[str] = []
    positional = False  # a word that is no subcommand ends the descent (flag values do not)
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            rest.extend(argv[i:])
            break
        if tok.startswith("-") and len(tok) > 1:
            rest.append(tok)
            name = tok.lstrip("-")
            fl = every.get(name)
            if "=" not in tok and fl is not None and fl.kind != "bool" and i + 1 < len(argv):
                rest.append(argv[i + 1])
                i += 1
            i += 1
            continue
        nxt = chain[-1].sub(tok) if not positional else None
        if nxt is not None:
            chain.append(nxt)
        else:
            rest.append(tok)
            positional = True
        i += 1
    return chain, rest


def parse_argv(root: Command, argv: list[str]) -> tuple[list[Command], dict[str, Any], list[str], bool]:
    chain, rest = _find_path(root, argv)
    flags = _all_flags(chain)
    by_long = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    values: dict[str, Any] = {
        f.name: (list(f.default) if isinstance(f.default, list) else f.default) for f in flags
    }
    seen: set[str] = set()
    positional: list[str] = []
    want_help = False
    i = 0
    while i < len(rest):
        tok = rest[i]
        i += 1
        if tok == "--":
            positional.extend(rest[i:])
            break
        if tok in ("-h", "--help"):
            want_help = True
            continue
        if tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            fl = by_long.get(name)
            if fl is None:
                raise CobraError(f"unknown flag: --{name}")
        elif tok.startswith("-") and len(tok) > 1:
            name, eq, value = tok[1], "=" if len(tok) > 2 else "", tok[2:].lstrip("=")
            fl = by_short.get(name)
            if fl is None:
                raise CobraError(f"unknown shorthand flag: '{name}' in {tok}")
        else:
            positional.append(tok)
            continue
        if not eq:
            if fl.kind == "bool":
                value = "true"
            elif i < len(rest):
                value = rest[i]
                i += 1
            else:
                raise CobraError(f"flag needs an argument: {tok}")
        converted = _convert(fl, value)
        if fl.kind == "list":
            values[fl.name] = ([] if fl.name not in seen else values[fl.name]) + [
                v for v in value.split(",") if v
            ]
        elif fl.kind == "array":  # pflag StringArray: one value per occurrence, commas kept
            values[fl.name] = ([] if fl.name not in seen else values[fl.name]) + [value]
        else:
            values[fl.name] = converted
        seen.add(fl.name)
    values["__seen__"] = seen
    return chain, values, positional, want_help


# --------------------------------------------------------------------------------------------
# output (pterm in raw mode: stdout is not a TTY)
# --------------------------------------------------------------------------------------------


class Printer:
    """v0.x writes every log line to stdout, v1.x to stderr; plain results always go to stdout."""

    def __init__(self, line: Line) -> None:
        self.log: TextIO = sys.stdout if line.v0 else sys.stderr
        self._spinning = ""

    def _w(self, text: str) -> None:
        if self._spinning:
            self.log.write("\r" + " " * len(self._spinning) + "\r")
            self._spinning = ""
        self.log.write(text)
        self.log.flush()

    def step(self, text: str) -> None:
        self._w(text + "\n")
        self._spinning = text

    def info(self, msg: str) -> None:
        self._w(f"INFO: {msg}\n")

    def warn(self, msg: str) -> None:
        self._w(f"WARN: {msg}\n")

    def error(self, msg: str) -> None:
        self._w(f"ERRO: {msg}\n")

    def fail(self, msg: str) -> Failed:
        self.error(msg)
        return Failed(msg)

    @staticmethod
    def result(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# helpers over the API
# --------------------------------------------------------------------------------------------


def client(ctx: Ctx, remote: bool = False) -> KubeClient:
    prefix = "remote-" if remote else ""
    try:
        return KubeClient.from_kubeconfig(
            ctx.f(f"{prefix}kubeconfig") or None, ctx.f(f"{prefix}context") or None
        )
    except KubeConfigError as exc:
        raise ctx.out.fail(str(exc)) from None
    except (OSError, yaml.YAMLError) as exc:
        raise ctx.out.fail(f"error loading config file: {exc}") from None


def identity(kc: KubeClient, namespace: str) -> dict[str, str] | None:
    cm = kc.get(CM, CLUSTERID_CM, namespace)
    if cm is None:
        return None
    return {k: str(v) for k, v in (cm.get("data") or {}).items()}


def cond_status(conditions: list[Obj] | None, ctype: str) -> str:
    for c in conditions or []:
        if c.get("type") == ctype:
            return str(c.get("status", ""))
    return ""


def cond(conditions: list[Obj] | None, ctype: str) -> Obj:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c
    return {}


def deployment_available(d: Obj) -> bool:
    st = d.get("status") or {}
    if cond_status(st.get("conditions"), "Available") == "True":
        return True
    want = int((d.get("spec") or {}).get("replicas", 1))
    return int(st.get("availableReplicas") or 0) >= want > 0


def server_version(kc: KubeClient, namespace: str) -> str | None:
    """Image tag of the controller-manager container of the Deployment labelled as the controller manager."""
    for d in kc.list(DEPLOY, namespace, {"app.kubernetes.io/name": "controller-manager"}):
        for c in (d.get("spec") or {}).get("template", {}).get("spec", {}).get("containers") or []:
            if c.get("name") == "controller-manager":
                img = str(c.get("image", ""))
                return img.rpartition(":")[2] if ":" in img.rpartition("/")[2] else "latest"
    return None


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text.encode()).decode(errors="replace")


def confirm(ctx: Ctx, what: str) -> None:
    """The v0.9+/v1 prompt: without --skip-confirm and without a terminal it aborts."""
    if ctx.f("skip-confirm"):
        return
    ctx.out.warn(f"{what} is a potentially destructive command.")
    ctx.out.log.write("Are you sure you want to continue? [y/N]: ")
    ctx.out.log.flush()
    answer = ""
    try:
        if os.isatty(0):
            answer = sys.stdin.readline().strip().lower()
    except OSError:
        answer = ""
    ctx.out.log.write("\n")
    if answer not in ("y", "yes"):
        raise CobraError("action aborted")


def hex6(cluster_id: str) -> str:
    import hashlib

    return hashlib.sha256(cluster_id.encode()).hexdigest()[:6]


# --------------------------------------------------------------------------------------------
# version / status / info
# --------------------------------------------------------------------------------------------


def cmd_version(ctx: Ctx) -> int:
    Printer.result(f"Client version: {ctx.version}\n")
    if ctx.f("client"):
        return 0
    ns = ctx.f("namespace")
    if ctx.line.v0 and ctx.line.minor < 7:
        return _version_v06(ctx, ns)
    try:
        kc = client(ctx)
        found = server_version(kc, ns)
        err = "failed to retrieve the liqo controller manager deployment" if found is None else ""
    except (ApiError, Failed) as exc:
        found, err = None, str(exc)
    if ctx.line.v0:
        if found is None:
            raise ctx.out.fail(f"Failed to retrieve Liqo version: {err}")
        Printer.result(f"Server version: {found}\n")
        return 0
    if found is None:
        Printer.result("Server version: Unknown\n")
        ctx.out.warn(f"Failed to retrieve Liqo server version: {err}")
        ctx.out.warn(
            "Is Liqo installed in your cluster? Is the cluster reachable? "
            "Do you have the permissions to access the target cluster?"
        )
        return 1
    Printer.result(f"Server version: {found}\n")
    if found != ctx.version:
        ctx.out.warn(
            "The version of liqoctl does not match the Liqo server version. "
            "This might cause unexpected behaviors."
        )
    return 0


def _version_v06(ctx: Ctx, ns: str) -> int:
    """v0.6.x reads the server version from the deployed Helm release (chart appVersion), §3.1."""
    try:
        kc = client(ctx)
        deployed = [
            r for r in _releases(kc, ns) if (r["metadata"].get("labels") or {}).get("status") == "deployed"
        ]
        if not deployed:
            raise ApiError(404, "NotFound", "release: not found")
        release = json.loads(unb64(unb64(str((deployed[-1].get("data") or {}).get("release", "")))))
        found = str(release["chart"]["metadata"].get("appVersion") or release["config"].get("tag", ""))
    except Failed:
        raise
    except (ApiError, ValueError, KeyError, TypeError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        raise ctx.out.fail(
            f'Failed to retrieve release information from namespace "{ns}": {message}'
        ) from None
    Printer.result(f"Server version: {found}\n")
    return 0


def _known_chart(version: str) -> bool:
    v = parse(version)
    if v is None:
        return False
    t = (v.major, v.minor, v.patch)
    return (0, 6, 0) <= t <= (0, 10, 3) or (1, 0, 0) <= t <= (1, 2, 0)


def _labels(component: str) -> dict[str, str]:
    short = component.removeprefix("liqo-")
    return {
        "app.kubernetes.io/name": short,
        "app.kubernetes.io/instance": "liqo",
        "app.kubernetes.io/component": short,
        "app.kubernetes.io/part-of": "liqo",
        "app.kubernetes.io/managed-by": "Helm",
    }


def _deployment(component: str, version: str, namespace: str) -> Obj:
    labels = _labels(component)
    container = component.removeprefix("liqo-")
    selector = {
        "app.kubernetes.io/name": labels["app.kubernetes.io/name"],
        "app.kubernetes.io/instance": "liqo",
    }
    return {
        "kind": "Deployment",
        "metadata": {"name": component, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": component,
                    "containers": [
                        {
                            "name": container,
                            "image": image(component, version),
                            "imagePullPolicy": "IfNotPresent",
                        }
                    ],
                },
            },
        },
    }


def _helm_secret(revision: int, status: str, chart_version: str, values: Obj, namespace: str) -> Obj:
    release = {
        "name": "liqo",
        "namespace": namespace,
        "version": revision,
        "info": {"status": status},
        "chart": {"metadata": {"name": "liqo", "version": chart_version, "appVersion": chart_version}},
        "config": values,
    }
    return {
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.liqo.v{revision}",
            "namespace": namespace,
            "labels": {"owner": "helm", "name": "liqo", "status": status, "version": str(revision)},
        },
        "data": {"release": b64(b64(json.dumps(release)))},
    }


def _releases(kc: KubeClient, namespace: str) -> list[Obj]:
    return sorted(
        kc.list(SECRETS, namespace, {"owner": "helm", "name": "liqo"}),
        key=lambda s: int((s["metadata"].get("labels") or {}).get("version", "0")),
    )


def cmd_install(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    ns = ctx.f("namespace")
    id_flag = "cluster-name" if line.v0 else "cluster-id"
    out.step("Initializing installer")
    kc = client(ctx)
    try:
        kc.request("GET", "/version")
        kc.list(NODES)
    except ApiError as exc:
        raise out.fail(f"Error initializing installer: {exc.message}") from None
    out.info("Installer initialized")

    out.step("Retrieving cluster configuration")
    try:
        existing = identity(kc, ns) if kc.get(NS, ns) else None
    except ApiError as exc:
        raise out.fail(f"Error retrieving configuration: {exc.message}") from None
    name = ctx.f(id_flag) or ""
    existing_key = "CLUSTER_NAME" if line.v0 else "CLUSTER_ID"
    if not name and existing:
        name = existing.get(existing_key, "")
    if not name:
        name = _random_name()
        what = "name" if line.v0 else "id"
        out.log.write(f'INFO: No cluster {what} specified. Generated: "{name}"')
        out.log.flush()
    if not DNS1123.match(name) or len(name) > 63:
        raise out.fail(
            f"Error retrieving configuration: the cluster {'name' if line.v0 else 'id'} "
            f"may contain only lowercase letters, numbers and hyphens, and must start and "
            f"end with a letter or a number: {name!r} is invalid"
        )
    labels = [kv for kv in ctx.f("cluster-labels") or [] if kv]
    for kv in labels:
        if "=" not in kv:
            raise out.fail(
                f'Error retrieving configuration: "{kv}" is not a valid label (expected key=value)'
            )
    out.info("Cluster configuration correctly retrieved")

    out.step("Generating installation parameters")
    chart_version = ctx.f("version") or (LATEST_CHART if line.v0 else ctx.version)
    chart_line = line_of(chart_version)
    values: Obj = {
        "discovery": {
            "config": {
                id_flag.replace("-", "_"): name,
                "clusterLabels": dict(kv.split("=", 1) for kv in labels) | {"liqo.io/provider": "kind"},
            }
        },
        "telemetry": {"enabled": not ctx.f("disable-telemetry")},
    }
    out.info("Installation parameters correctly generated")

    out.step("Installing or upgrading Liqo... (this may take a few minutes)")
    if not _known_chart(chart_version):
        raise out.fail(
            f'Error installing or upgrading Liqo: chart "liqo" version "{chart_version}" '
            "not found in https://helm.liqo.io/ repository"
        )
    try:
        _helm_install(ctx, kc, ns, name, chart_version, chart_line, values, existing)
    except Failed:
        raise
    except ApiError as exc:
        raise out.fail(f"Error installing or upgrading Liqo: {exc.message}") from None
    out.info(f"All Set! You can now proceed establishing a peering ({PROG} peer --help for more information)")
    out.info("Make sure to use the same version of Liqo on all remote clusters")
    return 0


def _random_name() -> str:
    adjectives = ("brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "lively", "proud", "silly")
    nouns = (
        "river",
        "forest",
        "meadow",
        "breeze",
        "canyon",
        "glacier",
        "harbor",
        "island",
        "lagoon",
        "summit",
    )
    return f"{secrets.choice(adjectives)}-{secrets.choice(nouns)}"


def _helm_install(
    ctx: Ctx,
    kc: KubeClient,
    ns: str,
    name: str,
    chart_version: str,
    chart_line: Line,
    values: Obj,
    existing: dict[str, str] | None,
) -> None:
    out = ctx.out
    releases = _releases(kc, ns)
    deployed = [r for r in releases if (r["metadata"].get("labels") or {}).get("status") == "deployed"]
    pending = [
        r for r in releases if (r["metadata"].get("labels") or {}).get("status", "").startswith("pending")
    ]
    if pending:
        raise out.fail(
            "Error installing or upgrading Liqo: another operation (install/upgrade/rollback) is in progress"
        )
    if releases and not deployed:
        raise out.fail('Error installing or upgrading Liqo: "liqo" has no deployed releases')
    # The chart refuses to change the identity of an installed cluster (v1 chart template).
    if (
        chart_line.v1
        and existing
        and existing.get("CLUSTER_ID")
        and ctx.line.v1
        and existing["CLUSTER_ID"] != name
    ):
        raise out.fail(
            "Error installing or upgrading Liqo: execution error at "
            "(liqo/templates/liqo-clusterid-configmap.yaml:1:4): Changing the cluster ID by "
            "providing a different .discovery.config.clusterID value is not allowed."
        )
    revision = int((releases[-1]["metadata"].get("labels") or {}).get("version", "0")) + 1 if releases else 1
    first = not deployed
    if kc.get(NS, ns) is None:
        kc.create(NS, {"kind": "Namespace", "metadata": {"name": ns}})
    kc.create(
        SECRETS,
        _helm_secret(revision, "pending-install" if first else "pending-upgrade", chart_version, values, ns),
    )
    _busy("liqo_install", kc)
    for obj in crds.crd_objects(chart_line):
        kc.apply(CRD, obj)
    data: dict[str, str]
    if chart_line.v0:
        cluster_id = (existing or {}).get("CLUSTER_ID") or str(uuid.uuid4())
        data = {"CLUSTER_ID": cluster_id, "CLUSTER_NAME": name}
    else:
        data = {"CLUSTER_ID": name}
    kc.apply(
        CM,
        {
            "kind": "ConfigMap",
            "metadata": {
                "name": CLUSTERID_CM,
                "namespace": ns,
                "labels": {
                    "app.kubernetes.io/name": "clusterid-configmap",
                    "app.kubernetes.io/part-of": "liqo",
                    "app.kubernetes.io/managed-by": "Helm",
                },
            },
            "data": data,
        },
    )
    deployments, daemonsets = components(chart_line)
    cluster_labels = dict(values.get("discovery", {}).get("config", {}).get("clusterLabels") or {})
    for comp in deployments:
        dep = _deployment(comp, chart_version, ns)
        if comp == "liqo-controller-manager" and cluster_labels:
            # templates/liqo-controller-manager-deployment.yaml: liqo.concatenateMap, keys sorted.
            pairs = ",".join(f"{k}={cluster_labels[k]}" for k in sorted(cluster_labels))
            dep["spec"]["template"]["spec"]["containers"][0]["args"] = [f"--cluster-labels={pairs}"]
        kc.apply(DEPLOY, dep)
    for comp in daemonsets:
        ds = _deployment(comp, chart_version, ns)
        ds["kind"] = "DaemonSet"
        ds["spec"].pop("replicas")
        # templates/liqo-fabric-daemonset.yaml (v1), liqo-route-daemonset.yaml (v0): one pod per node,
        # control-plane included, on the host network.
        pod_spec = ds["spec"]["template"]["spec"]
        pod_spec["hostNetwork"] = True
        pod_spec["tolerations"] = [
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"},
            *([{"effect": "NoSchedule", "key": "node-role.kubernetes.io/infra"}] if chart_line.v1 else []),
            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
        ]
        try:
            kc.apply(DS, ds)
        except ApiError as exc:
            if not exc.not_found:
                raise
    if chart_line.v0:
        for svc_name, port, proto in (("liqo-auth", 443, "TCP"), ("liqo-gateway", 5871, "UDP")):
            comp_labels = _labels(svc_name)
            kc.apply(
                SVC,
                {
                    "kind": "Service",
                    "metadata": {"name": svc_name, "namespace": ns, "labels": comp_labels},
                    "spec": {
                        "type": "NodePort",
                        "selector": {
                            "app.kubernetes.io/name": comp_labels["app.kubernetes.io/name"],
                            "app.kubernetes.io/instance": "liqo",
                        },
                        "ports": [
                            {
                                "name": svc_name.removeprefix("liqo-"),
                                "port": port,
                                "targetPort": 8443 if port == 443 else port,
                                "protocol": proto,
                            }
                        ],
                    },
                },
            )
    try:
        kc.apply(
            CLUSTERROLES,
            {
                "kind": "ClusterRole",
                "metadata": {
                    "name": "liqo-controller-manager",
                    "labels": {"app.kubernetes.io/part-of": "liqo"},
                },
                "rules": [],
            },
        )
    except ApiError as exc:
        if not exc.not_found:
            raise
    # Helm wait: every Deployment Available within --timeout (Atomic: roll back on failure).
    timeout = float(ctx.f("timeout"))

    def all_available() -> bool:
        return all(
            deployment_available(d) for d in (kc.get(DEPLOY, c, ns) for c in deployments) if d
        ) and all(kc.get(DEPLOY, c, ns) is not None for c in deployments)

    if not wait_for(all_available, timeout, interval=0.05):
        reason = "timed out waiting for the condition"
        if first:
            _helm_uninstall(kc, ns, ctx.line)
            msg = f"release liqo failed, and has been uninstalled due to atomic being set: {reason}"
        else:
            kc.apply(SECRETS, _helm_secret(revision, "failed", chart_version, values, ns))
            msg = f"release liqo failed, and has been rolled back due to atomic being set: {reason}"
        out.error(f"Error installing or upgrading Liqo: {msg}")
        for hint in (
            "Likely causes for the installation/upgrade timeout could include:",
            "* One or more pods failed to start (e.g., they are in the ImagePullBackOff status)",
            "* A service of type LoadBalancer has been configured, but no provider is available",
            "You can add the --verbose flag for debug information concerning the failing resources",
            "Additionally, if necessary, you can increase the timeout value with the --timeout flag",
        ):
            out.info(hint)
        raise Failed(msg)
    for old in releases:
        if (old["metadata"].get("labels") or {}).get("status") == "deployed":
            old["metadata"]["labels"]["status"] = "superseded"
            kc.update(SECRETS, old)
    kc.apply(SECRETS, _helm_secret(revision, "deployed", chart_version, values, ns))


def _helm_uninstall(kc: KubeClient, ns: str, line: Line) -> None:
    for any_line in (line_of("v0.10.3"), line_of("v1.2.0")):
        deployments, daemonsets = components(any_line)
        for comp in deployments:
            kc.delete(DEPLOY, comp, ns)
        for comp in daemonsets:
            try:
                kc.delete(DS, comp, ns)
            except ApiError as exc:
                if not exc.not_found:
                    raise
    for svc_name in ("liqo-auth", "liqo-gateway"):
        kc.delete(SVC, svc_name, ns)
    kc.delete(CM, CLUSTERID_CM, ns)
    kc.delete(SECRETS, "auth-token", ns)
    networks = Res("ipam.liqo.io", "v1alpha1", "networks", True)
    for net in _safe_list(kc, networks, ns):
        kc.delete(networks, net["metadata"]["name"], ns)
    for s in kc.list(SECRETS, ns, {"owner": "helm", "name": "liqo"}):
        kc.delete(SECRETS, s["metadata"]["name"], ns)
    try:
        for cr in kc.list(CLUSTERROLES, None, {"app.kubernetes.io/part-of": "liqo"}):
            kc.delete(CLUSTERROLES, cr["metadata"]["name"])
    except ApiError as exc:
        if not exc.not_found:
            raise


def _installed_crd_lines(kc: KubeClient) -> list[Line]:
    found = []
    for ln in (line_of("v0.10.3"), line_of("v1.2.0")):
        if kc.get(CRD, ln.fc_key) is not None:
            found.append(ln)
    return found


def _safe_list(kc: KubeClient, r: Res, namespace: str | None = None) -> list[Obj]:
    try:
        return kc.list(r, namespace)
    except ApiError as exc:
        if exc.not_found:
            return []
        raise


def cmd_uninstall(ctx: Ctx) -> int:
    out = ctx.out
    if ctx.line.has_skip_confirm:
        confirm(ctx, "uninstall")
    kc = client(ctx)
    ns = ctx.f("namespace")
    out.step("Running pre-uninstall checks")
    try:
        problems = _preuninstall(kc)
    except ApiError as exc:
        raise out.fail(f"Pre-uninstall checks failed: {exc.message}") from None
    if problems:
        if ctx.line.v0:
            raise out.fail("Pre-uninstall checks failed: you should:\n" + "\n".join(problems))
        out.error("Pre-uninstall checks failed: " + "\n".join(problems))
        out.error(
            'Please use "liqoctl unpeer" to remove the peerings and "liqoctl unoffload" '
            "to unoffload the namespaces before uninstalling Liqo"
        )
        raise Failed("pre-uninstall")
    out.info("Pre-uninstall checks passed")
    out.step("Uninstalling Liqo")
    try:
        _helm_uninstall(kc, ns, ctx.line)
    except ApiError as exc:
        raise out.fail(f"Error uninstalling Liqo: {exc.message}") from None
    _busy("uninstall", kc)
    out.info("Liqo uninstalled")
    if ctx.f("purge"):
        out.step("Purging Liqo CRDs")
        try:
            for c in kc.list(CRD):
                if str((c.get("spec") or {}).get("group", "")).endswith("liqo.io"):
                    kc.delete(CRD, c["metadata"]["name"])
        except ApiError as exc:
            raise out.fail(f"Error purging CRDs: {exc.message}") from None
        out.info("Liqo CRDs purged")
        out.step("Deleting Liqo namespaces")
        try:
            for n in kc.list(NS):
                labels = n["metadata"].get("labels") or {}
                if labels.get(TENANT_LABEL_V0) == "true" or labels.get("liqo.io/tenant-namespace") == "true":
                    kc.delete(NS, n["metadata"]["name"])
            kc.delete(NS, ns)
        except ApiError as exc:
            raise out.fail(f"Error deleting Liqo namespaces: {exc.message}") from None
        out.info("Liqo namespaces deleted")
    return 0


def _preuninstall(kc: KubeClient) -> list[str]:
    problems: list[str] = []
    offloaded: list[str] = []
    for ln in _installed_crd_lines(kc):
        nso = Res("offloading.liqo.io", ln.offloading_version, "namespaceoffloadings", True)
        offloaded += [o["metadata"]["namespace"] for o in _safe_list(kc, nso)]
        fcs = _safe_list(kc, res(ln, "foreignclusters"))
        if ln.v0:
            outgoing, incoming, network = [], [], []
            for fc in fcs:
                conds = (fc.get("status") or {}).get("peeringConditions")
                if cond_status(conds, "OutgoingPeering") not in ("", "None"):
                    outgoing.append(fc["metadata"]["name"])
                if cond_status(conds, "IncomingPeering") not in ("", "None"):
                    incoming.append(fc["metadata"]["name"])
                if cond_status(conds, "NetworkStatus") == "Established":
                    network.append(fc["metadata"]["name"])
            for label, names in (
                ("disable outgoing peering for clusters:", outgoing),
                ("disable incoming peering for clusters:", incoming),
                ("disable networking for clusters:", network),
            ):
                if names:
                    problems.append(label)
                    problems += [f"- {n}" for n in names]
        else:
            active = []
            for fc in fcs:
                st = fc.get("status") or {}
                modules = st.get("modules") or {}
                if st.get("role", "Unknown") != "Unknown" or any(
                    (modules.get(m) or {}).get("enabled")
                    for m in ("networking", "authentication", "offloading")
                ):
                    active.append(fc["metadata"]["name"])
            if active:
                problems.append("active peerings with clusters: " + ", ".join(active))
            slices = _safe_list(kc, res(ln, "resourceslices"))
            if slices:
                problems.append(
                    "resourceslices still present: "
                    + ", ".join(f"{s['metadata']['namespace']}/{s['metadata']['name']}" for s in slices)
                )
    if offloaded:
        problems.append("disable offloading for namespaces:")
        problems += [f"- {n}" for n in offloaded]
    return problems


# --------------------------------------------------------------------------------------------
# v0: generate peer-command, peer/unpeer out-of-band
# --------------------------------------------------------------------------------------------


def _node_ip(kc: KubeClient) -> str:
    for node in kc.list(NODES):
        if (node["metadata"].get("labels") or {}).get("liqo.io/type") == "virtual-node":
            continue
        for addr in (node.get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                return str(addr.get("address"))
    raise ApiError(404, "NotFound", "no node with an InternalIP address found")


def cmd_generate_peer(ctx: Ctx) -> int:
    out = ctx.out
    ns = ctx.f("namespace")
    kc = client(ctx)
    if not ctx.f("only-command"):
        out.step("Retrieving peering information")
    try:
        secret = kc.get(SECRETS, "auth-token", ns)
        if secret is None:
            raise ApiError(404, "NotFound", 'secrets "auth-token" not found')
        token = unb64(str((secret.get("data") or {}).get("token", "")))
        ident = identity(kc, ns)
        if ident is None:
            raise ApiError(404, "NotFound", f'configmaps "{CLUSTERID_CM}" not found')
        svc = kc.get(SVC, "liqo-auth", ns)
        if svc is None:
            raise ApiError(404, "NotFound", 'services "liqo-auth" not found')
        spec = svc.get("spec") or {}
        port = (spec.get("ports") or [{}])[0]
        if spec.get("type") == "NodePort":
            host, p = _node_ip(kc), int(port.get("nodePort") or 0)
        elif spec.get("type") == "LoadBalancer":
            ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            if not ingress:
                raise ApiError(404, "NotFound", "no ingress found in the liqo-auth service")
            host, p = str(ingress[0].get("ip") or ingress[0].get("hostname")), int(port.get("port") or 443)
        else:
            host, p = str(spec.get("clusterIP", "")), int(port.get("port") or 443)
        if not p:
            raise ApiError(404, "NotFound", "the liqo-auth service has no node port")
    except ApiError as exc:
        raise out.fail(f"Failed to retrieve peering information: {exc.message}") from None
    url = f"https://{host}" + ("" if p == 443 else f":{p}")
    cluster_id = ident.get("CLUSTER_ID", "")
    name = ident.get("CLUSTER_NAME") or cluster_id
    command = (
        f"{PROG} peer out-of-band {name} --auth-url {url} --cluster-id {cluster_id} --auth-token {token}"
    )
    if ctx.f("only-command"):
        Printer.result(command + "\n")
        return 0
    out.info("Peering information correctly retrieved")
    Printer.result(
        "\nExecute this command on a *different* cluster to enable an outgoing peering with the "
        f"current cluster:\n\n{command}\n"
    )
    return 0


def cmd_peer_oob(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    name = ctx.args[0]
    ns = ctx.f("namespace")
    remote_id = ctx.f("cluster-id")
    kc = client(ctx)
    fcr = res(line, "foreignclusters")
    deadline = time.monotonic() + float(ctx.f("timeout"))
    out.step("Processing cluster peering")
    try:
        ident = identity(kc, ns)
        if ident is None:
            raise ApiError(404, "NotFound", f'configmaps "{CLUSTERID_CM}" not found')
        if ident.get("CLUSTER_ID") == remote_id:
            raise ApiError(
                400,
                "BadRequest",
                "the Cluster ID of the remote cluster is the same of that of the local cluster",
            )
        current = kc.get(fcr, name)
        if current is not None:
            spec = current.get("spec") or {}
            if spec.get("peeringType") == "InBand":
                raise ApiError(
                    400,
                    "BadRequest",
                    f"a peering of type InBand already exists towards remote "
                    f'cluster "{name}", cannot be changed to OutOfBand',
                )
            if (spec.get("clusterIdentity") or {}).get("clusterID") not in (None, "", remote_id):
                raise ApiError(
                    400,
                    "BadRequest",
                    'admission webhook "fc.validate.liqo.io" denied the request: '
                    "The ClusterID value cannot be modified after creation",
                )
        kc.apply(
            SECRETS,
            {
                "kind": "Secret",
                "metadata": {
                    "name": f"remote-token-{remote_id}",
                    "namespace": ns,
                    "labels": {"discovery.liqo.io/cluster-id": remote_id, "discovery.liqo.io/auth-token": ""},
                },
                "data": {"token": b64(ctx.f("auth-token"))},
            },
        )
        fc: Obj = {
            "kind": "ForeignCluster",
            "metadata": {"name": name, "labels": {"discovery.liqo.io/cluster-id": remote_id}},
            "spec": {
                "peeringType": "OutOfBand",
                "clusterIdentity": {"clusterID": remote_id, "clusterName": name},
                "foreignAuthUrl": ctx.f("auth-url"),
                "outgoingPeeringEnabled": "Yes",
                "incomingPeeringEnabled": ((current or {}).get("spec") or {}).get(
                    "incomingPeeringEnabled", "Auto"
                )
                if not ctx.f("incoming")
                else "Yes",
                "insecureSkipTLSVerify": True,
            },
        }
        if current is not None:
            fc["spec"] = {**(current.get("spec") or {}), **fc["spec"]}
        kc.apply(fcr, fc)
    except ApiError as exc:
        raise out.fail(f"Failed peering clusters: {exc.message}") from None
    out.info("Peering enabled")

    def fc_cond(ctype: str) -> Callable[[], bool]:
        def check() -> bool:
            obj = kc.get(fcr, name)
            return (
                cond_status(((obj or {}).get("status") or {}).get("peeringConditions"), ctype)
                == "Established"
            )

        return check

    def auth_hopeless() -> bool:
        obj = kc.get(fcr, name)
        c = cond(((obj or {}).get("status") or {}).get("peeringConditions"), "AuthenticationStatus")
        return c.get("reason") in ("AuthenticationFailed", "RemoteClusterUnreachable")

    def node_ready() -> bool:
        for node in kc.list(NODES, labels={REMOTE_ID_LABEL: remote_id, "liqo.io/type": "virtual-node"}):
            if cond_status((node.get("status") or {}).get("conditions"), "Ready") == "True":
                return True
        return False

    stages = (
        (
            f'Waiting for authentication to the cluster "{name}"',
            fc_cond("AuthenticationStatus"),
            f'Authenticated to cluster "{name}"',
            f'Authentication to the remote cluster "{name}" failed',
        ),
        (
            f'Activating outgoing peering to the remote cluster "{name}"',
            fc_cond("OutgoingPeering"),
            f'Outgoing peering activated to the remote cluster "{name}"',
            f'Failed activating outgoing peering to the remote cluster "{name}"',
        ),
        (
            f'Waiting for network to the remote cluster "{name}"',
            fc_cond("NetworkStatus"),
            f'Network established to the remote cluster "{name}"',
            f'Failed establishing networking to the remote cluster "{name}"',
        ),
        (
            f'Waiting for node to be created for the remote cluster "{name}"',
            node_ready,
            f'Node created for remote cluster "{name}"',
            f'Failed waiting for node to be created for remote cluster "{name}"',
        ),
    )
    start = time.monotonic()
    total = float(ctx.f("timeout"))
    for begin, check, ok, bad in stages:
        out.step(begin)
        left = max(0.0, deadline - time.monotonic())
        hopeless_left = max(0.0, start + scaled(total) - time.monotonic())
        if not wait_for(check, left, hopeless=auth_hopeless, hopeless_timeout=hopeless_left):
            raise out.fail(f"{bad}: timed out waiting for the condition")
        out.info(ok)
    out.info("Peering successfully established")
    return 0


def cmd_unpeer_oob(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    if line.has_skip_confirm:
        confirm(ctx, "unpeer")
    name = ctx.args[0]
    kc = client(ctx)
    fcr = res(line, "foreignclusters")
    out.step("Processing cluster unpeering")
    try:
        fc = kc.get(fcr, name) if kc.get(CRD, line.fc_key) else None
        if fc is None:
            raise ApiError(404, "NotFound", f'{line.fc_key} "{name}" not found')
        if (fc.get("spec") or {}).get("peeringType") != "OutOfBand":
            raise ApiError(
                400,
                "BadRequest",
                f'the peering type towards remote cluster "{name}" is '
                f"{(fc.get('spec') or {}).get('peeringType')}, expected OutOfBand",
            )
        # v0.10.3 unpeeroob/handler.go: --incoming disables only the incoming side (and its wait,
        # wait.go ForIncomingUnpeering, only checks that spec), leaving the ForeignCluster in place.
        fc["spec"]["incomingPeeringEnabled" if ctx.f("incoming") else "outgoingPeeringEnabled"] = "No"
        # Whether to remove the ForeignCluster is decided on the object the Update returned (the
        # status as it was then), not on a fresh read after the wait.
        fc = kc.update(fcr, fc)
    except ApiError as exc:
        raise out.fail(f"Failed unpeering clusters: {exc.message}") from None
    if ctx.f("incoming"):
        out.info("Incoming peering marked as disabled")
        out.step(f'Disabling incoming peering to the remote cluster "{name}"')
        out.info(f'Successfully disabled incoming peering to the remote cluster "{name}"')
        return 0
    out.info("Outgoing peering marked as disabled")
    out.step(f'Disabling outgoing peering to the remote cluster "{name}"')

    def disabled() -> Obj | None:
        obj = kc.get(fcr, name)
        if obj is None:
            return {"gone": True}
        st = cond_status(((obj.get("status") or {}).get("peeringConditions")), "OutgoingPeering")
        return obj if st in ("", "None") else None

    final = wait_for(disabled, float(ctx.f("timeout")))
    if final is None:
        raise out.fail(
            f'Failed disabling outgoing peering to the remote cluster "{name}": '
            "timed out waiting for the condition"
        )
    out.info(f'Successfully disabled outgoing peering to the remote cluster "{name}"')
    incoming = cond_status(((fc.get("status") or {}).get("peeringConditions")), "IncomingPeering")
    if incoming not in ("", "None"):
        out.warn("The foreign cluster resource was not removed, as an incoming peering is still active")
        out.warn(f'Issue the unpeer command on the remote cluster "{name}" to disable it')
        return 0
    out.step("Removing the foreign cluster resource")
    try:
        kc.delete(fcr, name)
    except ApiError as exc:
        raise out.fail(f"Failed removing the foreign cluster resource: {exc.message}") from None
    out.info("Foreign cluster resource successfully removed")
    return 0


# --------------------------------------------------------------------------------------------
# v1: peer / unpeer --remote-kubeconfig
# --------------------------------------------------------------------------------------------


@dataclass
class Pair:
    local: KubeClient
    remote: KubeClient
    local_id: str
    remote_id: str


def _pair(ctx: Ctx) -> Pair:
    out = ctx.out
    local = client(ctx)
    if not ctx.f("remote-kubeconfig") and not ctx.f("remote-context"):
        raise out.fail("remote kubeconfig not specified: use --remote-kubeconfig")
    remote = client(ctx, remote=True)
    if local.same_cluster(remote):
        raise out.fail("local and remote clusters must be different")
    ids = []
    for kc, ns, where in (
        (local, ctx.f("namespace"), "local"),
        (remote, ctx.f("remote-namespace"), "remote"),
    ):
        try:
            ident = identity(kc, ns)
        except ApiError as exc:
            raise out.fail(f"unable to get the {where} cluster identity: {exc.message}") from None
        if not ident or not ident.get("CLUSTER_ID"):
            raise out.fail(
                f'unable to get the {where} cluster identity: configmaps "{CLUSTERID_CM}" not found '
                f"(is Liqo installed in the {where} cluster?)"
            )
        ids.append(ident["CLUSTER_ID"])
    if ids[0] == ids[1]:
        raise out.fail("local and remote clusters must be different")
    return Pair(local, remote, ids[0], ids[1])


def _tenant_ns(kc: KubeClient, remote_id: str) -> str:
    name = f"liqo-tenant-{remote_id}"
    if kc.get(NS, name) is None:
        kc.create(
            NS,
            {
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "labels": {"liqo.io/tenant-namespace": "true", REMOTE_ID_LABEL: remote_id},
                },
            },
        )
    return name


def cmd_peer_v1(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    pair = _pair(ctx)
    total = float(ctx.f("timeout"))
    start = time.monotonic()
    deadline = start + total

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    def hopeless_left() -> float:
        return max(0.0, start + scaled(total) - time.monotonic())

    loc, rem = pair.local, pair.remote
    try:
        loc_tns = _tenant_ns(loc, pair.remote_id)
        rem_tns = _tenant_ns(rem, pair.local_id)
        if not ctx.f("networking-disabled"):
            _peer_network(ctx, pair, loc_tns, rem_tns, left, hopeless_left)
        # authentication
        out.info("Tenant namespace correctly ensured")
        rem_tenant = Res("authentication.liqo.io", "v1beta1", "tenants", True)
        loc_identity = Res("authentication.liqo.io", "v1beta1", "identities", True)
        out.info("Nonce secret ensured")
        out.info("Nonce generated successfully")
        out.info("Nonce retrieved")
        out.info("Nonce signed")
        rem.apply(
            rem_tenant,
            {
                "kind": "Tenant",
                "metadata": {
                    "name": pair.local_id,
                    "namespace": rem_tns,
                    "labels": {REMOTE_ID_LABEL: pair.local_id},
                },
                "spec": {"clusterID": pair.local_id, "tenantCondition": "Active"},
            },
        )
        out.info("Tenant correctly applied on provider cluster")
        if not wait_for(
            lambda: ((rem.get(rem_tenant, pair.local_id, rem_tns) or {}).get("status") or {}).get(
                "authParams"
            ),
            left(),
        ):
            out.error(
                "Failed waiting for the Tenant status to be filled: timed out waiting for the condition"
            )
            raise out.fail("Unable to ensure authentication: timed out waiting for the condition")
        out.info("Tenant status is filled")
        tenant_status = (rem.get(rem_tenant, pair.local_id, rem_tns) or {}).get("status") or {}
        loc.apply(
            loc_identity,
            {
                "kind": "Identity",
                "metadata": {
                    "name": f"controlplane-{pair.remote_id}",
                    "namespace": loc_tns,
                    "labels": {REMOTE_ID_LABEL: pair.remote_id},
                },
                "spec": {
                    "clusterID": pair.remote_id,
                    "type": "ControlPlane",
                    "authParams": dict(tenant_status.get("authParams") or {}),
                },
            },
        )
        out.info("Identity correctly applied on consumer cluster")
        out.info("Identity status is filled")
        # offloading
        if ctx.f("create-resource-slice"):
            rs = res(line, "resourceslices")
            resources = {
                k: v
                for k, v in (("cpu", ctx.f("cpu")), ("memory", ctx.f("memory")), ("pods", ctx.f("pods")))
                if v
            }
            for kv in ctx.f("resource") or []:
                k, _, v = kv.partition("=")
                resources[k] = v
            loc.apply(
                rs,
                {
                    "kind": "ResourceSlice",
                    "metadata": {
                        "name": pair.remote_id,
                        "namespace": loc_tns,
                        "labels": {REMOTE_ID_LABEL: pair.remote_id, "liqo.io/replication": "true"},
                        "annotations": {
                            "liqo.io/create-virtual-node": str(bool(ctx.f("create-virtual-node"))).lower()
                        },
                    },
                    "spec": {
                        "class": ctx.f("resource-slice-class"),
                        "providerClusterID": pair.remote_id,
                        "consumerClusterID": pair.local_id,
                        "resources": resources,
                    },
                },
            )
            out.info("ResourceSlice created")

            def accepted(ctype: str) -> Callable[[], bool]:
                def check() -> bool:
                    obj = loc.get(rs, pair.remote_id, loc_tns) or {}
                    return cond_status((obj.get("status") or {}).get("conditions"), ctype) in (
                        "Accepted",
                        "Denied",
                    )

                return check

            if not wait_for(accepted("Authentication"), left()):
                out.error(
                    "Failed waiting for ResourceSlice authentication: timed out waiting for the condition"
                )
                raise out.fail("Unable to ensure offloading: timed out waiting for the condition")
            out.info("ResourceSlice authentication: Accepted")
            wait_for(accepted("Resources"), left())
            obj = loc.get(rs, pair.remote_id, loc_tns) or {}
            if cond_status((obj.get("status") or {}).get("conditions"), "Resources") == "Accepted":
                out.info("ResourceSlice resources: Accepted")
            else:
                out.warn(
                    "ResourceSlice resources not accepted. The provider cluster may have cordoned the tenant "
                    "or the resourceslice"
                )
    except ApiError as exc:
        raise out.fail(exc.message) from None
    return 0


def _peer_network(
    ctx: Ctx,
    pair: Pair,
    loc_tns: str,
    rem_tns: str,
    left: Callable[[], float],
    hopeless_left: Callable[[], float],
) -> None:
    out = ctx.out
    loc, rem = pair.local, pair.remote
    conf = Res("networking.liqo.io", "v1beta1", "configurations", True)
    gws = Res("networking.liqo.io", "v1beta1", "gatewayservers", True)
    gwc = Res("networking.liqo.io", "v1beta1", "gatewayclients", True)
    conn = Res("networking.liqo.io", "v1beta1", "connections", True)
    out.info("Network configuration correctly retrieved")
    for kc, tns, rid in ((loc, loc_tns, pair.remote_id), (rem, rem_tns, pair.local_id)):
        kc.apply(
            conf,
            {
                "kind": "Configuration",
                "metadata": {"name": rid, "namespace": tns, "labels": {REMOTE_ID_LABEL: rid}},
                "spec": {"remote": {"cidr": {"pod": ["10.200.0.0/16"], "external": ["10.70.0.0/16"]}}},
            },
        )
    out.info("Network configuration correctly set up")
    out.info("Configuration applied successfully")
    out.info("Network correctly initialized")
    stype = ctx.f("gw-server-service-type")
    if stype not in ("LoadBalancer", "NodePort", "ClusterIP"):
        raise out.fail(f'Unable to ensure networking: invalid service type "{stype}"')
    server_name = f"gw-{pair.local_id}"
    existing = rem.get(gws, server_name, rem_tns)
    if (
        existing is not None
        and ((existing.get("spec") or {}).get("endpoint") or {}).get("serviceType") != stype
    ):
        rem.delete(gws, server_name, rem_tns)
        out.info("Deleted existing gateway server")
    rem.apply(
        gws,
        {
            "kind": "GatewayServer",
            "metadata": {
                "name": server_name,
                "namespace": rem_tns,
                "labels": {REMOTE_ID_LABEL: pair.local_id},
            },
            "spec": {
                "mtu": int(ctx.f("mtu")),
                "endpoint": {
                    "serviceType": stype,
                    "port": int(ctx.f("gw-server-service-port")),
                    "nodePort": int(ctx.f("gw-server-service-nodeport")) or None,
                    "loadBalancerIP": ctx.f("gw-server-service-loadbalancerip") or None,
                },
            },
        },
    )
    out.info("Gateway server correctly set up")

    def endpoint() -> Obj | None:
        st = (rem.get(gws, server_name, rem_tns) or {}).get("status") or {}
        ep = st.get("endpoint") or {}
        return ep if ep.get("addresses") else None

    def lb_hopeless() -> bool:
        svc = rem.get(SVC, server_name, rem_tns) or {}
        return (svc.get("spec") or {}).get("type") == "LoadBalancer" and not (
            (svc.get("status") or {}).get("loadBalancer") or {}
        ).get("ingress")

    ep = wait_for(endpoint, left(), hopeless=lb_hopeless, hopeless_timeout=hopeless_left())
    if ep is None:
        out.error(
            "Failed waiting for gateway server Service to be created: timed out waiting for the condition"
        )
        raise out.fail("Unable to ensure networking: timed out waiting for the condition")
    out.info(f"Gateway pod {server_name} is ready")
    out.info("Gateway server Service created successfully")
    client_name = f"gw-{pair.remote_id}"
    loc.apply(
        gwc,
        {
            "kind": "GatewayClient",
            "metadata": {
                "name": client_name,
                "namespace": loc_tns,
                "labels": {REMOTE_ID_LABEL: pair.remote_id},
            },
            "spec": {
                "mtu": int(ctx.f("mtu")),
                "endpoint": {"addresses": ep.get("addresses"), "port": ep.get("port"), "protocol": "UDP"},
            },
        },
    )
    out.info("Gateway client correctly set up")
    out.info(f"Gateway pod {client_name} is ready")
    out.info("Secrets correctly exchanged")
    out.info("Public keys correctly exchanged")

    def connected(kc: KubeClient, tns: str) -> Callable[[], bool]:
        def check() -> bool:
            return any(((c.get("status") or {}).get("value") == "Connected") for c in kc.list(conn, tns))

        return check

    def conn_hopeless() -> bool:
        return str(ep.get("serviceType", "")) == "ClusterIP" if ep else False

    for kc, tns in ((loc, loc_tns), (rem, rem_tns)):
        out.step("Waiting for Connection status to be established")
        if not wait_for(connected(kc, tns), left(), hopeless=conn_hopeless, hopeless_timeout=hopeless_left()):
            out.error(
                "Failed waiting for Connection status to be established: timed out waiting for the condition"
            )
            raise out.fail("Unable to ensure networking: timed out waiting for the condition")
        out.info("Connection created successfully")
        out.info("Connection is established")


def _absent(kc: KubeClient, r: Res, namespace: str) -> Callable[[], bool]:
    def check() -> bool:
        return kc.get(NS, namespace) is None or not kc.list(r, namespace)

    return check


def cmd_unpeer_v1(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    pair = _pair(ctx)
    loc, rem = pair.local, pair.remote
    fcr = res(line, "foreignclusters")
    timeout = float(ctx.f("timeout"))
    try:
        fc = loc.get(fcr, pair.remote_id) if loc.get(CRD, line.fc_key) else None
        if fc is None:
            raise out.fail(
                "an error occurred while checking bidirectional peering: "
                f'{line.fc_key} "foreign cluster with ID {pair.remote_id}" not found'
            )
        rem_fc = rem.get(fcr, pair.local_id) or {}
        bidirectional = (rem_fc.get("status") or {}).get("role") in ("Provider", "ConsumerAndProvider")
        if bidirectional and ctx.f("delete-namespaces"):
            raise out.fail("cannot delete the tenant namespaces: the peering is bidirectional")
        loc_tns = f"liqo-tenant-{pair.remote_id}"
        rem_tns = f"liqo-tenant-{pair.local_id}"
        for plural, label in (("resourceslices", "resourceslices"), ("virtualnodes", "virtualnodes")):
            r = res(line, plural)
            out.step(f"Deleting {label}")
            items = loc.list(r, loc_tns) if loc.get(NS, loc_tns) else []
            for it in items:
                loc.delete(r, it["metadata"]["name"], loc_tns)
            out.info(f"All {label} deleted" if items else f"No {label} found")
            if ctx.f("wait"):
                out.step(f"Waiting for {label.replace('resourceslices', 'resource slices')} to be deleted")
                if not wait_for(_absent(loc, r, loc_tns), timeout):
                    raise out.fail(
                        f"Failed waiting for {label} deletion: timed out waiting for the condition"
                    )
                out.info(f"Ensured {label} absence")
        if ctx.f("wait"):
            wait_for(
                lambda: (
                    not loc.list(
                        NODES, labels={REMOTE_ID_LABEL: pair.remote_id, "liqo.io/type": "virtual-node"}
                    )
                ),
                timeout,
            )
        ident_r = Res("authentication.liqo.io", "v1beta1", "identities", True)
        tenant_r = Res("authentication.liqo.io", "v1beta1", "tenants", True)
        out.step("Deleting identity")
        gone = [
            loc.delete(ident_r, i["metadata"]["name"], loc_tns)
            for i in (loc.list(ident_r, loc_tns) if loc.get(NS, loc_tns) else [])
        ]
        out.info("Identity correctly deleted" if gone else "Identity already deleted")
        out.step("Deleting tenant")
        gone = [
            rem.delete(tenant_r, t["metadata"]["name"], rem_tns)
            for t in (rem.list(tenant_r, rem_tns) if rem.get(NS, rem_tns) else [])
        ]
        out.info("Tenant correctly deleted" if gone else "Tenant already deleted")
        if not bidirectional:
            conf = Res("networking.liqo.io", "v1beta1", "configurations", True)
            gws = Res("networking.liqo.io", "v1beta1", "gatewayservers", True)
            gwc = Res("networking.liqo.io", "v1beta1", "gatewayclients", True)
            for what, kc, r, name, tns in (
                ("gateway client", loc, gwc, f"gw-{pair.remote_id}", loc_tns),
                ("gateway server", rem, gws, f"gw-{pair.local_id}", rem_tns),
            ):
                out.step(f"Deleting {what}")
                done = kc.delete(r, name, tns) if kc.get(NS, tns) else False
                out.info(
                    f"{what.capitalize()} correctly deleted"
                    if done
                    else f"{what.capitalize()} already deleted"
                )
            out.step("Deleting network configuration")
            done = False
            for kc, tns, rid in ((loc, loc_tns, pair.remote_id), (rem, rem_tns, pair.local_id)):
                if kc.get(NS, tns):
                    done = kc.delete(conf, rid, tns) or done
            out.info(
                "Network configuration correctly deleted" if done else "Network configuration already deleted"
            )
        time.sleep(sim_delay("unpeer"))
        if ctx.f("delete-namespaces"):
            out.step("Deleting tenant namespaces")
            loc.delete(NS, loc_tns)
            rem.delete(NS, rem_tns)
            out.info("Tenant namespaces correctly deleted")
    except ApiError as exc:
        raise out.fail(exc.message) from None
    return 0


# --------------------------------------------------------------------------------------------
# offload / unoffload
# --------------------------------------------------------------------------------------------


def _nso_res(line: Line) -> Res:
    return Res("offloading.liqo.io", line.offloading_version, "namespaceoffloadings", True)


def cmd_offload(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    namespace = ctx.args[0]
    mapping = ctx.f("namespace-mapping-strategy")
    pod = ctx.f("pod-offloading-strategy")
    if pod not in ("Local", "Remote", "LocalAndRemote"):
        raise CobraError(
            f'invalid argument "{pod}" for "--pod-offloading-strategy" flag: '
            "allowed values are Local, Remote, LocalAndRemote"
        )
    allowed = ["EnforceSameName", "DefaultName"] + (["SelectedName"] if line.v1 or line.minor >= 10 else [])
    if mapping not in allowed:
        raise CobraError(
            f'invalid argument "{mapping}" for "--namespace-mapping-strategy" flag: '
            f"allowed values are {', '.join(allowed)}"
        )
    try:
        # One term per --selector (OR); an empty selector matches every cluster (no default term).
        terms = [parse_term(sel) for sel in ctx.f("selector") or []]
    except SelectorError as exc:
        raise ctx.out.fail(str(exc)) from None
    spec: Obj = {
        "namespaceMappingStrategy": mapping,
        "podOffloadingStrategy": pod,
        "clusterSelector": {"nodeSelectorTerms": terms},
    }
    if ctx.f("remote-namespace-name"):
        spec["remoteNamespaceName"] = ctx.f("remote-namespace-name")
    nso_r = _nso_res(line)
    obj: Obj = {
        "apiVersion": nso_r.api_version,
        "kind": "NamespaceOffloading",
        "metadata": {"name": "offloading", "namespace": namespace},
        "spec": spec,
    }
    if ctx.f("output") in ("json", "yaml"):
        Printer.result(
            json.dumps(obj, indent=4) + "\n"
            if ctx.f("output") == "json"
            else yaml.safe_dump(obj, sort_keys=False)
        )
        return 0
    kc = client(ctx)
    out.step(f'Enabling namespace offloading for "{namespace}"')
    try:
        if kc.get(CRD, "namespaceoffloadings.offloading.liqo.io") is None:
            raise ApiError(
                404, "NotFound", f'no matches for kind "NamespaceOffloading" in version "{nso_r.api_version}"'
            )
        if kc.get(NS, namespace) is None:
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found')
        current = kc.get(nso_r, "offloading", namespace)
        if current is not None:
            cur_spec = current.get("spec") or {}
            if cur_spec.get("namespaceMappingStrategy") != mapping:
                raise ApiError(
                    403,
                    "Forbidden",
                    'admission webhook "nsoff.validate.liqo.io" denied the request: '
                    "The NamespaceMappingStrategy value cannot be modified after creation",
                )
            if line.v1 and (cur_spec.get("remoteNamespaceName") or "") != (
                spec.get("remoteNamespaceName") or ""
            ):
                raise ApiError(
                    403,
                    "Forbidden",
                    'admission webhook "nsoff.validate.liqo.io" denied the request: '
                    "The RemoteNamespaceName value cannot be modified after creation",
                )
            restrictive = {"LocalAndRemote": 0, "Local": 1, "Remote": 1}
            was = cur_spec.get("podOffloadingStrategy")
            current["spec"] = {**cur_spec, **spec}
            kc.update(nso_r, current)
            if was != pod and restrictive.get(pod, 0) > restrictive.get(str(was), 0):
                out.warn("The pod offloading strategy was tightened: pods already running may violate it")
                out.warn("Delete and recreate them to enforce the new strategy")
        else:
            kc.create(nso_r, obj)
    except ApiError as exc:
        raise out.fail(f"Failed enabling namespace offloading: {exc.message}") from None
    out.info(f'Offloading of namespace "{namespace}" correctly enabled')
    out.step(f'Waiting for offloading of namespace "{namespace}" to complete')

    def settled() -> str | None:
        o = kc.get(nso_r, "offloading", namespace) or {}
        st = o.get("status") or {}
        if st.get("observedGeneration") != (o.get("metadata") or {}).get("generation"):
            return None
        phase = str(st.get("offloadingPhase") or "")
        return phase if phase in ("Ready", "NoClusterSelected", "SomeFailed", "AllFailed") else None

    phase = wait_for(settled, float(ctx.f("timeout")), interval=0.1)
    if phase is None:
        raise out.fail("Failed waiting for offloading to complete: timed out waiting for the condition")
    if phase == "Ready":
        out.info("Offloading completed successfully")
    elif phase == "NoClusterSelected":
        out.warn("Offloading completed, but no cluster was selected")
    else:
        raise out.fail(f'Failed waiting for offloading to complete: the offloading is in "{phase}" state')
    return 0


def cmd_unoffload(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    if line.has_skip_confirm:
        confirm(ctx, "unoffload")
    namespace = ctx.args[0]
    kc = client(ctx)
    nso_r = _nso_res(line)
    out.step(f'Disabling namespace offloading for "{namespace}"')
    try:
        if kc.get(CRD, "namespaceoffloadings.offloading.liqo.io") is None:
            raise ApiError(
                404, "NotFound", f'no matches for kind "NamespaceOffloading" in version "{nso_r.api_version}"'
            )
        if kc.get(NS, namespace) is not None:
            kc.delete(nso_r, "offloading", namespace)
    except ApiError as exc:
        raise out.fail(f"Failed disabling namespace offloading: {exc.message}") from None
    out.info(f'Offloading of namespace "{namespace}" correctly disabled')
    out.step(f'Waiting for unoffloading of namespace "{namespace}" to complete')
    ok = wait_for(
        lambda: kc.get(NS, namespace) is None or kc.get(nso_r, "offloading", namespace) is None,
        float(ctx.f("timeout")),
        interval=0.1,
    )
    if not ok:
        raise out.fail("Failed waiting for unoffloading to complete: timed out waiting for the condition")
    out.info("Unoffloading completed successfully")
    return 0


# --------------------------------------------------------------------------------------------
# the command tree, per line
# --------------------------------------------------------------------------------------------


def _group(name: str, subs: list[Command], **kw: Any) -> Command:
    return Command(name, subs=subs, args=None, **kw)


def build(line: Line) -> Command:
    v0 = line.v0
    ns_flag = Flag("namespace", "str", "liqo", "n")
    persistent = [
        Flag("kubeconfig", "str", ""),
        Flag("context", "str", ""),
        Flag("cluster", "str", ""),
        Flag("user", "str", ""),
        Flag("verbose", "bool", False, "v"),
    ]
    if line.has_skip_confirm:
        persistent.append(Flag("skip-confirm", "bool", False))
    if line.v1:
        persistent += [Flag("global-labels", "list", []), Flag("global-annotations", "list", [])]
    remote = [
        Flag("remote-kubeconfig", "str", ""),
        Flag("remote-context", "str", ""),
        Flag("remote-cluster", "str", ""),
        Flag("remote-user", "str", ""),
        Flag("remote-namespace", "str", "liqo"),
    ]

    install_flags = [
        ns_flag,
        Flag("version", "str", ""),
        Flag("repo-url", "str", "https://github.com/liqotech/liqo"),
        Flag("local-chart-path", "str", ""),
        Flag("only-output-values", "bool", False),
        Flag("dump-values-path", "str", ""),
        Flag("dry-run", "bool", False),
        Flag("timeout", "dur", 600.0),
        Flag("cluster-labels", "list", []),
        Flag("reserved-subnets", "list", []),
        Flag("set", "list", []),
        Flag("disable-api-server-sanity-check", "bool", False),
        Flag("skip-validation", "bool", False),
        Flag("enable-metrics", "bool", False),
        Flag("disable-telemetry", "bool", False),
    ]
    if v0:
        install_flags += [
            Flag("cluster-name", "str", ""),
            Flag("sharing-percentage", "int", 90),
            Flag("enable-ha", "bool", False),
        ]
        if line.minor >= 10:
            install_flags += [Flag("values", "list", []), Flag("service-type", "str", "")]
    else:
        install_flags += [
            Flag("cluster-id", "str", ""),
            Flag("set-string", "list", []),
            Flag("values", "list", []),
            Flag("disable-kernel-version-check", "bool", False),
        ]
    bare = [Flag("pod-cidr", "str", ""), Flag("service-cidr", "str", ""), Flag("api-server-url", "str", "")]
    install = Command(
        "install",
        flags=bare,
        persistent=install_flags,
        aliases=("upgrade",),
        run=cmd_install,
        subs=[Command(p, run=cmd_install) for p in ("kind", "kubeadm", "k3s", "eks", "gke", "aks")],
    )

    offload_flags = [
        Flag("pod-offloading-strategy", "str", "LocalAndRemote"),
        Flag("namespace-mapping-strategy", "str", "DefaultName"),
        Flag("selector", "array", [], "l"),
        Flag("output", "str", "", "o"),
        Flag("timeout", "dur", 20.0),
    ]
    if line.v1 or line.minor >= 10:
        offload_flags.append(Flag("remote-namespace-name", "str", ""))
    ns_aliases = ("ns", "namespaces") if line.v1 and (line.minor, line.patch) >= (0, 1) else ("ns",)
    offload = _group(
        "offload",
        [Command("namespace", flags=offload_flags, aliases=ns_aliases, args=(1, 1), run=cmd_offload)],
    )
    unoffload = _group(
        "unoffload",
        [
            Command(
                "namespace",
                flags=[Flag("timeout", "dur", 120.0)],
                aliases=ns_aliases,
                args=(1, 1),
                run=cmd_unoffload,
            )
        ],
    )
    cmds = [
        Command("version", flags=[Flag("client", "bool", False), ns_flag], run=cmd_version),
        install,
        Command(
            "uninstall",
            flags=[ns_flag, Flag("purge", "bool", False), Flag("timeout", "dur", 600.0)],
            run=cmd_uninstall,
        ),
        offload,
        unoffload,
    ]
    if v0:
        oob_flags = [
            ns_flag,
            Flag("auth-url", "str", "", required=True),
            Flag("cluster-id", "str", "", required=True),
            Flag("auth-token", "str", "", required=True),
        ]
        unpeer_flags: list[Flag] = []
        if line.minor >= 10:
            oob_flags.append(Flag("incoming", "bool", False))
            unpeer_flags.append(Flag("incoming", "bool", False))
        cmds += [
            _group(
                "generate",
                [
                    Command(
                        "peer-command",
                        flags=[Flag("only-command", "bool", False), ns_flag],
                        run=cmd_generate_peer,
                    )
                ],
            ),
            _group(
                "peer",
                [Command("out-of-band", flags=oob_flags, aliases=("oob",), args=(1, 1), run=cmd_peer_oob)],
                persistent=[Flag("timeout", "dur", 120.0)],
            ),
            _group(
                "unpeer",
                [
                    Command(
                        "out-of-band", flags=unpeer_flags, aliases=("oob",), args=(1, 1), run=cmd_unpeer_oob
                    )
                ],
                persistent=[Flag("timeout", "dur", 120.0)],
            ),
            Command(
                "status",
                persistent=[ns_flag],
                run=cmd_status,
                subs=[Command("peer", aliases=("peers",), args=(0, 1000), run=cmd_status_peer)],
            ),
        ]
    else:
        peer_flags = [
            ns_flag,
            *remote,
            Flag("timeout", "dur", 600.0),
            Flag("skip-validation", "bool", False),
            Flag("networking-disabled", "bool", False),
            Flag("gw-server-service-location", "str", "Provider"),
            Flag("gw-server-service-type", "str", "LoadBalancer"),
            Flag("gw-server-service-port", "int", 51840),
            Flag("gw-server-service-nodeport", "int", 0),
            Flag("gw-server-service-loadbalancerip", "str", ""),
            Flag("gw-client-address", "str", ""),
            Flag("gw-client-port", "int", 0),
            Flag("mtu", "int", 1340),
            Flag("create-resource-slice", "bool", True),
            Flag("resource-slice-class", "str", "default"),
            Flag("in-band", "bool", False),
            Flag("proxy-url", "str", ""),
            Flag("create-virtual-node", "bool", True),
            Flag("cpu", "str", ""),
            Flag("memory", "str", ""),
            Flag("pods", "str", ""),
        ]
        if line.minor >= 2:
            peer_flags.append(Flag("resource", "list", []))
        cmds += [
            _group("generate", [Command(n, run=lambda ctx: 0) for n in ("peering-user", "kubeconfig")]),
            Command("peer", flags=peer_flags, run=cmd_peer_v1),
            Command(
                "unpeer",
                flags=[
                    ns_flag,
                    *remote,
                    Flag("timeout", "dur", 120.0),
                    Flag("wait", "bool", True),
                    Flag("delete-namespaces", "bool", False),
                ],
                run=cmd_unpeer_v1,
            ),
            Command(
                "info",
                persistent=[ns_flag, Flag("output", "str", "", "o"), Flag("get", "str", "", "g")],
                run=cmd_info,
                subs=[Command("peer", args=(0, 1000), run=cmd_info_peer)],
            ),
        ]
    return _group(PROG, cmds, persistent=persistent)


def _help(chain: list[Command]) -> str:
    cmd = chain[-1]
    path = " ".join(c.name for c in chain)
    lines = [f"Usage:\n  {path}" + (" [command]" if cmd.subs else " [flags]"), ""]
    if cmd.subs:
        lines.append("Available Commands:")
        lines += [f"  {s.name}" for s in cmd.subs]
        lines.append("")
    flags = _all_flags(chain)
    if flags:
        lines.append("Flags:")
        for fl in sorted(flags, key=lambda f: f.name):
            short = f"-{fl.short}, " if fl.short else "    "
            lines.append(f"  {short}--{fl.name}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    version = client_version()
    line = line_of(version)
    root = build(line)
    try:
        chain, flags, args, want_help = parse_argv(root, list(argv))
        cmd = chain[-1]
        path = " ".join(c.name for c in chain)
        if want_help:
            sys.stdout.write(_help(chain))
            return 0
        if cmd.run is None:
            if args:
                raise CobraError(f'unknown command "{args[0]}" for "{path}"')
            sys.stdout.write(_help(chain))
            return 0
        lo, hi = cmd.args or (0, 0)
        if hi == 0 and args:
            raise CobraError(f'unknown command "{args[0]}" for "{path}"')
        if not lo <= len(args) <= hi:
            raise CobraError(
                f"accepts {lo} arg(s), received {len(args)}"
                if lo == hi
                else f"accepts between {lo} and {hi} arg(s), received {len(args)}"
            )
        missing = sorted(f.name for f in _all_flags(chain) if f.required and f.name not in flags["__seen__"])
        if missing:
            raise CobraError("required flag(s) " + ", ".join(f'"{m}"' for m in missing) + " not set")
        ctx = Ctx(line, version, [c.name for c in chain], flags, args, Printer(line))
        return cmd.run(ctx)
    except CobraError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"Error: {exc}\n")
        sys.stderr.flush()
        return 1
    except Failed:
        return 1
    except KeyboardInterrupt:
        return 1

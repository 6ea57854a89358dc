"""Container image behaviours: what each image serves, runs and contains; one registry for all of them.

An image is registered with `register_image(repo, Behaviour)` (or a prefix with `prefix=True`); the
shell in a container is sim/shell.py, its file system the Behaviour's ImageFs.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liqo_tutor.sim.shell import ShellContext
    from liqo_tutor.sim.store import Cluster, Obj, World

__all__ = [
    "Behaviour",
    "HttpResponse",
    "ImageFs",
    "behaviour_for",
    "container_argv",
    "flights_schedule",
    "http_get",
    "image_repo",
    "register_image",
    "resolve_host",
    "run_container",
    "shell_context",
]


def image_repo(image: str) -> str:
    """`docker.io/library/nginx:1.25@sha256:..` -> `nginx`; keeps non-Docker-Hub registries."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref = ref[: len(ref) - len(last)] + last.split(":", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix) :]
            break
    if ref.startswith("library/"):
        ref = ref[len("library/") :]
    return ref


def docker_ref(image: str) -> str:
    """Fully qualified reference the kubelet reports: `docker.io/library/x:latest`."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" not in last:
        ref += ":latest"
    first = ref.split("/", 1)[0]
    if "/" not in ref:
        return f"docker.io/library/{ref}"
    if "." in first or ":" in first or first == "localhost":
        return ref
    return f"docker.io/{ref}"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: str
    content_type: str = "text/plain"


# serve(port, method, path, headers, pod): the answer of the pod's server to one HTTP request
Serve = Callable[[int, str, str, dict[str, str], "Obj"], HttpResponse]


@dataclass(frozen=True)
class ImageFs:
    """What `sh` finds in the image: its shell flavour, user, directories, files and programs."""

    shell: str | None = None  # "ash" (busybox), "dash" (Debian) or None: no shell in the image
    user: str = "root"
    home: str = "/root"
    workdir: str = "/"
    programs: frozenset[str] = frozenset()
    dirs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()


@dataclass(frozen=True)
class Behaviour:
    """kind: `server` (long-running, serves `ports`), `oneshot` (runs, exits), `unknown` (cannot pull)."""

    kind: str
    ports: tuple[int, ...] = ()
    start_delay: str = "pod_start"
    startup_log: str = ""
    serve: Serve | None = None
    fs: ImageFs = ImageFs()
    # ready(world, cluster, pod, now): readiness of a running container (None: ready once started)
    ready: Callable[[World, Cluster, Obj, float], bool] | None = None
    # process(container): "server"/"oneshot" for this container's command (None: `kind` for any command)
    process: Callable[[Obj], str] | None = None
    # listen(container): the ports this container's process listens on, e.g. from its env (None: `ports`)
    listen: Callable[[Obj], tuple[int, ...]] | None = None


# --- flights-service ----------------------------------------------------------------------------

_CARRIERS = ("UA", "AA", "B6", "DL", "EV", "MQ", "US", "WN", "VX", "AS")
_ORIGINS = ("EWR", "LGA", "JFK")
_DESTS = (
    "IAH",
    "MIA",
    "BQN",
    "ATL",
    "ORD",
    "FLL",
    "IAD",
    "MCO",
    "PBI",
    "TPA",
    "LAX",
    "SFO",
    "DFW",
    "BOS",
    "LAS",
    "MSP",
    "DTW",
    "RSW",
    "SJU",
    "PHX",
    "BWI",
    "CLT",
    "BUF",
    "DEN",
    "SEA",
    "SLC",
    "XNA",
    "MDW",
    "RDU",
    "SAN",
)


def _flights() -> list[dict[str, Any]]:
    flights = []
    for i in range(32):
        sched = 300 + i * 35  # every 35 minutes from 05:00
        hour, minute = divmod(sched, 60)
        dep = hour * 100 + minute
        delay = ((i * 7) % 23) - 5
        arr_minutes = sched + 120 + (i * 13) % 200
        arr = (arr_minutes // 60 % 24) * 100 + arr_minutes % 60
        flights.append(
            {
                "id": i + 1,
                "year": 2013,
                "month": 1,
                "day": 1,
                "dep_time": ((sched + delay) // 60 % 24) * 100 + (sched + delay) % 60,
                "sched_dep_time": dep,
                "dep_delay": delay,
                "arr_time": arr,
                "sched_arr_time": arr,
                "arr_delay": delay,
                "carrier": _CARRIERS[i % len(_CARRIERS)],
                "flight": 100 + (i * 37) % 1900,
                "tailnum": f"N{(i * 4133) % 900 + 100}UA",
                "origin": _ORIGINS[i % 3],
                "dest": _DESTS[i % len(_DESTS)],
                "air_time": 100 + (i * 11) % 250,
                "distance": 200 + (i * 97) % 2500,
                "hour": hour,
                "minute": minute,
                "time_hour": f"2013-01-01T{hour:02d}:00:00Z",
            }
        )
    return flights


def flights_schedule(now: float | None = None) -> list[dict[str, Any]]:
    """Today's flights that have already been scheduled to depart (UTC time of day), like the real app."""
    t = time.gmtime(time.time() if now is None else now)
    hhmm = t.tm_hour * 100 + t.tm_min
    return [f for f in _flights() if f["sched_dep_time"] <= hhmm]


_FLIGHTS_HTML = """<!DOCTYPE html>
<html>
<head><title>Flights service</title></head>
<body>
<h1>Flights schedule</h1>
<p>Ask for <code>application/json</code> to get today's schedule.</p>
</body>
</html>
"""


def serve_flights(port: int, method: str, path: str, headers: dict[str, str], pod: Obj) -> HttpResponse:
    route = urllib.parse.urlsplit(path).path
    if route != "/schedule":
        return HttpResponse(404, "Not Found")
    accept = {k.lower(): v for k, v in headers.items()}.get("accept", "")
    if "application/json" in accept.lower():
        return HttpResponse(200, json.dumps(flights_schedule(), separators=(",", ":")), "application/json")
    return HttpResponse(200, _FLIGHTS_HTML, "text/html")


_REGISTRY: dict[str, Behaviour] = {}
_PREFIXES: list[tuple[str, Behaviour]] = []


def register_image(repo: str, behaviour: Behaviour, *, prefix: bool = False) -> None:
    """Make `repo` (as image_repo() names it: `nginx`, `curlimages/curl`) behave as `behaviour`."""
    if prefix:
        _PREFIXES.insert(0, (repo, behaviour))
    else:
        _REGISTRY[repo] = behaviour


def behaviour_for(image: str) -> Behaviour:
    from liqo_tutor.sim import image_catalog  # registers the known images once

    image_catalog.load()
    repo = image_repo(image)
    tag = image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
    found = _REGISTRY.get(f"{repo}:{tag}") or _REGISTRY.get(repo)
    if found is not None:
        return found
    for start, beh in _PREFIXES:
        if repo.startswith(start):
            if repo.startswith("ghcr.io/liqotech/") and not beh.startup_log:
                name = repo.rsplit("/", 1)[-1]
                return Behaviour(
                    beh.kind,
                    beh.ports,
                    beh.start_delay,
                    f"I0101 00:00:00.000000       1 main.go:1] starting {name}\n",
                    beh.serve,
                    beh.fs,
                )
            return beh
    return Behaviour("unknown")


def pull_error_message(image: str) -> str:
    ref = docker_ref(image)
    return (
        f'Failed to pull image "{image}": failed to pull and unpack image "{ref}": failed to resolve '
        f'reference "{ref}": pull access denied, repository does not exist or may require authorization: '
        "server message: insufficient_scope: authorization failed"
    )


# --- networking seen from a pod -----------------------------------------------------------------


@dataclass(frozen=True)
class _Conn:
    ok: bool
    response: HttpResponse | None = None
    error: int = 0  # curl exit code when not ok


def resolve_host(cluster: Cluster, namespace: str, host: str) -> str | None:
    host = host.rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    parts = host.split(".")
    svc_ns: tuple[str, str] | None = None
    if len(parts) == 1:
        svc_ns = (parts[0], namespace)
    elif len(parts) == 2:
        svc_ns = (parts[0], parts[1])
    elif len(parts) == 3 and parts[2] == "svc":
        svc_ns = (parts[0], parts[1])
    elif len(parts) == 5 and parts[2:] == ["svc", "cluster", "local"]:
        svc_ns = (parts[0], parts[1])
    if svc_ns is None:
        return None
    svc = cluster.objects.get("services", {}).get((svc_ns[1], svc_ns[0]))
    if svc is None:
        return None
    ip = svc.get("spec", {}).get("clusterIP")
    return ip if ip and ip != "None" else None


def pod_server(
    world: World, cluster_name: str, namespace: str, name: str, port: int
) -> tuple[Behaviour, Obj] | None:
    cluster = world.clusters.get(cluster_name)
    if cluster is None:
        return None
    pod = cluster.objects.get("pods", {}).get((namespace, name))
    if pod is None or pod.get("metadata", {}).get("deletionTimestamp"):
        return None
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return None
    if not any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
    ):
        return None
    for container in pod.get("spec", {}).get("containers") or []:
        beh = behaviour_for(container.get("image", ""))
        ports = beh.listen(container) if beh.listen is not None else beh.ports
        if beh.kind == "server" and port in ports and beh.serve is not None:
            _serving.where = (world, cluster_name)
            return beh, pod
    return None


_serving = threading.local()  # (world, cluster name) of the pod found last by pod_server() in this thread


def serving() -> tuple[World, str] | None:
    """Where the pod whose `serve` runs now lives (its serve may call other pods, e.g. gRPC backends)."""
    return getattr(_serving, "where", None)


def http_get(world: World, cluster: Cluster, ip: str, port: int, path: str, headers: dict[str, str]) -> _Conn:
    """One HTTP request from a pod of `cluster` to ip:port, through Services and the world's routes."""
    targets: list[tuple[str, int]] = []
    svc = next(
        (s for s in cluster.objects.get("services", {}).values() if s.get("spec", {}).get("clusterIP") == ip),
        None,
    )
    if svc is not None:
        sport = next((p for p in svc.get("spec", {}).get("ports") or [] if p.get("port") == port), None)
        if sport is None:
            return _Conn(False, error=7)
        svc_ns, svc_name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        for es in cluster.objects.get("endpointslices.discovery.k8s.io", {}).values():
            meta = es.get("metadata", {})
            if (
                meta.get("namespace") != svc_ns
                or (meta.get("labels") or {}).get("kubernetes.io/service-name") != svc_name
            ):
                continue
            eport = next(
                (
                    p.get("port")
                    for p in es.get("ports") or []
                    if (p.get("name") or "") == (sport.get("name") or "")
                ),
                None,
            )
            if eport is None:
                continue
            for ep in es.get("endpoints") or []:
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                for addr in ep.get("addresses") or []:
                    targets.append((addr, int(eport)))
    else:
        targets.append((ip, port))
    for addr, tport in targets:
        ref = world.resolve_ip(cluster, addr)
        if ref is None:
            continue
        found = pod_server(world, ref.cluster, ref.namespace, ref.name, tport)
        if found is not None and found[0].serve is not None:
            return _Conn(True, found[0].serve(tport, "GET", path, headers, found[1]))
    return _Conn(False, error=7)


# --- processes ----------------------------------------------------------------------------------


def container_argv(container: Obj) -> list[str]:
    """The process a container starts: command/args over the image's ENTRYPOINT/CMD."""
    fs = behaviour_for(container.get("image", "")).fs
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    if command:
        return command + args
    entry = list(fs.entrypoint)
    if entry == ["/entrypoint.sh"]:
        # curlimages/curl's entrypoint: an option or a non-program first word means curl's arguments
        args = args or list(fs.cmd)
        if not args or args[0].startswith("-") or args[0].rsplit("/", 1)[-1] not in fs.programs:
            args = ["curl", *args]
        return args
    return entry + (args or list(fs.cmd))


def shell_context(
    world: World, cluster: Cluster, pod: Obj, container: Obj, *, tty: bool = False
) -> ShellContext:
    """Where the container's commands run: its pod's namespace and hostname, its image, its env."""
    from liqo_tutor.sim.shell import ShellContext

    env: dict[str, str] = {}
    if tty:
        env["TERM"] = "xterm"
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
    kube = cluster.objects.get("services", {}).get(("default", "kubernetes"))
    if kube is not None:
        env["KUBERNETES_SERVICE_HOST"] = kube.get("spec", {}).get("clusterIP", "")
        env["KUBERNETES_SERVICE_PORT"] = "443"
    meta = pod.get("metadata", {})
    return ShellContext(
        world=world,
        cluster=cluster,
        namespace=meta.get("namespace", "default"),
        hostname=meta.get("name", ""),
        fs=behaviour_for(container.get("image", "")).fs,
        env=env,
        tty=tty,
    )


def run_container(world: World, cluster: Cluster, pod: Obj, container: Obj) -> tuple[str, int]:
    """Run a one-shot container now: (its log text, its exit code)."""
    from liqo_tutor.sim.shell import Shell

    shell = Shell(shell_context(world, cluster, pod, container))
    res = shell.run_argv(container_argv(container), "")
    return res.out + res.err, res.code

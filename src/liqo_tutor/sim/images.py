"""Container image behaviours: flights-service, curl images (with a jq pipeline), system images, unknown."""

from __future__ import annotations

import ipaddress
import json
import shlex
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liqo_tutor.sim.store import Cluster, Obj, World

__all__ = [
    "Behaviour",
    "HttpResponse",
    "behaviour_for",
    "flights_schedule",
    "http_get",
    "image_repo",
    "run_container",
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


@dataclass(frozen=True)
class Behaviour:
    """kind: `server` (long-running, serves `ports`), `oneshot` (runs, exits), `unknown` (cannot pull)."""

    kind: str
    ports: tuple[int, ...] = ()
    start_delay: str = "pod_start"
    startup_log: str = ""
    serve: Callable[[int, str, str, dict[str, str]], HttpResponse] | None = None


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


def _serve_flights(port: int, method: str, path: str, headers: dict[str, str]) -> HttpResponse:
    route = urllib.parse.urlsplit(path).path
    if route != "/schedule":
        return HttpResponse(404, "Not Found")
    accept = {k.lower(): v for k, v in headers.items()}.get("accept", "")
    if "application/json" in accept.lower():
        return HttpResponse(200, json.dumps(flights_schedule(), separators=(",", ":")), "application/json")
    return HttpResponse(200, _FLIGHTS_HTML, "text/html")


def _serve_nginx(port: int, method: str, path: str, headers: dict[str, str]) -> HttpResponse:
    if urllib.parse.urlsplit(path).path in ("/", "/index.html"):
        return HttpResponse(
            200,
            "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n"
            "<body>\n<h1>Welcome to nginx!</h1>\n</body>\n</html>\n",
            "text/html",
        )
    return HttpResponse(
        404,
        "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 "
        "Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        "text/html",
    )


_ONESHOT = {"curlimages/curl", "dwdraju/alpine-curl-jq", "busybox", "alpine"}


def behaviour_for(image: str) -> Behaviour:
    repo = image_repo(image)
    if repo == "liqo/flights-service":
        return Behaviour(
            "server", (7999,), "pod_start", "Listening on http://0.0.0.0:7999/\n", _serve_flights
        )
    if repo == "nginx":
        return Behaviour("server", (80,), "pod_start", "", _serve_nginx)
    if repo in _ONESHOT:
        return Behaviour("oneshot", (), "pod_start")
    if repo.startswith("ghcr.io/liqotech/"):
        return Behaviour(
            "server",
            (),
            "liqo_pod_start",
            f"I0101 00:00:00.000000       1 main.go:1] starting {repo.rsplit('/', 1)[-1]}\n",
        )
    if repo.startswith(("kindest/", "registry.k8s.io/", "k8s.gcr.io/")):
        return Behaviour("server", (), "pod_start")
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


def _resolve_host(cluster: Cluster, namespace: str, host: str) -> str | None:
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


def _pod_serves(world: World, cluster_name: str, namespace: str, name: str, port: int) -> Behaviour | None:
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
        if beh.kind == "server" and port in beh.ports and beh.serve is not None:
            return beh
    return None


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
        beh = _pod_serves(world, ref.cluster, ref.namespace, ref.name, tport)
        if beh is not None and beh.serve is not None:
            return _Conn(True, beh.serve(tport, "GET", path, headers))
    return _Conn(False, error=7)


# --- commands ---------------------------------------------------------------------------------


@dataclass
class _Result:
    out: str = ""
    err: str = ""
    code: int = 0


def _curl(world: World, cluster: Cluster, namespace: str, argv: list[str]) -> _Result:
    silent = show_error = fail = False
    write_out = ""
    output_file = ""
    headers: dict[str, str] = {}
    url = ""
    include = False
    i = 0
    takes_arg = {
        "-H",
        "--header",
        "-m",
        "--max-time",
        "-o",
        "--output",
        "-w",
        "--write-out",
        "-X",
        "--request",
        "--connect-timeout",
        "-A",
        "--user-agent",
        "-d",
        "--data",
        "-u",
        "--user",
        "--retry",
    }
    while i < len(argv):
        a = argv[i]
        val = ""
        if a.startswith("--"):
            if "=" in a and a.split("=", 1)[0] in takes_arg:
                a, val = a.split("=", 1)
            elif a in takes_arg:
                i += 1
                val = argv[i] if i < len(argv) else ""
            opts = [(a, val)]
        elif a.startswith("-") and len(a) > 1:
            opts = []
            letters = a[1:]
            for j, ch in enumerate(letters):
                if f"-{ch}" in takes_arg:
                    rest = letters[j + 1 :]
                    if rest:
                        opts.append((f"-{ch}", rest))
                    else:
                        i += 1
                        opts.append((f"-{ch}", argv[i] if i < len(argv) else ""))
                    break
                opts.append((f"-{ch}", ""))
        else:
            url = a
            opts = []
        for opt, v in opts:
            if opt in ("-s", "--silent"):
                silent = True
            elif opt in ("-S", "--show-error"):
                show_error = True
            elif opt in ("-f", "--fail"):
                fail = True
            elif opt in ("-H", "--header"):
                k, _, hv = v.partition(":")
                headers[k.strip()] = hv.strip()
            elif opt in ("-w", "--write-out"):
                write_out = v
            elif opt in ("-o", "--output"):
                output_file = v
            elif opt in ("-i", "--include"):
                include = True
        i += 1
    res = _Result()

    def error(code: int, msg: str) -> _Result:
        res.code = code
        if not silent or show_error:
            res.err += f"curl: ({code}) {msg}\n"
        return res

    if not url:
        res.code = 2
        res.err = "curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
        return res
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return error(1, f'Protocol "{parts.scheme}" not supported')
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    ip = _resolve_host(cluster, namespace, host)
    if ip is None:
        return error(6, f"Could not resolve host: {host}")
    conn = http_get(world, cluster, ip, port, path, headers)
    if not conn.ok or conn.response is None:
        return error(7, f"Failed to connect to {host} port {port} after 2 ms: Couldn't connect to server")
    resp = conn.response
    body = resp.body
    if not silent:
        size = len(body.encode())
        res.err += (
            "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
            "                                 Dload  Upload   Total   Spent    Left  Speed\n"
            f"\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
            f"\r100 {size:>5}  100 {size:>5}    0     0   {size:>4}      0 --:--:-- --:--:-- --:--:-- "
            f"{size:>5}\n"
        )
    if fail and resp.status >= 400:
        return error(22, f"The requested URL returned error: {resp.status}")
    if include:
        reason = {200: "OK", 404: "Not Found"}.get(resp.status, "")
        body = (
            f"HTTP/1.1 {resp.status} {reason}\r\ncontent-type: {resp.content_type}\r\n"
            f"content-length: {len(resp.body.encode())}\r\n\r\n"
        ) + body
    if output_file and output_file != "-":
        body = ""
    res.out += body
    if write_out:
        res.out += (
            write_out.replace("%{http_code}", str(resp.status))
            .replace("%{response_code}", str(resp.status))
            .replace("\\n", "\n")
        )
    return res


def _jq(argv: list[str], stdin: str) -> _Result:
    compact = "-c" in argv or "--compact-output" in argv
    raw = "-r" in argv or "--raw-output" in argv
    filters = [a for a in argv if not a.startswith("-")]
    flt = filters[0] if filters else "."
    res = _Result()
    if not stdin.strip():
        return res
    decoder = json.JSONDecoder()
    pos = 0
    text = stdin
    values = []
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            res.err += f"jq: parse error: Invalid numeric literal at line {exc.lineno}, column {exc.colno}\n"
            res.code = 2
            return res
        values.append(value)
    for value in values:
        if flt != ".":
            if flt == "length":
                value = len(value) if isinstance(value, (list, dict, str)) else 0
            else:
                res.err += f"jq: error: unsupported filter {flt}\n"
                res.code = 3
                return res
        if raw and isinstance(value, str):
            res.out += value + "\n"
        elif compact:
            res.out += json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n"
        else:
            res.out += json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return res


def _run_simple(world: World, cluster: Cluster, namespace: str, argv: list[str], stdin: str) -> _Result:
    if not argv:
        return _Result()
    prog = argv[0].rsplit("/", 1)[-1]
    if prog == "curl":
        return _curl(world, cluster, namespace, argv[1:])
    if prog == "jq":
        return _jq(argv[1:], stdin)
    if prog == "echo":
        return _Result(out=" ".join(argv[1:]) + "\n")
    if prog == "true":
        return _Result()
    if prog == "false":
        return _Result(code=1)
    if prog == "cat":
        return _Result(out=stdin)
    if prog == "exit":
        return _Result(code=int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 0)
    if prog in ("sh", "bash", "ash"):
        if len(argv) >= 3 and argv[1] == "-c":
            return _run_script(world, cluster, namespace, argv[2])
        return _Result()  # a shell with no script and no stdin exits at once
    return _Result(err=f"sh: {argv[0]}: not found\n", code=127)


def _run_script(world: World, cluster: Cluster, namespace: str, script: str) -> _Result:
    """A shell script made of pipelines joined by ; && || -- parsed with shlex, never run by a shell."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars="|;&")
    lexer.whitespace_split = True
    tokens = list(lexer)
    total = _Result()
    pipeline: list[list[str]] = [[]]
    last_code = 0
    skip_next = ""

    def flush() -> int:
        stdin = ""
        res = _Result()
        for cmd in pipeline:
            res = _run_simple(world, cluster, namespace, cmd, stdin)
            total.err += res.err
            stdin = res.out
        total.out += res.out
        return res.code

    for tok in tokens + [";"]:
        if tok == "|":
            pipeline.append([])
        elif tok in (";", "&&", "||"):
            if pipeline != [[]]:
                if skip_next == "&&" and last_code != 0 or skip_next == "||" and last_code == 0:
                    pass
                else:
                    last_code = flush()
            pipeline = [[]]
            skip_next = tok if tok != ";" else ""
        else:
            pipeline[-1].append(tok)
    total.code = last_code
    return total


def run_container(world: World, cluster: Cluster, pod: Obj, container: Obj) -> tuple[str, int]:
    """Run a one-shot container now: (its log text, its exit code)."""
    namespace = pod.get("metadata", {}).get("namespace", "default")
    image = image_repo(container.get("image", ""))
    command = list(container.get("command") or [])
    args = list(container.get("args") or [])
    if not command:
        if image == "curlimages/curl":
            command = ["curl"]
        elif not args:
            command = ["sh"]
    argv = command + args
    res = _run_simple(world, cluster, namespace, argv, "")
    return res.out + res.err, res.code

"""bitnami/mariadb-galera: Galera nodes that form one cluster, and the `mariadb`/`mysql` client.

Server (image facts: bitnami/containers mariadb-galera, the chart's env MARIADB_GALERA_CLUSTER_NAME,
MARIADB_GALERA_CLUSTER_ADDRESS=gcomm://PEER,..., MARIADB_ROOT_USER, *_PASSWORD or *_PASSWORD_FILE from
the chart's Secret, MARIADB_USER, MARIADB_DATABASE; readiness = `mysqladmin status` answers, i.e. the node
has bootstrapped or joined): a node with no synced peer bootstraps from its own data directory (a fresh
one gets root, the user and its database); a node with a synced peer joins by state transfer (SST) and
is ready only then. A write on any synced node is applied to every synced node (synchronous
replication); each node's data directory lives on its volume (sim/volumes.py), so it survives its pod.

Client (MariaDB 11.4 client/mysql.cc): options -h -P -u -p[PASS] -D -e -t -B -N -E, the banner,
prompts `MariaDB [db]> ` and `    -> `, results as tables in interactive or terminal mode and
tab-separated when not on a terminal, `Bye`, errors as `ERROR N (STATE): ...` (`at line N` in batch).
The release is the image tag's (e.g. 10.6.7 for 10.6.7-debian-10-r56, the client of Liqo v0.x's docs;
11.4.5 when the tag says none): before 11.0 `--version` reads `PROG  Ver 15.1 Distrib R-MariaDB, for ...`
and the `mysql` name is the client's own; from 11.0 it is `PROG from R-MariaDB, client 15.2 for ...` and
a `mysql*` name prints the "Deprecated program name" warning (mysys/my_init.c).
"""

from __future__ import annotations

import base64
import copy
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liqo_tutor.sim.delays import delay
from liqo_tutor.sim.mariadb_sql import (
    Engine,
    Outcome,
    SqlError,
    format_tab,
    format_table,
    format_vertical,
    new_datadir,
)

if TYPE_CHECKING:
    from liqo_tutor.sim.shell import Result, Shell
    from liqo_tutor.sim.store import Cluster, Obj, World

__all__ = ["IMAGE", "Session", "client_command", "container_ready", "register", "runs_server"]

IMAGE = "bitnami/mariadb-galera"
DEFAULT_RELEASE = "11.4.5"
PORTS = (3306, 4567, 4568, 4444)
SOCKET = "/opt/bitnami/mariadb/tmp/mysql.sock"
_STARTUP_LOG = (
    "mariadb-galera \x1b[38;5;6m00:00:00.00 \x1b[38;5;2mINFO \x1b[0m ==> ** Starting MariaDB setup **\n"
    "mariadb-galera \x1b[38;5;6m00:00:00.01 \x1b[38;5;2mINFO \x1b[0m ==> ** MariaDB setup finished! **\n"
    "mariadb-galera \x1b[38;5;6m00:00:00.02 \x1b[38;5;2mINFO \x1b[0m ==> ** Starting MariaDB **\n"
)


# --- the server's process, environment and data ---------------------------------------------------


def runs_server(container: Obj) -> bool:
    """The container runs the image's server (its run.sh), not a command such as the client."""
    argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    if not argv:
        return True
    text = " ".join(argv)
    return "mariadb-galera/run.sh" in text or "mariadb-galera/entrypoint.sh" in text


def release_of(pod: Obj | None) -> str:
    """The MariaDB release of the pod's bitnami/mariadb-galera container, from its image tag."""
    from liqo_tutor.sim.images import image_repo

    for c in ((pod or {}).get("spec") or {}).get("containers") or []:
        image = str(c.get("image", ""))
        if image_repo(image) != IMAGE:
            continue
        tag = image.rsplit("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
        m = re.match(r"(\d+)\.(\d+)\.(\d+)", tag)
        if m:
            return m.group(0)
    return DEFAULT_RELEASE


def _major(release: str) -> int:
    return int(release.split(".", 1)[0])


def _process(container: Obj) -> str:
    return "server" if runs_server(container) else "oneshot"


def _server_container(pod: Obj) -> Obj | None:
    from liqo_tutor.sim.images import image_repo

    for c in (pod.get("spec") or {}).get("containers") or []:
        if image_repo(c.get("image", "")) == IMAGE and runs_server(c):
            return dict(c)
    return None


def _secret_value(world: World, cluster: Cluster, pod: Obj, name: str, key: str) -> str | None:
    """A key of a Secret of the pod's namespace in the pod's OWN cluster (as the kubelet reads it).

    A pod Liqo runs in a provider finds the Secret there only because the virtual kubelet reflected it
    into the remote namespace (sim/liqo/reflect_config.py); nothing is looked up across clusters.
    """
    ns = pod["metadata"].get("namespace", "")
    secret = cluster.objects.get("secrets", {}).get((ns, name))
    if secret is None:
        return None
    raw = (secret.get("data") or {}).get(key)
    if raw is not None:
        return base64.b64decode(raw).decode(errors="replace")
    plain = (secret.get("stringData") or {}).get(key)
    return str(plain) if plain is not None else None


def _missing_secret(cluster: Cluster, pod: Obj, container: Obj) -> str | None:
    """The first Secret the container's env needs (not optional) that its namespace lacks: the kubelet
    does not start such a container (CreateContainerConfigError `secret "NAME" not found`)."""
    ns = pod["metadata"].get("namespace", "")
    for item in container.get("env") or []:
        ref = (item.get("valueFrom") or {}).get("secretKeyRef") or {}
        name = str(ref.get("name", ""))
        if name and not ref.get("optional") and (ns, name) not in cluster.objects.get("secrets", {}):
            return name
    return None


def _file_value(world: World, cluster: Cluster, pod: Obj, container: Obj, path: str) -> str | None:
    """A file of a mounted Secret volume (the chart's usePasswordFiles)."""
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        mpath = str(mount.get("mountPath", "")).rstrip("/") + "/"
        if not path.startswith(mpath):
            continue
        secret = (volumes.get(mount.get("name")) or {}).get("secret") or {}
        if not secret.get("secretName"):
            continue
        name = path[len(mpath) :]
        key = next((i.get("key") for i in secret.get("items") or [] if i.get("path") == name), name)
        return _secret_value(world, cluster, pod, str(secret["secretName"]), str(key))
    return None


def server_env(world: World, cluster: Cluster, pod: Obj, container: Obj) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        name = str(item.get("name", ""))
        if "value" in item:
            env[name] = str(item["value"])
            continue
        source = item.get("valueFrom") or {}
        if "fieldRef" in source and source["fieldRef"].get("fieldPath") == "metadata.name":
            env[name] = pod["metadata"]["name"]
        ref = source.get("secretKeyRef")
        if ref:
            value = _secret_value(world, cluster, pod, str(ref.get("name", "")), str(ref.get("key", "")))
            if value is not None:
                env[name] = value
    for name in [n for n in env if n.endswith("_PASSWORD_FILE")]:
        value = _file_value(world, cluster, pod, container, env[name])
        if value is not None:
            env.setdefault(name[: -len("_FILE")], value)
    return env


def _group(world: World, cluster: Cluster, pod: Obj) -> str:
    c = _server_container(pod) or {}
    values = {e.get("name"): e.get("value") for e in c.get("env") or [] if "value" in e}
    name = values.get("MARIADB_GALERA_CLUSTER_NAME", "galera")
    return f"{name}|{values.get('MARIADB_GALERA_CLUSTER_ADDRESS', '')}"


def _alive(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not pod["metadata"].get(
        "deletionTimestamp"
    )


def _states(cluster: Cluster) -> dict[str, Any]:
    states: dict[str, Any] = cluster.private.setdefault("galera", {})
    live = {p["metadata"]["uid"] for p in cluster.objects.get("pods", {}).values()}
    for uid in [u for u in states if u not in live]:
        del states[uid]
    return states


def synced(cluster: Cluster, pod: Obj) -> bool:
    return bool(_states(cluster).get(pod["metadata"]["uid"], {}).get("synced")) and _alive(pod)


def _address_hosts(pod: Obj) -> list[str]:
    c = _server_container(pod) or {}
    values = {e.get("name"): e.get("value") for e in c.get("env") or [] if "value" in e}
    address = str(values.get("MARIADB_GALERA_CLUSTER_ADDRESS", "")).removeprefix("gcomm://")
    return [h.split(":", 1)[0] for h in address.split(",") if h.strip()]


def _peer_uids(world: World, cluster: Cluster, pod: Obj) -> set[str]:
    """The nodes this node reaches at the names of its cluster address (resolved in its own cluster)."""
    from liqo_tutor.sim import statefulsets

    ns = pod["metadata"].get("namespace", "")
    out: set[str] = set()
    for host in _address_hosts(pod):
        ip = statefulsets.resolve_host(cluster, ns, host, include_not_ready=True)
        ref = world.resolve_ip(cluster, ip) if ip else None
        target = world.clusters.get(ref.cluster) if ref is not None else None
        found = target.objects.get("pods", {}).get((ref.namespace, ref.name)) if target and ref else None
        if found is not None:
            out.add(str(found["metadata"]["uid"]))
    return out


def members(world: World, cluster: Cluster, pod: Obj) -> list[tuple[Cluster, Obj]]:
    """The synced nodes of the pod's Galera cluster: those of the same group connected to it through the
    names of their cluster addresses (either side resolving the other), the pod itself if synced."""
    group = _group(world, cluster, pod)
    nodes: dict[str, tuple[Cluster, Obj]] = {}
    for c in world.clusters.values():
        for p in c.objects.get("pods", {}).values():
            if _server_container(p) is not None and _alive(p) and _group(world, c, p) == group:
                nodes[str(p["metadata"]["uid"])] = (c, p)
    me = str(pod["metadata"]["uid"])
    nodes.setdefault(me, (cluster, pod))
    edges = {uid: _peer_uids(world, c, p) & set(nodes) for uid, (c, p) in nodes.items()}
    seen, todo = {me}, [me]
    while todo:
        uid = todo.pop()
        linked = edges[uid] | {u for u, peers in edges.items() if uid in peers}
        for other in linked - seen:
            if synced(*nodes[other]):
                seen.add(other)
                todo.append(other)
    return [nodes[u] for u in sorted(seen) if synced(*nodes[u])]


def datadir(world: World, cluster: Cluster, pod: Obj) -> dict[str, Any] | None:
    """The node's data directory: its `data` volume (claim) or, without persistence, the pod's emptyDir."""
    from liqo_tutor.sim import volumes

    vols = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    if "persistentVolumeClaim" in (vols.get("data") or {}):
        where = volumes.pod_volume_key(world, cluster, pod, "data")
        return volumes.volume_data(world, where) if where is not None else None
    ephemeral: dict[str, dict[str, Any]] = cluster.private.setdefault("galera_emptydir", {})
    return ephemeral.setdefault(pod["metadata"]["uid"], {})


def container_ready(world: World, cluster: Cluster, pod: Obj, now: float) -> bool:
    """Readiness of a Galera node: bootstrapped (no synced peer) or joined a synced peer by SST."""
    container = _server_container(pod)
    if container is None:
        return True
    states = _states(cluster)
    state: dict[str, Any] = states.setdefault(pod["metadata"]["uid"], {})
    if state.get("synced"):
        return True
    data = datadir(world, cluster, pod)
    if data is None or _missing_secret(cluster, pod, container) is not None:
        return False
    donors = [
        (c, p) for c, p in members(world, cluster, pod) if p["metadata"]["uid"] != pod["metadata"]["uid"]
    ]
    key = "join_at" if donors else "boot_at"
    at = float(state.setdefault(key, now + delay("galera_join" if donors else "galera_bootstrap")))
    if now < at:
        world.wake_at(at)
        return False
    if donors:
        donor_data = datadir(world, donors[0][0], donors[0][1]) or {}
        data["mariadb"] = copy.deepcopy(donor_data.get("mariadb") or {})
    elif not data.get("mariadb"):
        env = server_env(world, cluster, pod, container)
        data["mariadb"] = new_datadir(
            env.get("MARIADB_ROOT_USER", "root"),
            env.get("MARIADB_ROOT_PASSWORD", ""),
            env.get("MARIADB_DATABASE", ""),
            env.get("MARIADB_USER", ""),
            env.get("MARIADB_PASSWORD", ""),
        )
    state["synced"] = True
    return True


def _replicate(world: World, src: Cluster, pod: Obj, data: dict[str, Any]) -> None:
    """Synchronous replication: every synced node of the group gets the written state."""
    for c, p in members(world, src, pod):
        target = datadir(world, c, p)
        if target is not None and target is not data:
            target["mariadb"] = copy.deepcopy(data["mariadb"])


def _status(world: World, cluster: Cluster, pod: Obj, data: dict[str, Any]) -> dict[str, str]:
    nodes = members(world, cluster, pod)
    addresses = ",".join(f"{(p.get('status') or {}).get('podIP', '')}:3306" for _, p in nodes)
    return {
        "wsrep_cluster_size": str(len(nodes)),
        "wsrep_cluster_status": "Primary",
        "wsrep_connected": "ON",
        "wsrep_ready": "ON",
        "wsrep_local_state_comment": "Synced",
        "wsrep_incoming_addresses": addresses,
        "wsrep_last_committed": str(data.get("mariadb", {}).get("seqno", 0)),
    }


# --- connecting -------------------------------------------------------------------------------------


@dataclass
class Target:
    cluster: Cluster
    pod: Obj
    data: dict[str, Any]


def _service_backends(cluster: Cluster, ip: str, port: int) -> list[str] | None:
    svc = next(
        (
            s
            for s in cluster.objects.get("services", {}).values()
            if (s.get("spec") or {}).get("clusterIP") == ip
        ),
        None,
    )
    if svc is None:
        return None
    sport = next((p for p in (svc.get("spec") or {}).get("ports") or [] if p.get("port") == port), None)
    if sport is None:
        return []
    out: list[str] = []
    for es in cluster.objects.get("endpointslices.discovery.k8s.io", {}).values():
        meta = es.get("metadata", {})
        if (
            meta.get("namespace") != svc["metadata"]["namespace"]
            or (meta.get("labels") or {}).get("kubernetes.io/service-name") != svc["metadata"]["name"]
        ):
            continue
        for ep in es.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready") is not False:
                out.extend(str(a) for a in ep.get("addresses") or [])
    return out


def _resolve(cluster: Cluster, namespace: str, host: str) -> str | None:
    from liqo_tutor.sim import images, statefulsets

    return images.resolve_host(cluster, namespace, host) or statefulsets.resolve_host(
        cluster, namespace, host
    )


def connect(world: World, cluster: Cluster, namespace: str, own: Obj | None, host: str, port: int) -> Target:
    """The synced Galera node a client reaches at host:port from a pod of `cluster`."""
    if host in ("", "localhost", "127.0.0.1"):
        if own is not None and _server_container(own) is not None and synced(cluster, own):
            data = datadir(world, cluster, own)
            if data is not None and data.get("mariadb"):
                return Target(cluster, own, data)
        raise SqlError(2002, "HY000", f"Can't connect to local server through socket '{SOCKET}' (2)")
    ip = _resolve(cluster, namespace, host)
    if ip is None:
        raise SqlError(2005, "HY000", f"Unknown server host '{host}' (-2)")
    backends = _service_backends(cluster, ip, port)
    candidates = backends if backends is not None else [ip]
    random.shuffle(candidates)
    for addr in candidates:
        ref = world.resolve_ip(cluster, addr)
        if ref is None:
            continue
        c = world.clusters.get(ref.cluster)
        pod = c.objects.get("pods", {}).get((ref.namespace, ref.name)) if c is not None else None
        if c is None or pod is None or _server_container(pod) is None or port != PORTS[0]:
            continue
        data = datadir(world, c, pod)
        if synced(c, pod) and data is not None and data.get("mariadb"):
            return Target(c, pod, data)
    raise SqlError(2002, "HY000", f"Can't connect to server on '{host}' ({115 if backends == [] else 111})")


# --- the client ---------------------------------------------------------------------------------------


@dataclass
class Options:
    prog: str = "mariadb"
    host: str = ""
    port: int = 3306
    user: str | None = None
    password: str | None = None  # None: not given; "": -p without a value (asks)
    database: str | None = None
    execute: list[str] = field(default_factory=list)
    table: bool = False
    batch: bool = False
    skip_names: bool = False
    vertical: bool = False
    version: bool = False


_TAKES = {"-h": "host", "-P": "port", "-u": "user", "-D": "database", "-e": "execute"}
_LONG = {
    "--host": "host",
    "--port": "port",
    "--user": "user",
    "--database": "database",
    "--execute": "execute",
    "--password": "password",
}
_FLAGS = {
    "-t": "table",
    "--table": "table",
    "-B": "batch",
    "--batch": "batch",
    "-N": "skip_names",
    "--skip-column-names": "skip_names",
    "-E": "vertical",
    "--vertical": "vertical",
    "-V": "version",
    "--version": "version",
    "-s": "batch",
    "--silent": "batch",
}


def _set(opts: Options, attr: str, value: str) -> None:
    if attr == "port":
        opts.port = int(value)
    elif attr == "execute":
        opts.execute.append(value)
    else:
        setattr(opts, attr, value)


def parse_options(argv: list[str]) -> Options:
    """The client's command line; ValueError with the client's message on a bad option."""
    opts = Options(prog=argv[0].rsplit("/", 1)[-1] if argv else "mariadb")
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in _FLAGS:
            setattr(opts, _FLAGS[a], True)
        elif a.startswith("--") and "=" in a and a.split("=", 1)[0] in _LONG:
            _set(opts, _LONG[a.split("=", 1)[0]], a.split("=", 1)[1])
        elif a in _LONG and a != "--password":
            if i + 1 >= len(args):
                raise ValueError(f"{opts.prog}: option '{a}' requires an argument")
            i += 1
            _set(opts, _LONG[a], args[i])
        elif a in ("-p", "--password"):
            opts.password = ""
        elif a.startswith("-p"):
            opts.password = a[2:]
        elif a[:2] in _TAKES:
            value = a[2:]
            if not value:
                if i + 1 >= len(args):
                    raise ValueError(f"{opts.prog}: option '{a}' requires an argument")
                i += 1
                value = args[i]
            _set(opts, _TAKES[a[:2]], value)
        elif a.startswith("-"):
            raise ValueError(f"{opts.prog}: unknown option '{a}'")
        elif opts.database is None:
            opts.database = a
        i += 1
    return opts


def split_statements(text: str) -> tuple[list[tuple[str, str, int]], str]:
    """Complete statements (text, terminator ; \\g \\G, first line) and the unfinished rest."""
    out: list[tuple[str, str, int]] = []
    buf: list[str] = []
    quote = ""
    line = start = 1
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            buf.append(ch)
        elif ch == ";" or (ch == "\\" and text[i + 1 : i + 2] in ("g", "G")):
            term = ";" if ch == ";" else "\\" + text[i + 1]
            if "".join(buf).strip():
                out.append(("".join(buf).strip(), term, start))
            buf = []
            i += 0 if ch == ";" else 1
            start = line
        else:
            if not buf or not "".join(buf).strip():
                start = line
            buf.append(ch)
        if ch == "\n":
            line += 1
        i += 1
    return out, "".join(buf)


class Session:
    """One run of the client: connect, then statements from -e, from stdin, or typed at the prompt."""

    def __init__(
        self, world: World, cluster: Cluster, namespace: str, own: Obj | None, argv: list[str], tty: bool
    ) -> None:
        self.world, self.cluster, self.namespace, self.own, self.tty = world, cluster, namespace, own, tty
        self.argv = argv
        self.opts = Options()
        self.engine: Engine | None = None
        self.target: Target | None = None
        self.pending = ""
        self.asking_password = False

    @property
    def interactive(self) -> bool:
        return self.tty and not self.opts.execute and not self.opts.batch

    def _client_ip(self) -> str:
        if self.own is None:
            return "localhost"
        return str((self.own.get("status") or {}).get("podIP") or "localhost")

    def start(self) -> tuple[str, str, int | None]:
        """(stdout, stderr, exit code if the client already ended)."""
        try:
            self.opts = parse_options(self.argv)
        except ValueError as exc:
            return "", f"{exc}\n", 1
        err = ""
        release = release_of(self.own)
        if self.opts.prog == "mysql" and _major(release) >= 11:
            err = (
                "mysql: Deprecated program name. It will be removed in a future release, use "
                "'/opt/bitnami/mariadb/bin/mariadb' instead\n"
            )
        if self.opts.version:
            build = "Linux (x86_64) using readline 5.1"
            if _major(release) >= 11:
                text = f"{self.opts.prog} from {release}-MariaDB, client 15.2 for {build}\n"
            else:
                text = f"{self.opts.prog}  Ver 15.1 Distrib {release}-MariaDB, for {build}\n"
            return text, err, 0
        if self.opts.password == "" and self.tty:
            self.asking_password = True
            return "Enter password: ", err, None
        out, err2, code = self._connect()
        return out, err + err2, code

    def _connect(self) -> tuple[str, str, int | None]:
        o = self.opts
        user = o.user if o.user is not None else "root"
        try:
            self.target = connect(self.world, self.cluster, self.namespace, self.own, o.host, o.port)
            users = self.target.data["mariadb"]["users"]
            host = "localhost" if o.host in ("", "localhost") else self._client_ip()
            if user not in users or users[user]["password"] != (o.password or ""):
                raise SqlError(
                    1045,
                    "28000",
                    f"Access denied for user '{user}'@'{host}' "
                    f"(using password: {'YES' if o.password else 'NO'})",
                )
            status = _status(self.world, self.target.cluster, self.target.pod, self.target.data)
            server = f"{release_of(self.target.pod)}-MariaDB-log"
            self.engine = Engine(self.target.data["mariadb"], user, host, status, server)
            if o.database:
                self.engine.use(o.database)
        except SqlError as exc:
            return "", exc.line() + "\n", 1
        if self.opts.execute:
            return self.run_batch("\n".join(self.opts.execute))
        if not self.interactive:
            return "", "", None
        conn_id = int(self.target.cluster.private.get("galera_conn", 7)) + 1
        self.target.cluster.private["galera_conn"] = conn_id
        banner = (
            "Welcome to the MariaDB monitor.  Commands end with ; or \\g.\n"
            f"Your MariaDB connection id is {conn_id}\n"
            f"Server version: {self.engine.version} Source distribution\n\n"
            "Copyright (c) 2000, 2018, Oracle, MariaDB Corporation Ab and others.\n\n"
            "Type 'help;' or '\\h' for help. Type '\\c' to clear the current input statement.\n\n"
        )
        return banner, "", None

    def prompt(self) -> str:
        if self.asking_password:
            return ""
        if self.pending.strip():
            return "    '> " if self.pending.count("'") % 2 else "    -> "
        db = self.engine.db if self.engine is not None and self.engine.db else "(none)"
        return f"MariaDB [{db}]> "

    def run_line(self, line: str) -> tuple[str, str, int | None]:
        """One line typed at the prompt: (stdout, stderr, exit code when the client ends)."""
        if self.asking_password:
            self.asking_password = False
            self.opts.password = line
            return self._connect()
        word = line.strip().rstrip(";").strip()
        if not self.pending.strip() and word.lower() in ("quit", "exit", "\\q"):
            return "Bye\n", "", 0
        if not self.pending.strip() and word.lower().startswith("use ") and ";" not in line:
            return self._run([(word, ";", 1)], batch=False)
        stmts, self.pending = split_statements(self.pending + line + "\n")
        return self._run(stmts, batch=False)

    def end_of_input(self) -> tuple[str, str, int]:
        return ("Bye\n" if self.interactive else ""), "", 0

    def run_batch(self, text: str) -> tuple[str, str, int | None]:
        stmts, rest = split_statements(text)
        if rest.strip():
            stmts.append((rest.strip(), ";", text.count("\n", 0, max(text.find(rest.strip()), 0)) + 1))
        out, err, code = self._run(stmts, batch=True)
        return out, err, code if code is not None else 0

    def _run(self, stmts: list[tuple[str, str, int]], batch: bool) -> tuple[str, str, int | None]:
        assert self.engine is not None and self.target is not None
        out = ""
        for text, term, line in stmts:
            try:
                result = self.engine.execute(text)
            except SqlError as exc:
                if batch:
                    return out, exc.line(line) + "\n", 1
                out += exc.line() + "\n"
                continue
            if result.wrote:
                _replicate(self.world, self.target.cluster, self.target.pod, self.target.data)
            out += self._render(result, term, batch)
        return out, "", None

    def _render(self, result: Outcome, term: str, batch: bool) -> str:
        o = self.opts
        footer = not batch
        if result.columns is None:
            if not footer:
                return ""
            if result.info == "Database changed":
                return "Database changed\n"
            n = result.affected
            text = f"Query OK, {n} row{'' if n == 1 else 's'} affected (0.001 sec)\n"
            return text + (result.info + "\n" if result.info else "") + "\n"
        rows = result.rows
        if not rows:
            return "Empty set (0.001 sec)\n\n" if footer else ""
        if o.vertical or term == "\\G":
            body = format_vertical(result.columns, rows)
        elif o.table or (self.tty and not o.batch):
            body = format_table(result.columns, rows) if rows else ""
        else:
            body = format_tab(result.columns, rows, headers=not o.skip_names)
        if footer:
            n = len(rows)
            body += f"{n} row{'' if n == 1 else 's'} in set (0.001 sec)\n\n"
        return body


def _own_pod(sh: Shell) -> Obj | None:
    pod = sh.ctx.cluster.objects.get("pods", {}).get((sh.ctx.namespace, sh.ctx.hostname))
    return pod


def client_command(sh: Shell, argv: list[str], stdin: str) -> Result:
    """`mariadb`/`mysql` run by the playground's shell: -e statements, or statements read from stdin."""
    from liqo_tutor.sim.shell import Result

    session = Session(sh.ctx.world, sh.ctx.cluster, sh.ctx.namespace, _own_pod(sh), argv, tty=False)
    out, err, code = session.start()
    if code is not None:
        return Result(out=out, err=err, code=code)
    more_out, more_err, more_code = session.run_batch(stdin)
    return Result(out=out + more_out, err=err + more_err, code=more_code or 0)


def register() -> None:
    """Register the image (sim/images.py) and the client programs (sim/shellcmds.py)."""
    from liqo_tutor.sim import shellcmds
    from liqo_tutor.sim.images import Behaviour, ImageFs, register_image

    programs = frozenset(
        {"sh", "dash", "bash", "cat", "ls", "env", "printenv", "sleep", "date", "hostname", "whoami", "uname",
         "mariadb", "mysql"}
    )  # fmt: skip
    fs = ImageFs(
        "dash",
        user="1001",
        home="/",
        workdir="/",
        programs=programs,
        entrypoint=("/opt/bitnami/scripts/mariadb-galera/entrypoint.sh",),
        cmd=("/opt/bitnami/scripts/mariadb-galera/run.sh",),
    )
    register_image(
        IMAGE,
        Behaviour(
            "server", PORTS, "mariadb_start", _STARTUP_LOG, None, fs, ready=container_ready, process=_process
        ),
    )
    shellcmds.PROGRAMS["mariadb"] = client_command
    shellcmds.PROGRAMS["mysql"] = client_command


def interact(shell: Shell, argv: list[str], chan: Any, tty: bool, log: list[str] | None = None) -> int:
    """The client as a container's or exec's process on a stream (kubectl run -i/--tty, kubectl exec -it):
    the banner and prompt on a terminal, statements read line by line, `Bye` at the end."""
    from liqo_tutor.sim.streams.terminal import LineReader, emitter

    ctx = shell.ctx
    with ctx.world.lock:
        session = Session(ctx.world, ctx.cluster, ctx.namespace, _own_pod(shell), argv, tty)
        text, errors, code = session.start()

    emit = emitter(chan, tty, log)
    emit(text)
    emit(errors, err=True)
    if code is not None:
        return code
    reader = LineReader(chan, tty)
    if not session.interactive and not session.asking_password:
        lines = []
        while (line := reader.readline()) is not None:
            lines.append(line)
        with ctx.world.lock:
            text, errors, code = session.run_batch("\n".join(lines))
        emit(text)
        emit(errors, err=True)
        return code or 0
    while not chan.gone.is_set():
        emit(session.prompt())
        line = reader.readline()
        if line is None:
            emit(session.end_of_input()[0])
            return 0
        with ctx.world.lock:
            text, errors, code = session.run_line(line)
        emit(text)
        emit(errors, err=True)
        if code is not None and not session.interactive:
            return code
        if code is not None and (text.startswith("Bye") or session.engine is None):
            return code
    return 0

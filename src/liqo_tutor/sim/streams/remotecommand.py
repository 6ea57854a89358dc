"""`kubectl exec` and `kubectl attach` against the simulated kubelet: processes of the sim/shell.py shell.

exec runs a command in a running container; attach joins the container's own process. A container
created with `stdin: true` (kubectl run -i) starts its process when the first client attaches
(so no output is lost), and its exit status becomes the container's (sim/kubelet.py leaves such a
container running until then). Follows kubelet pkg/kubelet/cri/streaming/remotecommand (which
streams a request expects; the Status on the error channel) and kubectl's run/attach/exec commands.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler

from liqo_tutor.sim import images
from liqo_tutor.sim.lookup import existing_pod
from liqo_tutor.sim.shell import SHELLS, Shell
from liqo_tutor.sim.store import ApiError, Cluster, Obj, World
from liqo_tutor.sim.streams.channels import Channels, SpdyChannels, WsChannels, exit_status
from liqo_tutor.sim.streams.spdy import SpdySession
from liqo_tutor.sim.streams.terminal import interact, write_text
from liqo_tutor.sim.streams.upgrade import close_on_teardown, upgrade

__all__ = ["serve_remotecommand"]


def _flag(q: dict[str, list[str]], name: str) -> bool:
    return (q.get(name) or ["false"])[-1] in ("true", "1")


def _is_virtual(cluster: Cluster, pod: Obj) -> bool:
    node = cluster.get("nodes", None, pod.get("spec", {}).get("nodeName", ""))
    return bool(node and (node["metadata"].get("labels") or {}).get("liqo.io/type") == "virtual-node")


def _locate(world: World, cluster: Cluster, pod: Obj) -> tuple[Cluster, Obj]:
    """Where the pod's containers really run: itself, or the remote pod Liqo's virtual kubelet made."""
    if not _is_virtual(cluster, pod):
        return cluster, pod
    name = pod["metadata"]["name"]
    for other in world.clusters.values():
        if other is cluster:
            continue
        for candidate in other.list("pods"):
            labels = candidate["metadata"].get("labels") or {}
            if candidate["metadata"]["name"] == name and any(k.endswith("liqo.io/origin") for k in labels):
                return other, candidate
    return cluster, pod


def _target(
    world: World, cluster: Cluster, ns: str, name: str, q: dict[str, list[str]]
) -> tuple[Cluster, Obj, Obj]:
    """(cluster, pod, container) to run in, or the ApiError the API server/kubelet answers."""
    with world.lock:
        pod = existing_pod(cluster, ns, name)
        containers = pod.get("spec", {}).get("containers") or []
        cname = (q.get("container") or [""])[-1] or (containers[0]["name"] if containers else "")
        container = next((c for c in containers if c.get("name") == cname), None)
        if container is None:
            raise ApiError(400, "BadRequest", f"container {cname} is not valid for pod {name}")
        run_cluster, run_pod = _locate(world, cluster, pod)
        statuses = (run_pod.get("status") or {}).get("containerStatuses") or []
        state = next((s.get("state") or {} for s in statuses if s.get("name") == cname), {})
        if "running" not in state:
            raise ApiError(400, "BadRequest", f'container not found ("{cname}")')
        return run_cluster, run_pod, container


def _open(handler: BaseHTTPRequestHandler, q: dict[str, list[str]]) -> Channels | None:
    up = upgrade(handler, portforward=False)
    stdin, tty = _flag(q, "stdin"), _flag(q, "tty")
    if up.ws is not None:
        return WsChannels(up.ws, stdin, up.protocol)
    assert up.transport is not None
    expected = {"error"}
    if stdin:
        expected.add("stdin")
    if _flag(q, "stdout"):
        expected.add("stdout")
    if _flag(q, "stderr") and not tty:
        expected.add("stderr")
    if tty:
        expected.add("resize")
    chans: list[SpdyChannels] = []
    session = SpdySession(up.transport, lambda s: chans[0].add(s))
    chans.append(SpdyChannels(session, expected))
    threading.Thread(target=session.serve, name="spdy-remotecommand", daemon=True).start()
    return chans[0] if chans[0].wait_ready(30) else None


def _stdin_text(chan: Channels) -> str:
    if chan.stdin is None:
        return ""
    data = b""
    while not chan.gone.is_set():
        got = chan.stdin.read(timeout=0.5)
        if got == b"":
            break
        data += got or b""
    return data.decode(errors="replace")


def _run(shell: Shell, argv: list[str], chan: Channels, tty: bool, log: list[str] | None) -> int:
    """The process: an interactive shell when argv is a bare shell, else one command."""
    prog = argv[0].rsplit("/", 1)[-1] if argv else ""
    if prog in SHELLS and len(argv) == 1 and prog in shell.ctx.fs.programs:
        shell.name = argv[0]
        return interact(shell, chan, tty, log)
    if prog in ("mariadb", "mysql") and prog in shell.ctx.fs.programs:  # sim/images_mariadb.py
        from liqo_tutor.sim import images_mariadb

        return images_mariadb.interact(shell, argv, chan, tty, log)
    reads_stdin = prog in ("cat", "jq") or (prog in SHELLS and "-c" not in argv)
    res = shell.run_argv(argv, _stdin_text(chan) if reads_stdin else "")
    for text, err in ((res.out, False), (res.err, True)):
        if log is not None and text:
            log.append(text)
        write_text(chan, tty, text, err)
    return res.code


def _shell_for(world: World, cluster: Cluster, pod: Obj, container: Obj, chan: Channels, tty: bool) -> Shell:
    with world.lock:
        ctx = images.shell_context(world, cluster, pod, container, tty=tty)

    def nap(seconds: float) -> None:
        chan.gone.wait(None if seconds == float("inf") else seconds)

    ctx.sleep = nap
    return Shell(ctx)


def _exec(
    world: World, cluster: Cluster, pod: Obj, container: Obj, q: dict[str, list[str]], chan: Channels
) -> None:
    argv = q.get("command") or []
    tty = _flag(q, "tty")
    prog = argv[0].rsplit("/", 1)[-1] if argv else ""
    fs = images.behaviour_for(container.get("image", "")).fs
    if not argv or (prog not in fs.programs and prog not in ("echo", "exit", "true", "false", "pwd")):
        reason = f'exec: "{argv[0] if argv else ""}": executable file not found in $PATH'
        chan.finish(
            ApiError(
                500,
                "InternalError",
                "Internal error occurred: error executing command in container: failed to exec in container: "
                f"failed to start exec: OCI runtime exec failed: exec failed: unable to start container "
                f"process: {reason}: unknown",
            ).status()
        )
        return
    shell = _shell_for(world, cluster, pod, container, chan, tty)
    code = _run(shell, argv, chan, tty, None)
    chan.finish(exit_status(code, argv))


def _attach(
    world: World, cluster: Cluster, pod: Obj, container: Obj, q: dict[str, list[str]], chan: Channels
) -> None:
    key = f"{pod['metadata']['uid']}/{container['name']}"
    with world.lock:  # containers whose process a client already started
        started: list[str] = cluster.private.setdefault("attached", [])
        first = key not in started and bool(container.get("stdin"))
        if key not in started:
            started.append(key)
    if not first:
        _follow_output(world, cluster, pod, container, chan)
        chan.finish(exit_status(0))
        return
    tty = _flag(q, "tty") and bool(container.get("tty"))
    shell = _shell_for(world, cluster, pod, container, chan, tty)
    argv = images.container_argv(container)
    code = _run(shell, argv, chan, tty, _LogSink(world, cluster, pod, container))
    _record_exit(world, cluster, pod, container, code)
    chan.finish(exit_status(0))


class _LogSink(list[str]):
    """What the attached process prints also goes to the container's log (kubectl logs)."""

    def __init__(self, world: World, cluster: Cluster, pod: Obj, container: Obj) -> None:
        super().__init__()
        self.world = world
        self.key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}/{container['name']}"
        self.cluster = cluster

    def append(self, text: str) -> None:
        with self.world.lock:
            logs: dict[str, str] = self.cluster.private.setdefault("logs", {})
            logs[self.key] = logs.get(self.key, "") + text
        self.world.changed()


def _record_exit(world: World, cluster: Cluster, pod: Obj, container: Obj, code: int) -> None:
    """The process ended: the kubelet reports the container terminated with `code` (sim/kubelet.py)."""
    with world.lock:
        timeline = cluster.private.get("pods", {}).get(pod["metadata"]["uid"]) or {}
        ctl = (timeline.get("containers") or {}).get(container["name"])
        if ctl is not None:
            ctl["exit"] = time.time()
            ctl["code"] = code
    world.reconcile()
    world.changed()


def _follow_output(world: World, cluster: Cluster, pod: Obj, container: Obj, chan: Channels) -> None:
    """Attach to a container that is not waiting for stdin: its output from now on, until it ends."""
    from liqo_tutor.sim.streams.logs import follow

    for chunk in follow(world, cluster.name, pod["metadata"]["namespace"], pod["metadata"]["name"],
                        container["name"], skip_existing=True, gone=chan.gone):  # fmt: skip
        chan.write_out(chunk.encode())


def serve_remotecommand(
    handler: BaseHTTPRequestHandler,
    world: World,
    cluster: Cluster,
    ns: str,
    name: str,
    sub: str,
    q: dict[str, list[str]],
) -> None:
    """Handle POST/GET pods/NAME/exec or /attach: errors before the upgrade, then the session."""
    run_cluster, pod, container = _target(world, cluster, ns, name, q)
    chan = _open(handler, q)
    if chan is None:
        return
    done = close_on_teardown(handler, world, cluster.name)
    try:
        if sub == "exec":
            _exec(world, run_cluster, pod, container, q, chan)
        else:
            _attach(world, run_cluster, pod, container, q, chan)
    except (OSError, EOFError):
        chan.gone.set()
    finally:
        done.set()

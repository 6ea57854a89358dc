"""The playground's one process per simdir: API listeners, control API, reconcile loop, persistence."""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from liqo_tutor.sim import KUBE_CACHE
from liqo_tutor.sim.node_images import node_image_entry, node_images, put_on_node
from liqo_tutor.sim.store import ApiError, Cluster, ClusterSpec, Obj, World
from liqo_tutor.sim.tools.common import atomic_write

__all__ = ["Daemon", "main"]

log = logging.getLogger("liqo_tutor.sim.daemon")

IDLE_ENV = "LIQO_TUTOR_SIM_IDLE"
DEFAULT_IDLE = 3600.0
# A daemon nobody gave a cluster to (the creating kind died) does not linger for an hour.
EMPTY_IDLE = 60.0
SAVE_DEBOUNCE = 0.2
# Is the playground's directory still there? A daemon whose directory was deleted exits.
DIR_CHECK = 2.0
# After a change, reconcile every SETTLE_TICK for SETTLE seconds even without a wake (a safety net
# for a controller that forgot to ask for one); after that only changes, wakes and requests count.
SETTLE = 3.0
SETTLE_TICK = 1.0
# A request (someone is looking) reconciles at most this often when nothing else would.
POKE_SPACING = 1.0
# A change is reconciled once no other came for QUIET seconds (a burst of writes gets one reconcile),
# at the latest BURST_MAX after the loop saw it.
QUIET = 0.004
BURST_MAX = 0.05


class Daemon:
    def __init__(self, simdir: Path, idle: float = DEFAULT_IDLE) -> None:
        self.simdir = simdir
        self.idle = idle
        self.stop = threading.Event()
        self.world = self._load()
        self.handles: dict[str, Any] = {}
        self.last_activity = time.monotonic()
        self.control: ThreadingHTTPServer | None = None
        self._state_lock = threading.Lock()
        self._poked = False
        # The open daemon.lock: its link count drops to 0 when the directory is deleted.
        self.lock_file: IO[str] | None = None
        # The directory itself, held open: state is written into THIS directory, never into a new
        # one made at the same path after it was deleted (creating a file in it then fails).
        self.dir_fd: int | None = None
        self.gone = False

    # --- state ------------------------------------------------------------------------------
    def _load(self) -> World:
        path = self.simdir / "state.json"
        if path.exists():
            try:
                return World.from_json(json.loads(path.read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("state.json unreadable (%s); starting from an empty world", exc)
                path.rename(path.with_suffix(".json.corrupt"))
        return World()

    def save(self) -> None:
        if self.gone:
            return
        with self._state_lock:
            text = json.dumps(self.world.to_json(), separators=(",", ":"))
            try:
                self._write("state.json", text)
            except FileNotFoundError:
                log.warning("%s is gone: state not saved", self.simdir)
                self.gone = True
            except OSError as exc:
                log.error("saving state failed: %s", exc)

    def _write(self, name: str, text: str) -> None:
        """Atomically replace `name` in the daemon's own directory (owner-only: it holds Secrets)."""
        if self.dir_fd is None:
            atomic_write(self.simdir / name, text, mode=0o600)
            return
        tmp = f".{name}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=self.dir_fd)
        try:
            data = memoryview(text.encode())
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)

    def touch(self) -> None:
        """A request arrived: not idle, and time-based conditions are brought up to date."""
        self.last_activity = time.monotonic()
        if self._poked:
            return  # the loop already knows (one wake-up per reconcile, not one per request)
        with self.world.cond:
            self._poked = True
            self.world.cond.notify_all()

    def wake(self) -> None:
        """Make the loop look at its state now (stop requested, for instance)."""
        with self.world.cond:
            self.world.cond.notify_all()

    def directory_gone(self) -> bool:
        """The playground's directory (or its lock file) was deleted or replaced."""
        try:
            if self.lock_file is not None and os.fstat(self.lock_file.fileno()).st_nlink == 0:
                return True
            if self.dir_fd is not None and os.fstat(self.dir_fd).st_nlink == 0:
                return True
            return not self.simdir.is_dir()
        except OSError:
            return True

    # --- controllers and listeners ---------------------------------------------------------------
    def register_controllers(self) -> None:
        for module in ("liqo_tutor.sim.controllers", "liqo_tutor.sim.liqo.controllers"):
            try:
                mod = __import__(module, fromlist=["register"])
            except ImportError as exc:
                log.warning("controllers %s not available: %s", module, exc)
                continue
            mod.register(self.world)
            log.info("registered %s", module)

    def _serve(self, cluster: Cluster, port: int) -> Any:
        from liqo_tutor.sim import apiserver

        handle = apiserver.serve_cluster(self.world, cluster, "127.0.0.1", port)
        server = handle.server
        original = server.finish_request

        def finish_request(request: Any, client_address: Any) -> None:
            self.touch()
            original(request, client_address)

        server.finish_request = finish_request  # type: ignore[method-assign]
        self.handles[cluster.name] = handle
        if cluster.spec.api_port != handle.port:
            cluster.spec = dataclasses.replace(cluster.spec, api_port=int(handle.port))
            self.world.changed()
        log.info("cluster %s: API on %s", cluster.name, handle.url)
        return handle

    def reopen(self) -> None:
        for cluster in list(self.world.clusters.values()):
            try:
                self._serve(cluster, cluster.spec.api_port)
            except OSError as exc:
                log.error("cluster %s: port %s busy (%s); using a new port", cluster.name,
                          cluster.spec.api_port, exc)
                self._serve(cluster, 0)

    # --- control operations ----------------------------------------------------------------------
    def cluster_info(self, cluster: Cluster) -> Obj:
        nodes = []
        for node in cluster.list("nodes"):
            conds = (node.get("status") or {}).get("conditions") or []
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
            labels = node["metadata"].get("labels") or {}
            role = "control-plane" if "node-role.kubernetes.io/control-plane" in labels else "worker"
            nodes.append({"name": node["metadata"]["name"], "role": role, "ready": ready})
        handle = self.handles.get(cluster.name)
        return {
            "name": cluster.name,
            "spec": cluster.spec.to_json(),
            "port": handle.port if handle else cluster.spec.api_port,
            "nodes": nodes,
            "kind": cluster.private.get("kind", {}),
            "images": cluster.private.get("loaded_images", []),
        }

    def clusters(self) -> list[Obj]:
        with self.world.lock:
            return [self.cluster_info(c) for _, c in sorted(self.world.clusters.items())]

    def create(self, body: Obj) -> Obj:
        spec = ClusterSpec.from_json(body["spec"])
        with self.world.lock:
            cluster = self.world.add_cluster(spec)
            cluster.private["kind"] = dict(body.get("kind") or {})
            try:
                handle = self._serve(cluster, spec.api_port)
            except OSError as exc:
                self.world.remove_cluster(spec.name)
                raise ApiError(409, "PortInUse", f"Bind for 127.0.0.1:{spec.api_port} failed: "
                               f"port is already allocated ({exc.strerror})") from None
            # A new API server at this address: what kubectl discovered of an earlier one is stale.
            self._forget_discovery(handle.port)
            return self.cluster_info(cluster)

    def _forget_discovery(self, port: object) -> None:
        """Drop what the playground's kubectl discovered of the API server on `port`."""
        shutil.rmtree(self.simdir / KUBE_CACHE / "discovery" / f"127.0.0.1_{port}", ignore_errors=True)

    def delete(self, name: str) -> Obj:
        with self.world.lock:
            cluster = self.world.clusters.get(name)
            info = self.cluster_info(cluster) if cluster else None
        handle = self.handles.pop(name, None)
        if handle is not None:
            handle.shutdown()
        if info is None:
            return {"deleted": False, "nodes": []}
        self.world.remove_cluster(name)
        self._forget_discovery(info["port"])
        log.info("cluster %s deleted", name)
        with self.world.lock:
            if not self.world.clusters:
                log.info("last cluster deleted: exiting")
                self.stop.set()
        return {"deleted": True, "nodes": [n["name"] for n in info["nodes"]]}

    def load_image(self, body: Obj) -> Obj:
        name, image = str(body["cluster"]), str(body["image"])
        image_id = str(body.get("id") or "")
        size = int(body.get("size") or 0)
        with self.world.lock:
            cluster = self.world.clusters.get(name)
            if cluster is None:
                raise ApiError(404, "NotFound", f'no nodes found for cluster "{name}"')
            loaded: list[Obj] = cluster.private.setdefault("loaded_images", [])
            loaded[:] = [e for e in loaded if e.get("image") != image]
            loaded.append({"image": image, "id": image_id, "size": size})
            entry = node_image_entry(image, image_id, size)
            for node in cluster.list("nodes"):
                put_on_node(cluster, node, entry)
            self.world.changed()
            return self.cluster_info(cluster)

    # --- lifecycle ----------------------------------------------------------------------------
    def start_control(self) -> int:
        daemon = self

        class Handler(_ControlHandler):
            owner = daemon

        self.control = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.control.daemon_threads = True
        threading.Thread(target=self.control.serve_forever, kwargs={"poll_interval": 0.2},
                         name="control", daemon=True).start()
        return int(self.control.server_address[1])

    def loop(self) -> None:
        """Event-driven: reconcile on a change, a due wake or a request, else sleep until the next one."""
        world = self.world
        seen = -1
        saved = world.generation
        mono = time.monotonic()
        last_save = last_reconcile = 0.0
        last_change = next_dir_check = mono
        while not self.stop.is_set():
            mono = time.monotonic()
            if mono >= next_dir_check:
                next_dir_check = mono + DIR_CHECK
                if self.directory_gone():
                    log.warning("%s was deleted: exiting", self.simdir)
                    self.gone = True
                    break
            if self._idle_exit(mono):
                break
            with world.cond:
                if world.generation != seen and world.settled == world.generation:
                    # The API server reconciled this generation before answering the write that made
                    # it: a pass of ours would find nothing to do (and hold the lock all the same).
                    seen, last_change, last_reconcile = world.generation, mono, mono
                due, deadline = self._reconcile_due(seen, mono, last_reconcile, last_change)
                if not due:
                    if world.generation != saved:
                        deadline = min(deadline, last_save + SAVE_DEBOUNCE)
                    deadline = min(deadline, next_dir_check, self._idle_deadline())
                    world.cond.wait(max(0.0, deadline - mono))
                    due, _ = self._reconcile_due(seen, time.monotonic(), last_reconcile, last_change)
                if due and world.generation != seen:
                    self._await_quiet()
                    if world.settled == world.generation:
                        seen, last_change = world.generation, time.monotonic()
                        last_reconcile = last_change
                        due, _ = self._reconcile_due(seen, last_change, last_reconcile, last_change)
                self._poked = self._poked and not due
            if self.stop.is_set():
                break
            if due:
                before = world.generation
                try:
                    world.reconcile()
                except Exception:  # a controller bug must not take the playground down
                    log.exception("reconcile failed")
                last_reconcile = time.monotonic()
                if world.generation != before or seen != before:
                    last_change = last_reconcile
                seen = world.generation
            mono = time.monotonic()
            if world.generation != saved and mono - last_save >= SAVE_DEBOUNCE:
                self.save()
                saved, last_save = world.generation, mono

    def _await_quiet(self) -> None:
        """Let a burst of writes end before reconciling: no change for QUIET seconds, at most BURST_MAX.

        A reconcile holds the world's lock for a whole pass (10-35 ms on two peered clusters); the API
        server already reconciles before answering each write, so a pass of the loop right after each
        of `liqoctl install`'s ~30 writes only made the next write wait for it.
        Called holding world.cond (the wait releases it)."""
        world = self.world
        gen, end = world.generation, time.monotonic() + BURST_MAX
        while not self.stop.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            world.cond.wait(min(QUIET, left))
            if world.generation == gen:
                return
            gen = world.generation

    def _reconcile_due(self, seen: int, mono: float, last_reconcile: float,
                       last_change: float) -> tuple[bool, float]:
        """(reconcile now?, monotonic time when one will be due). Called holding world.cond."""
        world = self.world
        if world.generation != seen:
            return True, mono
        deadline = mono + 3600.0
        wake = world.next_wake()
        if wake is not None:
            left = wake - time.time()
            if left <= 0:
                return True, mono
            deadline = min(deadline, mono + left)
        if mono - last_change < SETTLE:
            if mono >= last_reconcile + SETTLE_TICK:
                return True, mono
            deadline = min(deadline, last_reconcile + SETTLE_TICK)
        if self._poked:
            if mono >= last_reconcile + POKE_SPACING:
                return True, mono
            deadline = min(deadline, last_reconcile + POKE_SPACING)
        return False, deadline

    def _idle_deadline(self) -> float:
        limit = self.idle if self.world.clusters else min(EMPTY_IDLE, self.idle)
        return self.last_activity + limit

    def _idle_exit(self, mono: float) -> bool:
        if mono > self._idle_deadline():
            log.info("idle for %.0fs: exiting", mono - self.last_activity)
            return True
        return False

    def shutdown(self) -> None:
        self.stop.set()
        if self.control is not None:
            self.control.shutdown()
            self.control.server_close()
        for name, handle in list(self.handles.items()):
            try:
                handle.shutdown()
            except Exception:  # noqa: BLE001 - best effort on the way out
                log.exception("closing %s", name)
        self.handles.clear()
        self.save()


class _ControlHandler(BaseHTTPRequestHandler):
    owner: Daemon
    protocol_version = "HTTP/1.1"
    # An answer is two writes (head, body): with Nagle the body waits for the client's delayed ACK
    # (40 ms on Linux) on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _reply(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Obj:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object")
        return data

    def _handle(self, method: str) -> None:
        daemon = self.owner
        daemon.touch()
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        try:
            if method == "GET" and path == "/health":
                self._reply(200, {"ok": True, "pid": os.getpid(), "clusters": sorted(daemon.world.clusters)})
            elif method == "GET" and path == "/clusters":
                self._reply(200, daemon.clusters())
            elif method == "POST" and path == "/clusters":
                self._reply(201, daemon.create(self._body()))
            elif method == "DELETE" and path.startswith("/clusters/"):
                self._reply(200, daemon.delete(urllib.parse.unquote(path[len("/clusters/"):])))
            elif method == "POST" and path == "/images/load":
                self._reply(200, daemon.load_image(self._body()))
            elif method == "POST" and path == "/images/node":
                self._reply(200, node_images(daemon.world, self._body()))
            elif method == "POST" and path == "/shutdown":
                self._reply(200, {"ok": True})
                daemon.stop.set()
                daemon.wake()
            else:
                self._reply(404, {"error": f"no such endpoint: {method} {path}"})
        except ApiError as exc:
            self._reply(exc.code, {"error": exc.message, "reason": exc.reason})
        except (KeyError, ValueError, TypeError) as exc:
            self._reply(400, {"error": f"bad request: {exc}"})
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            log.exception("control %s %s", method, path)
            self._reply(500, {"error": repr(exc)})
        if method in ("DELETE",) and daemon.stop.is_set():
            daemon.wake()

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")


def _idle_seconds() -> float:
    try:
        return float(os.environ.get(IDLE_ENV, "") or DEFAULT_IDLE)
    except ValueError:
        return DEFAULT_IDLE


def _lock(simdir: Path) -> IO[str] | None:
    fh = (simdir / "daemon.lock").open("a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def run(simdir: Path) -> int:
    simdir.mkdir(parents=True, exist_ok=True)
    lock = _lock(simdir)
    if lock is None:
        sys.stderr.write(f"liqo-tutor sim daemon: another daemon already serves {simdir}\n")
        return 1
    logging.basicConfig(
        filename=str(simdir / "daemon.log"), level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(message)s",
    )
    daemon = Daemon(simdir, _idle_seconds())
    daemon.lock_file = lock
    daemon.dir_fd = os.open(simdir, os.O_RDONLY | os.O_DIRECTORY)
    stop_signal: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stop_signal.append(signum)
        daemon.stop.set()
        # No lock here: the handler may run while the main thread holds world.cond; a thread
        # takes it as soon as it is free and wakes the loop.
        threading.Thread(target=daemon.wake, name="on-signal", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    info_path = simdir / "daemon.json"
    try:
        daemon.register_controllers()
        daemon.reopen()
        port = daemon.start_control()
        atomic_write(info_path, json.dumps({"pid": os.getpid(), "control_port": port, "started": time.time(),
                                            "simdir": str(simdir)}) + "\n")
        log.info("daemon %d up: control on 127.0.0.1:%d, %d cluster(s)", os.getpid(), port,
                 len(daemon.world.clusters))
        daemon.loop()
    finally:
        try:
            daemon.shutdown()
        finally:
            try:
                info = json.loads(info_path.read_text())
                if info.get("pid") == os.getpid():
                    info_path.unlink()
            except (OSError, ValueError):
                pass
            log.info("daemon %d exits%s", os.getpid(), f" on signal {stop_signal[0]}" if stop_signal else "")
            os.close(daemon.dir_fd)
            lock.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m liqo_tutor.sim.daemon")
    parser.add_argument("--dir", required=True, type=Path, help="the playground's state directory")
    args = parser.parse_args(argv)
    return run(args.dir.resolve())


if __name__ == "__main__":
    sys.exit(main())

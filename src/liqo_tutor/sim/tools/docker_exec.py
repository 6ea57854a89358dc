"""`docker exec` into a kind node container of the playground, and the node's `crictl pull` / `crictl images`.

Sources (facts only): docker/cli v28.2.2 cli/command/container/exec.go (flags, flags end at CONTAINER,
RequiresMinArgs(2), the inspect that makes "No such container" come first, CheckTty, detach, the exit
status from the exec's inspect), cmd/docker/docker.go (a termination signal exits 128+signal);
moby v28.2.2 api/server/router/container/exec.go (an attached exec that fails to start writes the error
on its stdout with CRLF) and daemon/errors.go + daemon/exec.go (exit 127 for "executable file not
found", 126 by default); cri-tools v1.33.0 (the crictl of kindest/node v1.33) cmd/crictl/image.go (pull's
"Image is up to date for <image ID>", "pulling image: " errors, the images table and its sort),
cmd/crictl/display.go (tabwriter 20/1/3), cmd/crictl/util.go (IDs cut to 13), cmd/crictl/main.go
(logrus.Fatal of a command's error). The OCI runtime's wording of a missing executable is runc's.

A crictl pull waits in this process and is marked on the node by the daemon only once done, so a
`docker exec` ended by a signal marks nothing. (On a real node the exec'd crictl would go on after its
docker client died; the playground ends it with the client, as every process it starts.)
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from liqo_tutor.sim import delays, faults
from liqo_tutor.sim.tools import docker
from liqo_tutor.sim.tools.cobra import Flag, UsageError, parse_flags
from liqo_tutor.sim.tools.common import err, normalize_image, out, pause, simdir

__all__ = ["main"]

USE = "exec [OPTIONS] CONTAINER COMMAND [ARG...]"
SHORT = "Execute a command in a running container"
CRICTL = "/usr/local/bin/crictl"  # where kindest/node installs it
EXIT_NOT_FOUND = 127  # moby daemon/errors.go exitCmdNotFound
_TABLE_MIN, _TABLE_PAD = 20, 3  # crictl's newDefaultTableDisplay
_ID_LEN = 13  # crictl's truncatedIDLen


def _valid_env(raw: str) -> None:
    """docker/cli opts.ValidateEnv: a variable needs a name."""
    if raw.split("=", 1)[0].strip() == "":
        raise ValueError(f"invalid environment variable: {raw}")


FLAGS = [
    Flag("detach-keys", help="Override the key sequence for detaching a container"),
    Flag("interactive", "bool", short="i", help="Keep STDIN open even if not attached"),
    Flag("tty", "bool", short="t", help="Allocate a pseudo-TTY"),
    Flag("detach", "bool", short="d", help="Detached mode: run command in the background"),
    Flag("user", short="u", help='Username or UID (format: "<name|uid>[:<group|gid>]")'),
    Flag("privileged", "bool", help="Give extended privileges to the command"),
    Flag("env", "array", short="e", help="Set environment variables", check=_valid_env),
    Flag("env-file", "array", help="Read in a file of environment variables"),
    Flag("workdir", short="w", help="Working directory inside the container"),
    Flag("help", "bool", short="h", help="Print usage"),
]


class _Fatal(Exception):
    """crictl's logrus.Fatal(err): one log line on stderr, exit 1."""


# --- docker exec --------------------------------------------------------------------------------------

def main(rest: list[str]) -> int:
    """`docker exec ...` or `docker container exec ...` (`rest` starts at the command's word)."""
    path = "docker exec" if rest[0] == "exec" else "docker container exec"
    argv = rest[1:] if rest[0] == "exec" else rest[2:]
    try:
        values, _, args = parse_flags(FLAGS, argv, interspersed=False)
    except UsageError as exc:
        return docker._flag_error(exc, path, USE)
    if values["help"]:
        out(f"Usage:  {docker._use_line(path, USE)}\n\n{SHORT}\n")
        return 0
    message = docker._args_rule(USE, 2, None)(path, args)
    if message:
        err(message + "\n")
        return 1
    for name in values["env-file"]:  # parseExec reads them before any call to the engine
        if not Path(name).is_file():
            err(f"open {name}: no such file or directory\n")
            return 1
    if faults.docker_down():
        return docker._down("exec", None)
    sd = simdir()
    target = _container(sd, args[0])
    if target is None:
        err(f"Error response from daemon: No such container: {args[0]}\n")
        return 1
    tty = bool(values["tty"])
    if not values["detach"] and values["interactive"] and tty and not sys.stdin.isatty():
        err("the input device is not a TTY\n")
        return 1
    command = args[1:]
    missing = _not_found(command[0])
    if values["detach"]:
        if missing:
            err(f"Error response from daemon: {missing}\n")
            return 1
        _spawn_detached(args)
        return 0
    if missing:
        out(f"{missing}\r\n")
        return EXIT_NOT_FOUND
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGHUP, _terminated)
    if tty:  # one pseudo-terminal: the command's stderr comes out on docker's stdout, lines end in CRLF
        sys.stdout.flush()
        sys.stdout = sys.stderr = io.TextIOWrapper(sys.stdout.buffer, newline="\r\n", line_buffering=True)
    return _crictl(sd, target, command[1:], tty)


def _terminated(signum: int, _frame: Any) -> None:
    """docker's notifyContext: a termination signal ends the client with 128+signal."""
    raise SystemExit(128 + signum)


def _container(sd: Path, ref: str) -> tuple[str, str] | None:
    """(cluster, node) of the running kind node container named `ref` (or whose ID starts with it)."""
    found = docker._containers(sd)
    exact = [c for c in found if ref in (c["Names"], "/" + c["Names"]) or c["ID"] == ref]
    by_id = [c for c in found if c["ID"].startswith(ref)]
    match = exact or (by_id if len(by_id) == 1 else [])
    if not match:
        return None
    return str(match[0]["Labels"][docker.KIND_LABEL]), str(match[0]["Names"])


def _not_found(executable: str) -> str:
    """The OCI runtime's error when the node has no such executable ("" when it has it)."""
    if executable in ("crictl", CRICTL):
        return ""
    if "/" in executable:
        why = f"stat {executable}: no such file or directory"
    else:
        why = "executable file not found in $PATH"
    return ("OCI runtime exec failed: exec failed: unable to start container process: "
            f'exec: "{executable}": {why}: unknown')


def _spawn_detached(args: list[str]) -> None:
    """`-d`: the command goes on in the background, its output discarded; the client returns at once."""
    import subprocess

    subprocess.Popen([sys.executable, "-m", "liqo_tutor.sim.tools", "docker", "exec", *args],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


# --- crictl in the node ---------------------------------------------------------------------------------

_GLOBAL_VALUED = {"-r", "--runtime-endpoint", "-i", "--image-endpoint", "-t", "--timeout", "-c", "--config",
                  "--tracing-endpoint", "--tracing-sampling-rate-per-million", "--profile-cpu",
                  "--profile-mem"}
_GLOBAL_BOOL = {"-D", "--debug", "--enable-tracing"}


def _crictl(sd: Path, target: tuple[str, str], argv: list[str], tty: bool) -> int:
    try:
        _, rest = _split_flags(argv, _GLOBAL_VALUED, _GLOBAL_BOOL)
        if not rest:
            out("NAME:\n   crictl - client for CRI\n\nUSAGE:\n   crictl [global options] command "
                "[command options]\n")
            return 0
        word, args = rest[0], rest[1:]
        if word == "pull":
            return _pull(sd, target, args, tty)
        if word in ("images", "image", "img"):
            return _images(sd, target, args)
    except _Fatal as exc:
        return _log_fatal(str(exc), tty)
    err(f"No help topic for '{word}'\n")  # urfave/cli: an unknown command is an ExitCoder with code 3
    return 3


def _log_fatal(message: str, tty: bool) -> int:
    """logrus's TextFormatter: key=value lines on a pipe, coloured level and seconds on a terminal."""
    if tty:
        err(f"\x1b[31mFATA\x1b[0m[0000] {message:<44} \n")
    else:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        err(f'time="{stamp}" level=fatal msg={json.dumps(message, ensure_ascii=False)}\n')
    return 1


def _split_flags(args: list[str], valued: set[str], known: set[str]) -> tuple[dict[str, str], list[str]]:
    """urfave/cli (Go flag): flags first, the first other word ends them."""
    seen: dict[str, str] = {}
    rest = list(args)
    while rest and rest[0].startswith("-") and rest[0] != "-":
        tok = rest.pop(0)
        if tok == "--":
            break
        name, eq, value = tok.partition("=")
        if name not in valued and name not in known:
            raise _Fatal(f"flag provided but not defined: {name}")
        if name in valued and not eq:
            if not rest:
                raise _Fatal(f"flag needs an argument: {name}")
            value = rest.pop(0)
        seen[name.lstrip("-")] = value if name in valued else "true"
    return seen, rest


def _pull(sd: Path, target: tuple[str, str], args: list[str], tty: bool) -> int:
    _, rest = _split_flags(args, {"--creds", "--auth", "--username", "-u", "--pod-config", "-p",
                                  "--annotation", "-a", "--pull-timeout", "--pt"}, {"--help", "-h"})
    if not rest or not rest[0]:
        raise _Fatal("image name cannot be empty")
    if len(rest) > 1:
        out("NAME:\n   crictl pull - Pull an image from a registry\n\nUSAGE:\n   "
            "crictl pull [command options] NAME[:TAG|@DIGEST]\n")
        return 0
    image = rest[0]
    cluster, node = target
    if not docker.known_image(image):
        raise _Fatal(f"pulling image: rpc error: code = NotFound desc = {_pull_error(image)}")
    ctl = _control(sd)
    entry = docker.image_entry(image)
    if normalize_image(image) not in ctl.node_images(cluster, node):
        start, wait = time.time(), delays.delay("image_pull")
        pause(wait)
        delays.trace("image_pull", cluster, start, wait)
    ctl.node_images(cluster, node, image, str(entry["digest"]), int(entry["size"]))
    out(f"Image is up to date for {entry['id']}\n")
    return 0


def _pull_error(image: str) -> str:
    """containerd's failure for an image no registry serves: the text the kubelet reports (sim/images.py)."""
    from liqo_tutor.sim import images

    return images.pull_error_message(image).removeprefix(f'Failed to pull image "{image}": ')


def _control(sd: Path) -> Any:
    from liqo_tutor.sim.tools import kind_base

    ctl = kind_base.control(sd, start=False)
    if ctl is None:
        raise _Fatal("validate service connection: validate CRI v1 image API for endpoint "
                     '"unix:///run/containerd/containerd.sock": rpc error: code = Unavailable')
    return ctl


def _images(sd: Path, target: tuple[str, str], args: list[str]) -> int:
    flags, rest = _split_flags(args, {"--filter", "-f", "--output", "-o"},
                               {"--verbose", "-v", "--quiet", "-q", "--digests", "--no-trunc", "--pinned",
                                "--help", "-h"})
    if len(rest) > 1:
        out("NAME:\n   crictl images - List images\n\nUSAGE:\n   crictl images [command options] "
            "[REPOSITORY[:TAG]]\n")
        return 0
    refs = _control(sd).node_images(*target)
    if rest:
        want = normalize_image(rest[0])
        refs = [r for r in refs if r == want or r.rsplit(":", 1)[0] == rest[0]]
    if "quiet" in flags or "q" in flags:
        out("".join(f"{docker.image_entry(r)['id']}\n" for r in refs))
        return 0
    full = "no-trunc" in flags
    rows = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
    for ref in refs:  # sorted by RepoTags[0], as crictl's imageByRef
        entry = docker.image_entry(ref)
        repo, _, tag = ref.rpartition(":")
        image_id = str(entry["id"]) if full else str(entry["id"]).removeprefix("sha256:")[:_ID_LEN]
        rows.append([repo, tag, image_id, docker._size(int(entry["size"]))])
    widths = [max(_TABLE_MIN, max(len(r[i]) for r in rows) + _TABLE_PAD) for i in range(3)]
    out("".join("".join(r[i].ljust(widths[i]) for i in range(3)) + r[3] + "\n" for r in rows))
    return 0

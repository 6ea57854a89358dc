"""Commands of the playground's shell: builtins, coreutils-like programs, curl, wget and jq.

Each takes (shell, argv, stdin) and returns a Result; networking goes through sim/images.py
(DNS of Services, endpoints, the serving image's answer).
"""

from __future__ import annotations

import posixpath
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from liqo_tutor.sim.shell import Result, Shell

__all__ = ["BUILTINS", "PROGRAMS"]

Command = Callable[[Shell, list[str], str], Result]


# --- builtins -----------------------------------------------------------------------------------


def _exit(sh: Shell, argv: list[str], stdin: str) -> Result:
    if len(argv) > 1 and not argv[1].lstrip("-").isdigit():
        return Result(err=f"{sh.name}: exit: Illegal number: {argv[1]}\n", code=2, exited=True)
    return Result(code=(int(argv[1]) & 0xFF) if len(argv) > 1 else sh.last, exited=True)


def _echo(sh: Shell, argv: list[str], stdin: str) -> Result:
    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    return Result(out=" ".join(args) + ("\n" if newline else ""))


def _cd(sh: Shell, argv: list[str], stdin: str) -> Result:
    target = sh._path(argv[1]) if len(argv) > 1 else sh.ctx.fs.home
    if target != "/" and target not in sh.ctx.fs.dirs:
        return Result(err=f"{sh.name}: cd: can't cd to {argv[1] if len(argv) > 1 else target}\n", code=2)
    sh.cwd = target
    return Result()


def _export(sh: Shell, argv: list[str], stdin: str) -> Result:
    for a in argv[1:]:
        k, eq, v = a.partition("=")
        if eq:
            sh.vars[k] = v
    return Result()


BUILTINS: dict[str, Command] = {
    "exit": _exit,
    "echo": _echo,
    "cd": _cd,
    "pwd": lambda sh, argv, stdin: Result(out=sh.cwd + "\n"),
    "true": lambda sh, argv, stdin: Result(),
    "false": lambda sh, argv, stdin: Result(code=1),
    ":": lambda sh, argv, stdin: Result(),
    "export": _export,
}


# --- programs -----------------------------------------------------------------------------------


def _read_file(sh: Shell, name: str) -> str | None:
    path = sh._path(name)
    if path in sh.ctx.files:
        return sh.ctx.files[path]
    if path == "/etc/hostname":
        return sh.ctx.hostname + "\n"
    return sh.ctx.fs.files.get(path)


def _cat(sh: Shell, argv: list[str], stdin: str) -> Result:
    if len(argv) == 1:
        return Result(out=stdin)
    res = Result()
    for name in argv[1:]:
        text = _read_file(sh, name)
        if text is None:
            kind = "Is a directory" if sh._path(name) in sh.ctx.fs.dirs else "No such file or directory"
            res.err += f"cat: can't open '{name}': {kind}\n"
            res.code = 1
        else:
            res.out += text
    return res


def _ls(sh: Shell, argv: list[str], stdin: str) -> Result:
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    names = [a for a in argv[1:] if not a.startswith("-")] or ["."]
    res = Result()
    for name in names:
        path = sh._path(name)
        entries = sh.ctx.fs.dirs.get(path)
        if entries is None:
            extra = [p for p in sh.ctx.files if posixpath.dirname(p) == path]
            if path in sh.ctx.files or path in sh.ctx.fs.files:
                res.out += name + "\n"
                continue
            if not extra:
                res.err += f"ls: {name}: No such file or directory\n"
                res.code = 1
                continue
            entries = ()
        listing = sorted(
            {*entries, *(posixpath.basename(p) for p in sh.ctx.files if posixpath.dirname(p) == path)}
        )
        if "a" in flags:
            listing = [".", "..", *listing]
        sep = "  " if sh.ctx.tty and "1" not in flags and "l" not in flags else "\n"
        if len(names) > 1:
            res.out += f"{name}:\n"
        res.out += sep.join(listing) + ("\n" if listing else "")
    return res


def _env(sh: Shell, argv: list[str], stdin: str) -> Result:
    return Result(out="".join(f"{k}={v}\n" for k, v in sh.vars.items()))


def _printenv(sh: Shell, argv: list[str], stdin: str) -> Result:
    if len(argv) == 1:
        return _env(sh, argv, stdin)
    values = [sh.vars[a] for a in argv[1:] if a in sh.vars]
    return Result(out="".join(v + "\n" for v in values), code=0 if len(values) == len(argv) - 1 else 1)


def _sleep(sh: Shell, argv: list[str], stdin: str) -> Result:
    if len(argv) < 2:
        return Result(err="sleep: missing operand\n", code=1)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", argv[1])
    if m is None:
        if argv[1] == "infinity":
            sh.ctx.sleep(float("inf"))
            return Result()
        return Result(err=f"sleep: invalid number '{argv[1]}'\n", code=1)
    seconds = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    sh.ctx.sleep(seconds)
    return Result()


def _date(sh: Shell, argv: list[str], stdin: str) -> Result:
    return Result(out=time.strftime("%a %b %e %H:%M:%S UTC %Y", time.gmtime()) + "\n")


PROGRAMS: dict[str, Command] = {
    "cat": _cat,
    "ls": _ls,
    "env": _env,
    "printenv": _printenv,
    "sleep": _sleep,
    "date": _date,
    "hostname": lambda sh, argv, stdin: Result(out=sh.ctx.hostname + "\n"),
    "whoami": lambda sh, argv, stdin: Result(out=sh.ctx.fs.user + "\n"),
    "uname": lambda sh, argv, stdin: Result(out="Linux\n"),
}


# --- curl and wget --------------------------------------------------------------------------------

_CURL_TAKES_ARG = {
    "-H", "--header", "-m", "--max-time", "-o", "--output", "-w", "--write-out", "-X", "--request",
    "--connect-timeout", "-A", "--user-agent", "-d", "--data", "-u", "--user", "--retry",
}  # fmt: skip


@dataclass
class _CurlOpts:
    silent: bool = False
    show_error: bool = False
    fail: bool = False
    include: bool = False
    write_out: str = ""
    output_file: str = ""
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def _curl_options(argv: list[str]) -> _CurlOpts:
    o = _CurlOpts()
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            if "=" in a and a.split("=", 1)[0] in _CURL_TAKES_ARG:
                pairs.append(tuple(a.split("=", 1)))  # type: ignore[arg-type]
            elif a in _CURL_TAKES_ARG:
                i += 1
                pairs.append((a, argv[i] if i < len(argv) else ""))
            else:
                pairs.append((a, ""))
        elif a.startswith("-") and len(a) > 1:
            for j, ch in enumerate(a[1:]):
                if f"-{ch}" in _CURL_TAKES_ARG:
                    rest = a[j + 2 :]
                    if not rest:
                        i += 1
                        rest = argv[i] if i < len(argv) else ""
                    pairs.append((f"-{ch}", rest))
                    break
                pairs.append((f"-{ch}", ""))
        else:
            o.url = a
        i += 1
    for opt, v in pairs:
        if opt in ("-s", "--silent"):
            o.silent = True
        elif opt in ("-S", "--show-error"):
            o.show_error = True
        elif opt in ("-f", "--fail"):
            o.fail = True
        elif opt in ("-i", "--include"):
            o.include = True
        elif opt in ("-H", "--header"):
            k, _, hv = v.partition(":")
            o.headers[k.strip()] = hv.strip()
        elif opt in ("-w", "--write-out"):
            o.write_out = v
        elif opt in ("-o", "--output"):
            o.output_file = v
    return o


def _progress(size: int) -> str:
    return (
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        "                                 Dload  Upload   Total   Spent    Left  Speed\n"
        f"\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
        f"\r100 {size:>5}  100 {size:>5}    0     0   {size:>4}      0 --:--:-- --:--:-- --:--:-- "
        f"{size:>5}\n"
    )


def _fetch(sh: Shell, url: str, headers: dict[str, str]) -> tuple[int, str, Any]:
    """(0, "", response) or (curl exit code, message, None)."""
    from liqo_tutor.sim import images

    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return 1, f'Protocol "{parts.scheme}" not supported', None
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    ip = images.resolve_host(sh.ctx.cluster, sh.ctx.namespace, host)
    if ip is None:
        return 6, f"Could not resolve host: {host}", None
    conn = images.http_get(sh.ctx.world, sh.ctx.cluster, ip, port, path, headers)
    if not conn.ok or conn.response is None:
        return 7, f"Failed to connect to {host} port {port} after 2 ms: Couldn't connect to server", None
    if conn.response.status == 0:  # connected, but the server answers no HTTP/1 (gRPC's HTTP/2, redis)
        return 1, "Received HTTP/0.9 when not allowed", None
    return 0, "", conn.response


def _curl(sh: Shell, argv: list[str], stdin: str) -> Result:
    o = _curl_options(argv[1:])
    res = Result()
    if not o.url:
        res.code = 2
        res.err = "curl: no URL specified\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
        return res
    code, message, resp = _fetch(sh, o.url, o.headers)
    if code == 0 and o.fail and resp.status >= 400:
        code, message = 22, f"The requested URL returned error: {resp.status}"
    if resp is not None and not o.silent:
        res.err += _progress(len(resp.body.encode()))
    if code:
        res.code = code
        if not o.silent or o.show_error:
            res.err += f"curl: ({code}) {message}\n"
        return res
    body = resp.body
    if o.include:
        reason = {200: "OK", 404: "Not Found"}.get(resp.status, "")
        body = (
            f"HTTP/1.1 {resp.status} {reason}\r\ncontent-type: {resp.content_type}\r\n"
            f"content-length: {len(resp.body.encode())}\r\n\r\n"
        ) + body
    if o.output_file and o.output_file != "-":
        if o.output_file != "/dev/null":
            sh.ctx.files[sh._path(o.output_file)] = body
        body = ""
    res.out += body
    if o.write_out:
        res.out += (
            o.write_out.replace("%{http_code}", str(resp.status))
            .replace("%{response_code}", str(resp.status))
            .replace("\\n", "\n")
        )
    return res


def _wget(sh: Shell, argv: list[str], stdin: str) -> Result:
    """busybox wget: `wget -qO- URL` prints the page; `wget URL` saves index.html."""
    quiet = any(a.startswith("-") and "q" in a and not a.startswith("--") for a in argv[1:])
    target = ""
    urls: list[str] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("-O"):
            target = a[2:] or (argv[i + 1] if i + 1 < len(argv) else "")
            i += 0 if a[2:] else 1
        elif a.startswith("-") and "O" in a and not a.startswith("--"):
            target = a.split("O", 1)[1] or (argv[i + 1] if i + 1 < len(argv) else "")
            i += 0 if a.split("O", 1)[1] else 1
        elif not a.startswith("-"):
            urls.append(a)
        i += 1
    if not urls:
        return Result(err="BusyBox v1.36.1 multi-call binary.\n\nUsage: wget [OPTIONS] URL...\n", code=1)
    url = urls[0]
    code, message, resp = _fetch(sh, url, {})
    host = urllib.parse.urlsplit(url if "://" in url else "http://" + url).hostname or ""
    res = Result()
    if not quiet:
        res.err += f"Connecting to {host}\n"
    if code == 6:
        return Result(err=res.err + f"wget: bad address '{host}'\n", code=1)
    if code:
        return Result(err=res.err + "wget: can't connect to remote host: Connection refused\n", code=1)
    if resp.status >= 400:
        return Result(err=res.err + f"wget: server returned error: HTTP/1.1 {resp.status}\n", code=1)
    if target == "-":
        res.out = resp.body
    else:
        name = target or posixpath.basename(urllib.parse.urlsplit(url).path) or "index.html"
        sh.ctx.files[sh._path(name)] = resp.body
        if not quiet:
            res.err += f"saving to '{name}'\n"
    return res


PROGRAMS["curl"] = _curl
PROGRAMS["wget"] = _wget


def _jq_entry(sh: Shell, argv: list[str], stdin: str) -> Result:
    from liqo_tutor.sim import jq

    args = argv[1:]
    files = [a for a in args if not a.startswith("-")][1:]
    for name in files:
        text = _read_file(sh, name)
        if text is None:
            return Result(err=f"jq: error: Could not open {name}: No such file or directory\n", code=2)
        stdin += text
    out, err, code = jq.run([a for a in args if a not in files], stdin)
    return Result(out=out, err=err, code=code)


PROGRAMS["jq"] = _jq_entry

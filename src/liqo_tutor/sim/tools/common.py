"""Helpers shared by the simulated tools: the playground dir, output, atomic files, Go durations."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "DOCKER_DOWN",
    "atomic_write",
    "err",
    "file_lock",
    "familiar_image",
    "format_duration",
    "normalize_image",
    "out",
    "parse_duration",
    "pause",
    "read_json",
    "simdir",
    "write_json",
]

DOCKER_DOWN = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
)


def simdir() -> Path:
    """The playground of this call: LIQO_TUTOR_SIM_DIR (set by the shims), else ./.liqo-tutor/sim."""
    raw = os.environ.get("LIQO_TUTOR_SIM_DIR", "").strip()
    path = Path(raw) if raw else Path.cwd() / ".liqo-tutor" / "sim"
    path.mkdir(parents=True, exist_ok=True)
    return path


def out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def err(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def atomic_write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive flock on `path` (created if missing) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration; ValueError with Go's wording on bad input."""
    s = text.strip()
    if s in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if s.startswith("-") else 1.0
    body = s.lstrip("+-")
    pos, total = 0, 0.0
    while pos < len(body):
        m = _DURATION_PART.match(body, pos)
        if m is None:
            unit_less = re.match(r"(\d+(?:\.\d*)?)$", body[pos:])
            if unit_less:
                raise ValueError(f'time: missing unit in duration "{text}"')
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def format_duration(seconds: float) -> str:
    """Go's Duration.String() of a value rounded to whole seconds: 5m0s, 30s, 1h0m0s, 0s."""
    total = int(round(seconds))
    if total == 0:
        return "0s"
    neg, total = total < 0, abs(total)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    text = f"{h}h{m}m{s}s" if h else (f"{m}m{s}s" if m else f"{s}s")
    return ("-" if neg else "") + text


def normalize_image(ref: str) -> str:
    """Docker's reference normalisation: `curlimages/curl` -> `docker.io/curlimages/curl:latest`."""
    name = ref.strip()
    digest = ""
    if "@" in name:
        name, digest = name.split("@", 1)
    first = name.split("/", 1)[0]
    has_registry = "/" in name and ("." in first or ":" in first or first == "localhost")
    if not has_registry:
        name = f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    return f"{name}@{digest}" if digest else name


def familiar_image(ref: str) -> str:
    """The short form docker prints: `docker.io/library/nginx:latest` -> `nginx:latest`."""
    full = normalize_image(ref)
    for prefix in ("docker.io/library/", "docker.io/"):
        if full.startswith(prefix):
            return full[len(prefix):]
    return full

"""Default timeouts per kind of command: each tool's own bound plus a margin.

The bounds are the tools' documented defaults (reference liqo.md §8, kind's `--wait`); an action in
the YAML overrides them with `timeout:`, and `--timeout-scale` multiplies every timeout. A command
that overruns gets SIGTERM, then SIGKILL after a grace period (tools/runner.py).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence

from liqo_tutor.constants import DEFAULT_COMMAND_TIMEOUT

__all__ = [
    "DEFAULTS",
    "DIAGNOSTICS",
    "DIAGNOSTICS_MIN",
    "HOST_CHECK",
    "POD_CALL",
    "POLL_SLACK",
    "QUICK",
    "RUN_POD_TIMEOUT",
    "default_timeout",
    "default_timeout_argv",
    "describe",
]

_M = 60.0
# A probe pod: created, image pulled, run to completion, logs read.
RUN_POD_TIMEOUT = 5 * _M
# Each kubectl call a probe pod takes (create, wait slice, phase, logs, delete), never more than the pod's.
POD_CALL = 1 * _M
# A question the tool answers at once: a client version, the Liqo version a cluster runs, a snapshot.
QUICK = 30.0
# A check's command may run this long beyond the `{timeout}` budget it hands to `kubectl wait`.
POLL_SLACK = 30.0
# A diagnostics command after a failure (before --timeout-scale), and its floor once scaled.
DIAGNOSTICS = 20.0
DIAGNOSTICS_MIN = 5.0
# A host check of `liqo-tutor doctor` (docker info, kind version...).
HOST_CHECK = 20.0

# (program, words in order) -> seconds. The first match wins, so the more specific entries come first.
DEFAULTS: tuple[tuple[str, tuple[str, ...], float, str], ...] = (
    ("kind", ("create", "cluster"), 10 * _M, "control plane --wait 5m, plus node image pull"),
    ("kind", ("delete", "cluster"), 3 * _M, "typically 5-15 s"),
    ("kind", (), 1 * _M, "kind get/export: local and quick"),
    ("liqoctl", ("install",), 12 * _M, "liqoctl --timeout defaults to 10m (Helm wait)"),
    ("liqoctl", ("generate",), 2 * _M, "reads a few objects"),
    ("liqoctl", ("peer", "out-of-band"), 6 * _M, "v0.x: --timeout 120s by default, the tutorial passes 5m"),
    ("liqoctl", ("peer",), 11 * _M, "v1.x: --timeout defaults to 10m"),
    ("liqoctl", ("unpeer",), 3 * _M, "--timeout defaults to 120s"),
    ("liqoctl", ("offload",), 2 * _M, "--timeout defaults to 20s, the tutorial passes 60s"),
    ("liqoctl", ("unoffload",), 3 * _M, "--timeout defaults to 120s"),
    ("liqoctl", ("uninstall",), 11 * _M, "--timeout defaults to 10m"),
    ("liqoctl", (), 1 * _M, "version, info"),
    ("kubectl", ("run",), 1 * _M, "creating the pod object only"),
    ("kubectl", (), 2 * _M, "one API request (waits carry their own --timeout)"),
    ("helm", ("install",), 5 * _M, "pulls the chart; without --wait it does not wait for the pods"),
    ("helm", ("upgrade",), 5 * _M, "as install"),
    ("helm", ("uninstall",), 3 * _M, "deletes the release's objects"),
    ("helm", (), 1 * _M, "repo add/update, status, list"),
    ("docker", ("pull",), 10 * _M, "downloads the image's layers"),
    ("docker", ("crictl", "pull"), 10 * _M, "a kind node pulls an image (docker exec NODE crictl pull)"),
    ("docker", (), 1 * _M, "talks to the local daemon"),
)


def _words(command: str) -> list[str]:
    try:
        tokens = shlex.split(command)
    except ValueError:
        tokens = command.split()
    return [t for t in tokens if not t.startswith("-") and "{" not in t]


def _subsequence(want: tuple[str, ...], have: list[str]) -> bool:
    it = iter(have)
    return all(any(w == h for h in it) for w in want)


def _entry(command: str) -> tuple[str, tuple[str, ...], float, str] | None:
    words = _words(command)
    if not words:
        return None
    program, rest = words[0].rsplit("/", 1)[-1], words[1:]
    return next((e for e in DEFAULTS if e[0] == program and _subsequence(e[1], rest)), None)


def default_timeout_argv(argv: Sequence[str]) -> float:
    """Seconds allowed for an argv list the core builds (its program's path may be absolute)."""
    words = [os.path.basename(argv[0])] if argv else []
    words += [a for a in argv[1:] if not a.startswith("-")]
    entry = _entry(shlex.join(words)) if words else None
    return entry[2] if entry is not None else DEFAULT_COMMAND_TIMEOUT


def default_timeout(command: str) -> float:
    """Seconds allowed for `command` (as typed in the YAML) when its action sets no `timeout:`."""
    entry = _entry(command)
    return entry[2] if entry is not None else DEFAULT_COMMAND_TIMEOUT


def describe(command: str) -> str:
    """Why that default (for `show` and messages)."""
    entry = _entry(command)
    if entry is None:
        return f"{DEFAULT_COMMAND_TIMEOUT:g}s: default for any command"
    return f"{entry[2]:g}s: {entry[3]}"

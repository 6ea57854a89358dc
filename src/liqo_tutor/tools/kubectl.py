"""kubectl (and liqoctl: same client-go flags): explicit kubeconfig per cluster, JSON parsing."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from liqo_tutor.tools import runner

__all__ = ["KUBECONFIG_PROGRAMS", "get_json", "with_kubeconfig"]

# Programs that take client-go connection flags (--kubeconfig, --context).
KUBECONFIG_PROGRAMS = frozenset({"kubectl", "liqoctl"})


def with_kubeconfig(argv: Sequence[str], kubeconfig: str | None, context: str | None = None) -> list[str]:
    """`argv` with `--kubeconfig PATH` (and `--context`) added unless given, before any `--`.

    Nothing reads an ambient KUBECONFIG: every kubectl/liqoctl call names its cluster's file.
    """
    args = list(argv)
    if not args or os.path.basename(args[0]) not in KUBECONFIG_PROGRAMS or kubeconfig is None:
        return args
    end = args.index("--") if "--" in args else len(args)
    head, tail = args[:end], args[end:]
    extra: list[str] = []
    if not any(a == "--kubeconfig" or a.startswith("--kubeconfig=") for a in head):
        extra += ["--kubeconfig", kubeconfig]
    if context and not any(a == "--context" or a.startswith("--context=") for a in head):
        extra += ["--context", context]
    return head + extra + tail


def get_json(
    args: Sequence[str],
    *,
    kubeconfig: str,
    env: Mapping[str, str],
    timeout: float = 60.0,
    cwd: Path | None = None,
    cluster: str | None = None,
) -> Any:
    """`kubectl ARGS -o json` parsed (a single object or a `List`)."""
    argv = with_kubeconfig(["kubectl", *args, "-o", "json"], kubeconfig)
    result = runner.run(argv, env=env, timeout=timeout, cwd=cwd, cluster=cluster)
    return json.loads(result.stdout)

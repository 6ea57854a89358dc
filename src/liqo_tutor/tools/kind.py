"""kind: list the clusters that exist (the provider's truth)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from liqo_tutor.tools import runner

_NODE_IMAGE = re.compile(r"kindest/node:(v\d+\.\d+\.\d+)")

__all__ = ["get_clusters", "node_version", "parse_clusters"]


def parse_clusters(stdout: str) -> list[str]:
    """`kind get clusters` prints one name per line (nothing, plus a stderr note, when there are none).

    Whole lines are compared: `london` must not match `london2`.
    """
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def get_clusters(
    argv: Sequence[str], *, env: Mapping[str, str], timeout: float = 60.0, cwd: Path | None = None
) -> list[str]:
    return parse_clusters(runner.run(list(argv), env=env, timeout=timeout, cwd=cwd).stdout)


def node_version(config: Path) -> str | None:
    """The Kubernetes version of a kind cluster config's node image (`kindest/node:v1.30.0`), if pinned."""
    try:
        m = _NODE_IMAGE.search(config.read_text(encoding="utf-8"))
    except OSError:
        return None
    return m.group(1) if m else None

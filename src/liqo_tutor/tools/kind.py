"""kind: its cluster list (the provider's truth) and the node image a cluster config pins."""

from __future__ import annotations

import re
from pathlib import Path

_NODE_IMAGE = re.compile(r"kindest/node:(v\d+\.\d+\.\d+)")

__all__ = ["VERSION", "node_version", "parse_clusters"]

VERSION = ("kind", "version")


def parse_clusters(stdout: str) -> list[str]:
    """`kind get clusters` prints one name per line (nothing, plus a stderr note, when there are none).

    Whole lines are compared: `london` must not match `london2`.
    """
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def node_version(config: Path) -> str | None:
    """The Kubernetes version of a kind cluster config's node image (`kindest/node:v1.30.0`), if pinned."""
    try:
        m = _NODE_IMAGE.search(config.read_text(encoding="utf-8"))
    except OSError:
        return None
    return m.group(1) if m else None

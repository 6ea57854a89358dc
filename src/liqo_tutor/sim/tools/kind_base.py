"""Simulated kind: what every command shares (errors, the log, the playground's clusters, names)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from liqo_tutor.sim import faults
from liqo_tutor.sim.tools import docker
from liqo_tutor.sim.tools.common import DOCKER_DOWN, err, read_json

__all__ = [
    "DEFAULT_IMAGE",
    "DEFAULT_POD_SUBNET",
    "DEFAULT_SERVICE_SUBNET",
    "GO_VERSION",
    "KIND_VERSION",
    "NAME_RE",
    "SALUTATIONS",
    "KindError",
    "Log",
    "check_docker",
    "cluster_name",
    "clusters",
    "control",
    "docker_failed",
    "exists_message",
    "go_list",
    "node_containers",
    "ps_cmd",
    "state_clusters",
    "token_of",
    "wake",
]

KIND_VERSION = "0.29.0"
GO_VERSION = "go1.24.2"
DEFAULT_IMAGE = "kindest/node:v1.33.1"
DEFAULT_POD_SUBNET = "10.244.0.0/16"
DEFAULT_SERVICE_SUBNET = "10.96.0.0/16"
NAME_RE = re.compile(r"^[a-z0-9.-]+$")
SALUTATIONS = (
    "Have a nice day! 👋",
    "Thanks for using kind! 😊",
    "Not sure what to do next? 😅  Check out https://kind.sigs.k8s.io/docs/user/quick-start/",
    "Have a question, bug, or feature request? Let us know! https://kind.sigs.k8s.io/#community 🙂",
)


class KindError(Exception):
    """Printed as `ERROR: <message>` (plus `\\nCommand Output: ...` when a command failed), exit 1."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.output = output


# --- output ----------------------------------------------------------------------------------

class Log:
    """kind's logger (pkg/internal/cli/logger.go): stderr, a trailing newline ensured, nothing with -q."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, line: str) -> None:
        if not self.quiet:
            err(line if line.endswith("\n") else line + "\n")


def go_list(items: list[str]) -> str:
    """Go's %q of a []string: ["a" "b"]."""
    return "[" + " ".join(f'"{i}"' for i in items) + "]"


def docker_failed(cmd: str, output: str) -> KindError:
    return KindError(f'command "{cmd}" failed with error: exit status 1', output)


def ps_cmd(name: str | None) -> str:
    if name is None:
        return ("docker ps -a --filter label=io.x-k8s.kind.cluster "
                "--format '{{.Label \"io.x-k8s.kind.cluster\"}}'")
    return f"docker ps -a --filter label=io.x-k8s.kind.cluster={name} --format '{{{{.Names}}}}'"


# --- the playground -------------------------------------------------------------------------------

def state_clusters(sd: Path) -> list[str]:
    state = read_json(sd / "state.json", {})
    clusters = state.get("clusters") if isinstance(state, dict) else None
    return sorted(clusters) if isinstance(clusters, dict) else []


def control(sd: Path, *, start: bool) -> Any:
    """The daemon's control client; a persisted playground is brought back up, an empty one is not."""
    from liqo_tutor.sim import client

    found = client.connect(sd)
    if found is not None or not (start or state_clusters(sd)):
        return found
    return client.ensure_daemon(sd)


def wake(sd: Path) -> None:
    """Bring a persisted playground's server back up (no-op when it runs or has no cluster)."""
    control(sd, start=False)


def clusters(sd: Path) -> dict[str, dict[str, Any]]:
    found = control(sd, start=False)
    if found is None:
        return {}
    return {c["name"]: c for c in found.clusters()}


def node_containers(info: dict[str, Any]) -> list[str]:
    """The cluster's node containers (docker label io.x-k8s.kind.cluster), as kind's ListNodes sees them.

    Node objects kind did not create (e.g. Liqo's virtual nodes) are not containers: kind never lists,
    loads into or deletes them (kind pkg/cluster/internal/providers/docker/provider.go ListNodes).
    """
    spec = info.get("spec") or {}
    names = [str(n[0]) for n in spec.get("nodes") or []] or [f"{info.get('name', 'kind')}-control-plane"]
    listed = [str(n["name"]) for n in info.get("nodes", []) if n.get("name") in names]
    return listed + [n for n in names if n not in listed]


# --- names -----------------------------------------------------------------------------------------

def cluster_name(values: dict[str, Any], config_name: str = "") -> str:
    return str(values.get("name") or os.environ.get("KIND_CLUSTER_NAME") or config_name or "kind")


def exists_message(name: str) -> str:
    return f'failed to create cluster: node(s) already exist for a cluster with the name "{name}"'


def token_of(info: dict[str, Any]) -> str:
    return str((info.get("kind") or {}).get("token", ""))


def check_docker(what: str) -> None:
    if faults.docker_down():
        raise KindError(f"{what}: failed to get docker info: command "
                        "\"docker info --format '{{json .}}'\" failed with error: exit status 1",
                        docker.zero_info_json() + "\n" + DOCKER_DOWN)


"""`kubectl logs -f`: a container's log as it grows, until the container ends or the pod goes away."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from liqo_tutor.sim.store import World

__all__ = ["follow"]


def _ended(world: World, cluster_name: str, ns: str, pod_name: str, container: str) -> bool:
    cluster = world.clusters.get(cluster_name)
    pod = cluster.get("pods", ns, pod_name) if cluster is not None else None
    if pod is None:
        return True
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            state = status.get("state") or {}
            return "terminated" in state or ("waiting" in state and bool(status.get("lastState")))
    return False


def follow(
    world: World,
    cluster_name: str,
    ns: str,
    pod_name: str,
    container: str,
    *,
    skip_existing: bool = False,
    gone: threading.Event | None = None,
    start: int = 0,
) -> Iterator[str]:
    """New log text as it is written (from offset `start`); stops when the container has ended."""
    key = f"{ns}/{pod_name}/{container}"
    sent = start
    if skip_existing:
        with world.lock:
            cluster = world.clusters.get(cluster_name)
            sent = len(cluster.private.get("logs", {}).get(key, "")) if cluster is not None else 0
    while gone is None or not gone.is_set():
        with world.cond:
            cluster = world.clusters.get(cluster_name)
            text = cluster.private.get("logs", {}).get(key, "") if cluster is not None else ""
            ended = _ended(world, cluster_name, ns, pod_name, container)
            if len(text) <= sent and not ended:
                world.cond.wait(0.5)
                continue
        if len(text) > sent:
            chunk, sent = text[sent:], len(text)
            yield chunk
        if ended:
            return

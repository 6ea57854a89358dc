"""Named delays of the simulated playground and their profiles (lively demo, realistic, instant)."""

from __future__ import annotations

import json
import os

__all__ = ["DEMO", "REALISTIC", "REALISTIC_SCALE_ENV", "SPEED_ENV", "TRACE_ENV", "delay", "speed", "trace"]

SPEED_ENV = "LIQO_TUTOR_SIM_SPEED"
REALISTIC_SCALE_ENV = "LIQO_TUTOR_SIM_REALISTIC_SCALE"
# Where to append one JSON line per simulated duration (the benchmark's critical path is built from them).
TRACE_ENV = "LIQO_TUTOR_SIM_TRACE"
_traced: set[str] = set()

# Lively demo: something visibly happens, nothing makes the user wait long.
DEMO: dict[str, float] = {
    "kind_create_step": 0.4,
    "kind_delete": 0.8,
    "node_ready": 1.5,
    "image_pull": 1.0,
    "pod_start": 0.5,
    "liqo_install": 2.0,
    "liqo_pod_start": 1.0,
    "peer_auth": 1.0,
    "peer_network": 1.5,
    "peer_node": 1.5,
    "virtual_node_ready": 1.0,
    "offload": 0.8,
    "reflection": 1.0,
    "unoffload": 0.8,
    "unpeer": 1.5,
    "uninstall": 2.0,
    "curl": 0.3,
    "namespace_delete": 0.8,
    "pod_delete": 0.3,
    "backoff": 1.0,
}

# Typical real durations in seconds (reference liqo.md §8, kind-kubectl.md §2.2), before scaling.
REALISTIC: dict[str, float] = {
    "kind_create_step": 8.0,  # ~7 steps, 40-90 s per cluster
    "kind_delete": 10.0,
    "node_ready": 20.0,
    "image_pull": 15.0,
    "pod_start": 3.0,
    "liqo_install": 90.0,
    "liqo_pod_start": 20.0,
    "peer_auth": 20.0,
    "peer_network": 40.0,
    "peer_node": 30.0,
    "virtual_node_ready": 10.0,
    "offload": 5.0,
    "reflection": 10.0,
    "unoffload": 10.0,
    "unpeer": 25.0,
    "uninstall": 60.0,
    "curl": 1.0,
    "namespace_delete": 8.0,
    "pod_delete": 2.0,
    "backoff": 10.0,
}


def speed() -> tuple[float, bool]:
    """(factor, realistic?) from LIQO_TUTOR_SIM_SPEED; an unparsable value counts as 1."""
    raw = os.environ.get(SPEED_ENV, "1").strip().lower()
    if raw == "realistic":
        try:
            return float(os.environ.get(REALISTIC_SCALE_ENV, "0.05")), True
        except ValueError:
            return 0.05, True
    try:
        value = float(raw)
    except ValueError:
        return 1.0, False
    return max(value, 0.0), False


def delay(name: str) -> float:
    """Seconds for the named simulated operation, already scaled; unknown names count as 0.5 s."""
    factor, realistic = speed()
    table = REALISTIC if realistic else DEMO
    return table.get(name, 0.5) * factor


def trace(name: str, cluster: str | None, start: float, seconds: float, key: str | None = None) -> None:
    """Record that the playground makes `cluster` busy with `name` from `start` for `seconds`.

    Only when LIQO_TUTOR_SIM_TRACE names a file (the benchmark sets it); `key` makes a repeated
    decision count once per process.
    """
    path = os.environ.get(TRACE_ENV)
    if not path or seconds <= 0:
        return
    if key is not None:
        if key in _traced:
            return
        _traced.add(key)
    line = json.dumps({"name": name, "cluster": cluster, "start": start, "end": start + seconds}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)

"""Liqo inside the simulated playground: CRDs per line, in-cluster controllers, version rules."""

from __future__ import annotations

import os

__all__ = ["delay", "scaled"]


def delay(name: str) -> float:
    """A named playground delay in seconds, already scaled by LIQO_TUTOR_SIM_SPEED (sim.delays)."""
    from liqo_tutor.sim import delays

    return float(delays.delay(name))


def scaled(seconds: float) -> float:
    """A real-world duration (a timeout that can only expire) scaled like the playground's delays."""
    from liqo_tutor.sim import delays

    scale = getattr(delays, "scale", None)
    if callable(scale):
        return float(scale(seconds))
    raw = os.environ.get("LIQO_TUTOR_SIM_SPEED", "1").strip()
    try:
        factor = float(raw)
    except ValueError:
        factor = 0.01  # named profiles ("realistic") squeeze real durations into about a minute
    return max(0.0, seconds * factor)

"""Liqo inside the simulated playground: CRDs per line, in-cluster controllers, version rules."""

from __future__ import annotations

__all__ = ["delay", "scaled"]


def delay(name: str) -> float:
    """A named playground delay in seconds, already scaled by LIQO_TUTOR_SIM_SPEED (sim.delays)."""
    from liqo_tutor.sim import delays

    return float(delays.delay(name))


def scaled(seconds: float) -> float:
    """A real-world duration (a timeout that can only expire) scaled like the playground's delays."""
    from liqo_tutor.sim import delays

    factor, _realistic = delays.speed()
    return max(0.0, seconds * factor)

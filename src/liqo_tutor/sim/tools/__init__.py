"""Simulated executables of the playground (`python -m liqo_tutor.sim.tools NAME ARGS...`)."""

from __future__ import annotations

__all__: list[str] = []

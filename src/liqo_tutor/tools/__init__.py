"""Typed wrappers over the runner, one module per tool (kind, kubectl, liqoctl, docker)."""

from __future__ import annotations

__all__: list[str] = []

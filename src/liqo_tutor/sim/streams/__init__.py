"""Streaming API of the simulated API server: exec, attach, port-forward, logs -f (WebSocket and SPDY)."""

from __future__ import annotations

"""Simulated `liqoctl` (v0.x and v1.x lines): cobra-like argv handling, acting through the Kubernetes API.

One module per command (and per Liqo line for peering): version, install, uninstall, peer_v0, peer_v1,
offload, info (v1), status (v0); cli.py parses argv like cobra and prints like pterm in raw mode,
tree.py builds each line's command tree, common.py holds the helpers over the API.

The cluster-side half (peering, virtual nodes, offloading, reflection) lives in sim/liqo/
and runs inside the playground daemon; this process only writes what the real liqoctl writes and waits
for what the real liqoctl waits for.
"""

from __future__ import annotations

from liqo_tutor.sim.tools.common import parse_duration
from liqo_tutor.sim.tools.liqoctl.tree import main

__all__ = ["main", "parse_duration"]

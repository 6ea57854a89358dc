"""Runs a tutorial's steps: results as data, progress told to a Reporter; never prints.

The package: `model` (options, plans, status reports: the typed seam with cli and ui), `api` (the
entry points below), `session` (one run/step/teardown and its run loop), `steps` (one step and its
result), `act` (one action: guards, `unless`, `before:` claims), `parallel` (per-cluster chains and
claims asked together), `teardowns` (reverse order, leftovers), `planning` (show and --dry-run),
`resolve` (tutorial, clusters, shell and Context for a workdir), `observe` (reporter wrappers and the
one observer of every command). Line detection is in lines.py, preflight in doctor.py.
"""

from __future__ import annotations

from liqo_tutor.engine.api import diagnose, env_exports, list_tutorials, plan, run, run_step, status, teardown
from liqo_tutor.engine.model import (
    ClusterRef,
    ClusterStatus,
    Plan,
    PlanCommand,
    PlanStep,
    Prompter,
    RunOptions,
    StatusReport,
)

__all__ = [
    "ClusterRef",
    "ClusterStatus",
    "Plan",
    "PlanCommand",
    "PlanStep",
    "Prompter",
    "RunOptions",
    "StatusReport",
    "diagnose",
    "env_exports",
    "list_tutorials",
    "plan",
    "run",
    "run_step",
    "status",
    "teardown",
]

"""The engine's typed seam with the CLI and the UI: options in, plans and status reports out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.tutorial import Step

__all__ = [
    "ClusterRef",
    "ClusterStatus",
    "Plan",
    "PlanCommand",
    "PlanStep",
    "Prompter",
    "RunOptions",
    "StatusReport",
]


class Prompter(Protocol):
    """Learner mode: asked before each step; answers "run", "skip" or "quit".

    `no_skip` is None when skipping the step is safe, else why it is not (the prompter refuses "s").
    """

    def ask(self, step: Step, no_skip: str | None) -> str: ...


@dataclass(frozen=True)
class ClusterRef:
    """Bring-your-own cluster: --cluster NAME=KUBECONFIG[@CONTEXT]."""

    kubeconfig: Path
    context: str | None = None


@dataclass(frozen=True)
class RunOptions:
    workdir: Path
    env: Mapping[str, str]
    line: str | None = None
    from_step: str | None = None
    to_step: str | None = None
    restart: bool = False
    teardown_after: bool = False
    sequential: bool = False
    dry_run: bool = False
    replace: bool = False
    timeout_scale: float = 1.0
    clusters: Mapping[str, ClusterRef] = field(default_factory=dict)
    steps_dir: Path | None = None
    prompter: Prompter | None = None
    explain: bool = False  # after each step, describe what changed in each cluster
    options: frozenset[str] = frozenset()  # opt-in actions of the tutorial (e.g. "preload-images")
    verbose: bool = False  # also show the plumbing commands (polls, log reads, clean-ups)


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    exists: bool
    kubeconfig: str
    created_by_us: bool


@dataclass(frozen=True)
class StatusReport:
    tutorial: str
    line: str | None
    steps: dict[str, str]
    clusters: list[ClusterStatus]

    def to_json(self) -> dict[str, object]:
        return {
            "tutorial": self.tutorial,
            "line": self.line,
            "steps": dict(self.steps),
            "clusters": [
                {
                    "name": c.name,
                    "exists": c.exists,
                    "kubeconfig": c.kubeconfig,
                    "created_by_us": c.created_by_us,
                }
                for c in self.clusters
            ],
        }


@dataclass(frozen=True)
class PlanStep:
    id: str
    title: str
    explain: str
    teardown: bool
    commands: tuple[PlanCommand, ...]
    checks: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "explain": self.explain,
            "teardown": self.teardown,
            "commands": [{"cluster": c.cluster, "command": c.display, "when": c.when} for c in self.commands],
            "checks": list(self.checks),
        }


@dataclass(frozen=True)
class Plan:
    tutorial: str
    title: str
    line: str
    liqo_version: str
    steps: tuple[PlanStep, ...]
    exports: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, object]:
        return {
            "tutorial": self.tutorial,
            "title": self.title,
            "line": self.line,
            "liqo_version": self.liqo_version,
            "exports": [{"name": k, "value": v} for k, v in self.exports],
            "steps": [s.to_json() for s in self.steps],
        }

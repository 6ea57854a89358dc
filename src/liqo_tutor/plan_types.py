"""What a plan shows for one action: the command a person types, on which cluster, and when it runs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlanCommand"]


@dataclass(frozen=True)
class PlanCommand:
    cluster: str | None
    display: str
    when: str = ""  # "if present", "unless already done", "generated", "in the background"

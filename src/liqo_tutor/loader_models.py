"""The YAML shapes of a tutorial file outside actions and checks (pydantic, unknown keys refused).

Actions and checks are the registered kinds' models (verbs/, claims/); a step lists them as raw
mappings, each validated by its own kind's model so that errors name the exact item.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from liqo_tutor.kinds import YamlModel

__all__ = [
    "ClusterModel",
    "DetectModel",
    "LineModel",
    "OverrideModel",
    "ProviderModel",
    "RequirementModel",
    "ServerDetectModel",
    "StepModel",
    "TopModel",
]


class ClusterModel(YamlModel):
    name: str
    kubeconfig: str
    env: str
    kind_config: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    vars: dict[str, str] = Field(default_factory=dict)


class ProviderModel(YamlModel):
    list: str
    delete: str


class RequirementModel(YamlModel):
    program: str
    hint: str
    probe: str | None = None
    for_create: bool = False


class ServerDetectModel(YamlModel):
    command: str
    pattern: str


class DetectModel(YamlModel):
    command: str
    pattern: str
    default: str
    server: ServerDetectModel | None = None


class OverrideModel(YamlModel):
    range: str
    vars: dict[str, str]


class LineModel(YamlModel):
    range: str
    fallback_version: str
    vars: dict[str, str] = Field(default_factory=dict)
    overrides: list[OverrideModel] = Field(default_factory=list)


class TopModel(YamlModel):
    name: str
    title: str
    version: int = 1
    # The tutorial's own folder inside the manifests directory (`{manifests}` = <manifests>/<this>).
    manifests: str | None = None
    clusters: list[ClusterModel] = Field(min_length=1)
    provider: ProviderModel
    requires: list[RequirementModel] = Field(default_factory=list)
    lines: dict[str, dict[str, Any]]  # `detect` + one entry per line (validated one by one)
    vars: dict[str, str] = Field(default_factory=dict)
    steps: list[dict[str, Any]] = Field(min_length=1)
    diagnostics: list[str] = Field(default_factory=list)


class StepModel(YamlModel):
    id: str
    title: str
    explain: str
    actions: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[dict[str, Any]] = Field(default_factory=list)
    teardown: bool = False
    concurrent: bool = False
    # `by-running`: the step changes nothing in the clusters (probes), so running it again is how a
    # re-run verifies it live; `checks` (default): its checks alone say whether it still holds.
    verify: Literal["checks", "by-running"] = "checks"
    hint: str | None = None

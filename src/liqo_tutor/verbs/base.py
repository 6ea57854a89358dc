"""The verb protocol: one YAML action kind = one module with a model, validation, plan and run.

A verb's module defines a subclass of `Verb` and registers it (verbs/registry.py); the loader reads
the kind names, models and validation from the registry, the engine the plan and run. Nothing else
needs to know the kind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import Field

from liqo_tutor.kinds import Duration, Refs, Scope, YamlModel
from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.timeouts import default_timeout

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["ActionModel", "Verb", "when_of"]


class ActionModel(YamlModel):
    """The keys every action has, whatever its kind."""

    cluster: str | None = None
    each: bool = False
    lines: list[str] = Field(default_factory=list)
    timeout: Duration | None = None  # absent: the default for that kind of command (timeouts.py)
    ok_codes: list[int] = Field(default_factory=lambda: [0])
    retries: int = Field(default=0, ge=0, le=20)
    retry_delay: Duration = 3.0
    guards: list[dict[str, Any]] = Field(default_factory=list)  # checks: all hold, else skipped
    unless: list[dict[str, Any]] = Field(default_factory=list)  # checks: all hold -> already done
    # Claims verified just before the action runs (only when it runs): "newyork does not see it yet".
    before: list[dict[str, Any]] = Field(default_factory=list)
    hint: str | None = None
    records: str | None = None  # remembered per cluster when it runs (bring-your-own clusters)
    undoes: str | None = None  # teardown: on a bring-your-own cluster, only if that was recorded
    # Runs only when the user asks for this option (e.g. `preload-images` <- --preload-images).
    option: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]*$")


M = TypeVar("M", bound=ActionModel)


def when_of(action: Action) -> str:
    """When a planned command runs: "if present" (guards), "unless already done" (unless)."""
    return "if present" if action.guards else ("unless already done" if action.unless else "")


class Verb(ABC, Generic[M]):
    """One action kind. `name` is its YAML key; `model` its pydantic model (common keys included)."""

    name: ClassVar[str]
    model: type[M]
    needs_cluster: ClassVar[bool] = False  # `cluster:` or `each: true` is required
    creates_cluster: ClassVar[bool] = False  # the engine refreshes kubeconfigs after it
    probe: ClassVar[bool] = False  # changes nothing in the clusters: a re-run may run it again
    # Names a capture can be used under inside this verb's own command (`{pod}` for run-pod).
    local_variables: ClassVar[frozenset[str]] = frozenset()

    def spec(self, action: Action) -> M:
        """The action's typed model (what the loader validated)."""
        spec = action.spec
        if not isinstance(spec, self.model):
            raise TypeError(f"{self.name}: got a {type(spec).__name__}")
        return spec

    @abstractmethod
    def command(self, spec: M) -> str:
        """The text under the verb's key (a command as typed)."""

    def validate(self, spec: M, refs: Refs, scope: Scope) -> None:
        """Cross-references of this kind; the default checks the command's variables, words, manifests."""
        if self.needs_cluster and scope.cluster is None:
            raise refs.error(scope.loc, f"`{self.name}` needs `cluster:` or `each: true`")
        here = scope.at(self.name)
        refs.variables(self.command(spec), here, self.local_variables)
        refs.split(self.command(spec), here.loc)
        refs.manifests_in(self.command(spec), here)

    def saves(self, spec: M) -> list[str]:
        """Capture names this action saves (for the loader's bookkeeping)."""
        return []

    def default_timeout(self, spec: M) -> float:
        return default_timeout(self.command(spec))

    def plan(self, ctx: Context, action: Action, cluster: str | None) -> list[PlanCommand]:
        """What `show`/`--dry-run` print for this action on `cluster`."""
        argv = ctx.argv(self.command(self.spec(action)), cluster)
        return [PlanCommand(cluster, ctx.display(argv, cluster), when_of(action))]

    @abstractmethod
    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        """Do it; raise a LiqoTutorError (ToolFailed, StepFailed, ...) when it fails."""

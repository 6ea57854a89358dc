"""Helpers of create-cluster and delete-cluster: their base class, the provider's list and delete commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.timeouts import default_timeout_argv
from liqo_tutor.tools import kind as kind_tool
from liqo_tutor.verbs.base import ActionModel, Verb, when_of

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["ClusterVerb", "delete_existing", "existing_clusters", "provider_changed"]

M = TypeVar("M", bound=ActionModel)


class ClusterVerb(Verb[M]):
    """A verb whose command acts on a whole cluster (create/delete): shown without a cluster context."""

    needs_cluster: ClassVar[bool] = True

    def plan(self, ctx: Context, action: Action, cluster: str | None) -> list[PlanCommand]:
        argv = ctx.argv(self.command(self.spec(action)), cluster)
        return [PlanCommand(cluster, ctx.display(argv, None), when_of(action))]


_LISTED = "provider.list"


def existing_clusters(ctx: Context) -> list[str]:
    """The provider's clusters, asked once per step: every chain of a concurrent provisioning asks at
    once, and each only looks for its own name, which no other chain creates or deletes."""

    def ask() -> list[str]:
        argv = ctx.argv(ctx.tutorial.provider.list, None)
        result = ctx.run(argv, cluster=None, timeout=ctx.scaled(default_timeout_argv(argv)), quiet=True)
        return kind_tool.parse_clusters(result.stdout)

    return list(ctx.shared(_LISTED, ask))


def delete_existing(ctx: Context, cluster: str, timeout: float) -> None:
    argv = ctx.argv(ctx.tutorial.provider.delete, cluster)
    try:
        ctx.run(argv, cluster=None, timeout=ctx.scaled(timeout))
    finally:
        provider_changed(ctx)


def provider_changed(ctx: Context) -> None:
    """A cluster was created or deleted: the next look at the provider's list asks again."""
    ctx.forget(_LISTED)

"""Helpers of create-cluster and delete-cluster: the provider's list and delete commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liqo_tutor.timeouts import default_timeout_argv
from liqo_tutor.tools import kind as kind_tool

if TYPE_CHECKING:
    from liqo_tutor.context import Context

__all__ = ["delete_existing", "existing_clusters"]


def existing_clusters(ctx: Context) -> list[str]:
    argv = ctx.argv(ctx.tutorial.provider.list, None)
    result = ctx.run(argv, cluster=None, timeout=ctx.scaled(default_timeout_argv(argv)), quiet=True)
    return kind_tool.parse_clusters(result.stdout)


def delete_existing(ctx: Context, cluster: str, timeout: float) -> None:
    argv = ctx.argv(ctx.tutorial.provider.delete, cluster)
    ctx.run(argv, cluster=None, timeout=ctx.scaled(timeout))

"""`delete-cluster:` the command that deletes a cluster, only if liqo-tutor created it (or --replace)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor.verbs.base import ActionModel
from liqo_tutor.verbs.clusters import ClusterVerb, existing_clusters, provider_changed
from liqo_tutor.verbs.registry import register

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["DeleteClusterModel", "DeleteClusterVerb"]


class DeleteClusterModel(ActionModel):
    delete_cluster: str = Field(alias="delete-cluster")


class DeleteClusterVerb(ClusterVerb[DeleteClusterModel]):
    name = "delete-cluster"
    model = DeleteClusterModel

    def command(self, spec: DeleteClusterModel) -> str:
        return spec.delete_cluster

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        assert cluster is not None
        info = ctx.clusters[cluster]
        if info.byo or (not ctx.state.created(cluster) and not ctx.replace):
            if not info.byo and cluster in existing_clusters(ctx):
                ctx.note(
                    f"cluster {cluster} was not created by liqo-tutor: left alone (--replace deletes it)"
                )
            return
        if cluster in existing_clusters(ctx):
            try:
                ctx.run(
                    ctx.argv(self.command(self.spec(action)), cluster),
                    cluster=None,
                    timeout=ctx.scaled(action.timeout),
                    ok_codes=action.ok_codes,
                )
            finally:
                provider_changed(ctx)
        try:
            info.kubeconfig.unlink()
        except FileNotFoundError:
            pass
        ctx.state.remove_cluster(cluster, str(info.kubeconfig))


register(DeleteClusterVerb())

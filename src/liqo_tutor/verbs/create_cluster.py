"""`create-cluster:` the command that creates a cluster (kind create cluster ...), once per cluster.

An existing cluster of that name is reused if liqo-tutor created it, refused otherwise unless
--replace; bring-your-own clusters are never created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor.errors import StepFailed
from liqo_tutor.verbs.base import ActionModel
from liqo_tutor.verbs.clusters import ClusterVerb, delete_existing, existing_clusters, provider_changed
from liqo_tutor.verbs.registry import register

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["CreateClusterModel", "CreateClusterVerb"]


class CreateClusterModel(ActionModel):
    create_cluster: str = Field(alias="create-cluster")


class CreateClusterVerb(ClusterVerb[CreateClusterModel]):
    name = "create-cluster"
    model = CreateClusterModel
    creates_cluster = True

    def command(self, spec: CreateClusterModel) -> str:
        return spec.create_cluster

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        assert cluster is not None
        info = ctx.clusters[cluster]
        if info.byo:
            ctx.note(f"cluster {cluster}: using your kubeconfig {info.kubeconfig}, nothing to create")
            return
        if cluster in existing_clusters(ctx):
            if ctx.state.created(cluster) and info.kubeconfig.exists():
                ctx.note(f"cluster {cluster} already exists (created by liqo-tutor)")
                return
            if not ctx.state.created(cluster) and not ctx.replace:
                raise StepFailed(
                    f'a kind cluster named "{cluster}" already exists and was not created by liqo-tutor',
                    hint=f"delete it yourself (`kind delete cluster --name {cluster}`), or pass --replace to "
                    "let liqo-tutor delete and recreate it",
                )
            ctx.note(f"deleting the existing cluster {cluster} before recreating it")
            delete_existing(ctx, cluster, action.timeout)
        # Recorded before creating: an interrupted create still gets cleaned up by teardown.
        ctx.state.add_cluster(cluster, str(info.kubeconfig))
        argv = ctx.argv(self.command(self.spec(action)), cluster)
        try:
            ctx.run(argv, cluster=None, timeout=ctx.scaled(action.timeout), ok_codes=action.ok_codes)
        finally:
            provider_changed(ctx)


register(CreateClusterVerb())

"""`prefetch-images:` each kind node pulls, behind the steps, the images later steps run.

```yaml
- prefetch-images: docker exec {node} crictl pull {image}   # one pull, as a person types it
  images: "{app_image} {consumer_image}"
  nodes: kind get nodes --name {cluster}                     # the cluster's nodes, one per line
  each: true
```
The action returns at once: a job of the run (jobs.py) lists the cluster's nodes, then each node pulls
the images in turn, while the tutorial goes on; a pod of those images later starts without waiting
for its pull (the kubelet finds the image on the node). It is the tool's plumbing, not the lesson: not
in `show` or `--dry-run`, on screen only with --verbose, in the transcript always. A failed pull is
left to the kubelet; the run ends its pulls when it ends. Nothing runs with --sequential (the upstream
order, one command at a time) nor on bring-your-own clusters (their nodes are not ours to reach).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor.errors import ToolFailed, ToolTimeout
from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.verbs.base import ActionModel, Verb
from liqo_tutor.verbs.registry import register

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["PrefetchImagesModel", "PrefetchImagesVerb"]


class PrefetchImagesModel(ActionModel):
    prefetch_images: str = Field(alias="prefetch-images")
    images: str = Field(min_length=1)
    nodes: str = Field(min_length=1)


class PrefetchImagesVerb(Verb[PrefetchImagesModel]):
    name = "prefetch-images"
    model = PrefetchImagesModel
    needs_cluster = True
    local_variables = frozenset({"node", "image"})

    def command(self, spec: PrefetchImagesModel) -> str:
        return spec.prefetch_images

    def validate(self, spec: PrefetchImagesModel, refs: Refs, scope: Scope) -> None:
        super().validate(spec, refs, scope)
        for key, text in (("images", spec.images), ("nodes", spec.nodes)):
            here = scope.at(key)
            refs.variables(text, here)
            refs.split(text, here.loc)

    def plan(self, ctx: Context, action: Action, cluster: str | None) -> list[PlanCommand]:
        return []  # plumbing: the lesson is the same without it

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        assert cluster is not None
        if not ctx.overlap or ctx.clusters[cluster].byo:
            return
        spec = self.spec(action)
        images = ctx.text(spec.images, cluster).split()
        if not images:
            return  # no pod of the tutorial runs in this cluster
        nodes = ctx.argv(spec.nodes, cluster)
        timeout = ctx.scaled(action.timeout)
        ctx.jobs.start(f"prefetch {cluster}", partial(_per_node, ctx, spec, cluster, nodes, images, timeout))


def _per_node(
    ctx: Context, spec: PrefetchImagesModel, cluster: str, nodes: list[str], images: list[str], timeout: float
) -> None:
    listed = ctx.shell.run(nodes, cluster=cluster, visibility="plumbing")
    for node in listed.stdout.split():
        ctx.jobs.start(f"prefetch {node}", partial(_pulls, ctx, spec, cluster, node, images, timeout))


def _pulls(
    ctx: Context, spec: PrefetchImagesModel, cluster: str, node: str, images: list[str], timeout: float
) -> None:
    for image in images:
        argv = ctx.argv(spec.prefetch_images, cluster, extra={"node": node, "image": image})
        try:
            ctx.shell.run(argv, cluster=cluster, timeout=timeout, visibility="plumbing")
        except (ToolFailed, ToolTimeout):
            continue  # the kubelet pulls it when a pod needs it


register(PrefetchImagesVerb())

"""Cluster-side Liqo, level-triggered, inside the playground daemon: peering (both lines), virtual nodes,
namespace offloading, Service/EndpointSlice reflection and the cross-cluster network routes.

Nothing happens in a cluster unless its Liqo controller-manager pod is Running, so a half-installed or
uninstalled Liqo does nothing. Delays come from sim.delays (names: peer_auth, peer_network, peer_node,
virtual_node_ready, offload, reflection, unoffload, unpeer); timers live in `cluster.private` (persisted).

One concern per module: objects.py (Info, store helpers, LiqoBase), peering_v0.py, peering_v1.py,
nodes.py (virtual nodes), offloading.py (NamespaceOffloading), reflection.py (Services, EndpointSlices,
routes), virtualkubelet.py (pods on virtual nodes, ShadowPods), webhook.py (pod webhook), ipam.py and
ipam_tree.py (IPAM), workloads.py (virtual kubelet and gateway Deployments). This module assembles them.
"""

from __future__ import annotations

from typing import Any

from liqo_tutor.sim.liqo.objects import (
    MANAGED_BY_NSMAP,
    NSO,
    ORIGINAL_NAME,
    REMOTE_ID,
    Info,
    Obj,
    _create,
    hex6,
)
from liqo_tutor.sim.liqo.peering_v0 import V0Peering
from liqo_tutor.sim.liqo.peering_v1 import V1Peering
from liqo_tutor.sim.liqo.reflection import Reflection
from liqo_tutor.sim.store import ApiError, Cluster, ResourceKind, World

__all__ = ["Info", "LiqoController", "register"]


class LiqoController(V0Peering, V1Peering, Reflection):
    """Every Liqo behaviour of every cluster, recomputed from the objects at each reconcile."""

    # -- entry point -----------------------------------------------------------------------

    def reconcile(self, world: World, now: float) -> bool:
        infos = self.infos(world)
        changed = False
        for i in infos.values():
            if i.line.v0:
                changed |= self._v0_auth_token(i)
        changed |= self._v0_peering(world, infos, now)
        changed |= self._v1_peering(world, infos, now)
        changed |= self._virtual_nodes(world, infos, now)
        changed |= self._offloading(world, infos, now)
        changed |= self._reflection(world, infos, now)
        return changed

    # -- virtual nodes (both lines) ------------------------------------------------------------

    def _virtual_nodes(self, world: World, infos: dict[str, Info], now: float) -> bool:
        from liqo_tutor.sim.liqo.nodes import virtual_nodes

        return virtual_nodes(self, world, infos, now)

    # -- offloading ------------------------------------------------------------------------------

    def _offloading(self, world: World, infos: dict[str, Info], now: float) -> bool:
        from liqo_tutor.sim.liqo.offloading import offloading

        return offloading(self, world, infos, now)

    def _collect_remote_namespaces(
        self, world: World, wanted_remote: dict[str, set[tuple[str, str]]], now: float
    ) -> bool:
        """Remote namespaces Liqo created and nobody wants any more go, after the unoffload delay."""
        changed = False
        for name, cluster in world.clusters.items():
            for ns_obj in cluster.list("namespaces"):
                meta = ns_obj["metadata"]
                ann = meta.get("annotations") or {}
                origin = (meta.get("labels") or {}).get(REMOTE_ID)
                if MANAGED_BY_NSMAP not in ann or meta.get("deletionTimestamp") or not origin:
                    continue
                if (meta["name"], origin) in wanted_remote.get(name, set()):
                    self._clear(cluster, f"unoff/{meta['name']}")
                    continue
                if self._after(world, cluster, f"unoff/{meta['name']}", "unoffload", now):
                    cluster.delete("namespaces", None, meta["name"])
                    self._clear(cluster, f"unoff/{meta['name']}")
                    self._clear(cluster, f"remote-ns/{meta['name']}")
                    world.record(name, f"remote namespace {meta['name']} removed")
                    changed = True
        return changed

    def _ensure_remote_ns(
        self, world: World, o: Info, r: Info, ns: str, remote_name: str, now: float
    ) -> tuple[bool, str, str]:
        current = r.cluster.get("namespaces", None, remote_name)
        nsmap = (
            f"liqo-tenant-{o.cluster_name}-{hex6(o.cluster_id)}"
            if o.line.v0
            else f"liqo-tenant-{o.cluster_id}"
        )
        nsmap += "/" + (f"{o.cluster_name}-{hex6(o.cluster_id)}" if o.line.v0 else o.cluster_id)
        if current is not None:
            meta = current["metadata"]
            ours = (meta.get("labels") or {}).get(REMOTE_ID) == o.cluster_id and MANAGED_BY_NSMAP in (
                meta.get("annotations") or {}
            )
            if not ours:
                return (
                    False,
                    "CreationLoopBackOff",
                    f'namespace "{remote_name}" already exists and it is not managed by '
                    f'NamespaceMap "{nsmap}"',
                )
            if meta.get("deletionTimestamp"):
                return False, "Terminating", f'namespace "{remote_name}" is terminating'
            return (
                True,
                "NamespaceCreated",
                f'Namespace "{remote_name}" correctly created in the remote cluster',
            )
        if not self._after(world, r.cluster, f"remote-ns/{remote_name}", "offload", now):
            return False, "Creating", f'Namespace "{remote_name}" is being created in the remote cluster'
        _create(
            r.cluster,
            "namespaces",
            {
                "metadata": {
                    "name": remote_name,
                    "labels": {REMOTE_ID: o.cluster_id, "kubernetes.io/metadata.name": remote_name},
                    "annotations": {MANAGED_BY_NSMAP: nsmap, ORIGINAL_NAME: ns},
                }
            },
        )
        world.record(r.name, f"namespace {remote_name} created for {o.cluster_name}")
        return True, "NamespaceCreated", f'Namespace "{remote_name}" correctly created in the remote cluster'


def _admission(controller: LiqoController) -> Any:
    """The NamespaceOffloading webhook: name `offloading`, immutable mapping strategy (when Liqo runs)."""

    def hook(cluster: Cluster, kind: ResourceKind, new: Obj, old: Obj | None) -> None:
        if kind.key != NSO or controller.info(cluster) is None:
            return
        name = (new.get("metadata") or {}).get("name")
        if old is None and name != "offloading":
            raise ApiError(
                403,
                "Forbidden",
                'admission webhook "nsoff.validate.liqo.io" denied the request: '
                'The NamespaceOffloading resource must be named "offloading"',
            )
        if old is not None:
            o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
            if o_spec.get("namespaceMappingStrategy") != n_spec.get("namespaceMappingStrategy"):
                raise ApiError(
                    403,
                    "Forbidden",
                    'admission webhook "nsoff.validate.liqo.io" denied the request: '
                    "The NamespaceMappingStrategy value cannot be modified after creation",
                )

    return hook


def register(world: World) -> LiqoController:
    """Add Liqo's controllers, webhook and network resolver to the world (call once per daemon)."""
    from liqo_tutor.sim.liqo.ipam import Ipam
    from liqo_tutor.sim.liqo.virtualkubelet import VirtualKubelet
    from liqo_tutor.sim.liqo.webhook import pod_admission
    from liqo_tutor.sim.liqo.workloads import LiqoWorkloads

    controller = LiqoController()
    world.register(controller)
    kubelet = VirtualKubelet(controller)
    world.register(kubelet)
    world.register(Ipam(controller))
    world.register(LiqoWorkloads(controller))
    world.add_route_resolver(lambda cluster, ip: kubelet.resolve(world, cluster, ip))
    world.add_admission(_admission(controller))
    world.add_admission(pod_admission(controller.info))
    world.add_route_resolver(lambda cluster, ip: controller.resolve(world, cluster, ip))
    return controller

"""Finding the object a request names, with the API server's NotFound errors (namespace first)."""

from __future__ import annotations

from liqo_tutor.sim.store import ApiError, Cluster, Obj, ResourceKind

__all__ = ["existing", "existing_pod", "namespace_must_exist"]


def namespace_must_exist(cluster: Cluster, kind: ResourceKind, namespace: str) -> None:
    if kind.namespaced and not cluster.namespace_exists(namespace):
        raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                       {"name": namespace, "kind": "namespaces"})


def existing(cluster: Cluster, kind: ResourceKind, namespace: str, name: str) -> Obj:
    """The stored object (call under the world's lock); NotFound for a missing namespace or object."""
    namespace_must_exist(cluster, kind, namespace)
    obj = cluster.get(kind.key, namespace or None, name)
    if obj is None:
        raise cluster.not_found(kind, name)
    return obj


def existing_pod(cluster: Cluster, namespace: str, name: str) -> Obj:
    """The pod an exec/attach/portforward request names (under the world's lock); its NotFound if absent."""
    pod = cluster.get("pods", namespace, name)
    if pod is None:
        kind = cluster.kind_for("pods")
        assert kind is not None
        raise cluster.not_found(kind, name)
    return pod

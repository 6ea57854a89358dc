"""The images one kind node's containerd holds, and an image pulled there (`crictl pull` in the node).

The daemon's side of `docker exec NODE crictl ...` (sim/tools/docker_exec.py): a node's content is what
its kind node image preloads (sim/kindpods.py), what `kind load` put on every node, and what was pulled
on that node, by its kubelet or by crictl (cluster.private["pulled"][node], which the kubelet reads to
decide whether a pod's container needs a pull, sim/kubelet.py).
"""

from __future__ import annotations

from liqo_tutor.sim import kindpods
from liqo_tutor.sim.helpers import is_virtual_node
from liqo_tutor.sim.store import ApiError, Cluster, Obj, World
from liqo_tutor.sim.tools.common import normalize_image

__all__ = ["image_ref", "node_image_entry", "node_images", "put_on_node"]


def image_ref(image: str) -> str:
    """The form the kubelet compares in cluster.private["pulled"]: `liqo/flights-service`,
    `docker.io/liqo/flights-service:latest` -> `liqo/flights-service:latest`, no digest."""
    ref = image.split("@", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/"):
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    return ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"


def node_image_entry(image: str, image_id: str, size: int) -> Obj:
    """A Node status.images entry as containerd reports a loaded image (tag and digest names)."""
    ref = normalize_image(image)
    repo = ref.split("@", 1)[0].rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref.split("@", 1)[0]
    names = [ref] + ([f"{repo}@{image_id}"] if image_id else [])
    return {"names": names, "sizeBytes": size}


def put_on_node(cluster: Cluster, node: Obj, entry: Obj) -> None:
    """`entry` in the Node's status.images, replacing an earlier entry of the same image."""
    status = dict(node.get("status") or {})
    kept = [i for i in status.get("images") or [] if entry["names"][0] not in i.get("names", [])]
    status["images"] = [*kept, entry]
    cluster.update_status("nodes", None, node["metadata"]["name"], status)


def _content(cluster: Cluster, node: str) -> list[str]:
    refs = [
        *kindpods.preloaded_images(cluster),
        *(str(e.get("image", "")) for e in cluster.private.get("loaded_images", [])),
        *(cluster.private.get("pulled", {}).get(node) or []),
    ]
    return sorted({normalize_image(r) for r in refs if r})


def node_images(world: World, body: Obj) -> Obj:
    """POST /images/node {cluster, node[, image, digest, size]}: mark `image` pulled on that node only (the
    kubelet's record and the Node's status.images), then answer the node's images as normalized refs."""
    name, node_name, image = str(body["cluster"]), str(body["node"]), str(body.get("image") or "")
    with world.lock:
        cluster = world.clusters.get(name)
        node = cluster.objects.get("nodes", {}).get(("", node_name)) if cluster is not None else None
        if cluster is None or node is None or is_virtual_node(node):
            raise ApiError(404, "NotFound", f"No such container: {node_name}")
        if image:
            pulled: list[str] = cluster.private.setdefault("pulled", {}).setdefault(node_name, [])
            if image_ref(image) not in pulled:
                pulled.append(image_ref(image))
            put_on_node(cluster, node, node_image_entry(image, str(body.get("digest") or ""),
                                                        int(body.get("size") or 0)))
            world.changed()
        return {"images": _content(cluster, node_name)}

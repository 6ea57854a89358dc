"""Service/EndpointSlice reflection into the remote namespaces, and the cross-cluster routes
(pod IPs remapped per line). ConfigMaps and Secrets: reflect_config.py."""

from __future__ import annotations

import ipaddress

from liqo_tutor.sim.helpers import record_event
from liqo_tutor.sim.liqo.objects import (
    CONN,
    FC_V0,
    NSO,
    REFLECTION_MANAGER,
    Info,
    LiqoBase,
    Obj,
    _cond,
    _create,
    _get,
    _list,
    _pod_ready,
    _selector_matches,
    hex6,
)
from liqo_tutor.sim.liqo.reflect_config import reflect_configuration
from liqo_tutor.sim.store import Cluster, PodRef, World

__all__ = ["Reflection", "remap", "unmap"]


class Reflection(LiqoBase):
    """Reflection of Services and their endpoints; the network between peered clusters."""

    # -- reflection -----------------------------------------------------------------------------

    @staticmethod
    def _labels(o: Info, r: Info) -> dict[str, str]:
        if o.line.v0:
            return {
                "virtualkubelet.liqo.io/origin": o.cluster_id,
                "virtualkubelet.liqo.io/destination": r.cluster_id,
            }
        return {"offloading.liqo.io/origin": o.cluster_id, "offloading.liqo.io/destination": r.cluster_id}

    def offloaded_to(self, infos: dict[str, Info], o: Info) -> list[tuple[str, Info, str]]:
        """(local ns, remote, remote ns) for every namespace of `o` whose offloading to `remote` is Ready."""
        out = []
        for nso in _list(o.cluster, NSO):
            if nso["metadata"].get("deletionTimestamp"):
                continue
            st = nso.get("status") or {}
            conds = st.get("remoteNamespacesConditions") or {}
            for r in infos.values():
                if r is o:
                    continue
                key = self._map_key(o, r)
                if _cond(conds.get(key), "Ready").get("status") == "True" and st.get("remoteNamespaceName"):
                    out.append((nso["metadata"]["namespace"], r, str(st["remoteNamespaceName"])))
        return out

    def _reflection(self, world: World, infos: dict[str, Info], now: float) -> bool:
        changed = False
        desired: dict[tuple[str, str], set[str]] = {}  # (remote cluster, remote ns) -> reflected svc names
        for o in infos.values():
            for ns, r, rns in self.offloaded_to(infos, o):
                if not r.cluster.namespace_exists(rns):
                    continue
                names = desired.setdefault((r.name, rns), set())
                for svc in o.cluster.list("services", ns):
                    sname = svc["metadata"]["name"]
                    tkey = f"refl/{o.cluster_id}/{rns}/{sname}"
                    if not self._after(world, r.cluster, tkey, "reflection", now):
                        # keep an already reflected object while its timer restarts (daemon restart)
                        if r.cluster.get("services", rns, sname) is not None:
                            names.add(sname)
                        continue
                    names.add(sname)
                    changed |= self._reflect_service(world, o, r, svc, rns)
                    changed |= self._reflect_endpoints(o, r, svc, rns)
        # Unreflect what is no longer wanted (objects carrying our origin label only).
        for r in infos.values():
            for svc in r.cluster.list("services"):
                labels = svc["metadata"].get("labels") or {}
                origin = labels.get("offloading.liqo.io/origin") or labels.get(
                    "virtualkubelet.liqo.io/origin"
                )
                if not origin:
                    continue
                rns, sname = svc["metadata"]["namespace"], svc["metadata"]["name"]
                if sname in desired.get((r.name, rns), set()):
                    continue
                if svc["metadata"].get("deletionTimestamp"):
                    continue
                tkey = f"unrefl/{origin}/{rns}/{sname}"
                if self._after(world, r.cluster, tkey, "reflection", now):
                    r.cluster.delete("services", rns, sname)
                    for es in r.cluster.list(
                        "endpointslices.discovery.k8s.io",
                        rns,
                        {
                            "kubernetes.io/service-name": sname,
                            "endpointslice.kubernetes.io/managed-by": REFLECTION_MANAGER,
                        },
                    ):
                        r.cluster.delete("endpointslices.discovery.k8s.io", rns, es["metadata"]["name"])
                    self._clear(r.cluster, tkey)
                    self._clear(r.cluster, f"refl/{origin}/{rns}/{sname}")
                    world.record(r.name, f"service {rns}/{sname} unreflected")
                    changed = True
            for es in _list(
                r.cluster,
                "endpointslices.discovery.k8s.io",
                None,
                {"endpointslice.kubernetes.io/managed-by": REFLECTION_MANAGER},
            ):
                rns = es["metadata"]["namespace"]
                sname = (es["metadata"].get("labels") or {}).get("kubernetes.io/service-name", "")
                if (
                    sname not in desired.get((r.name, rns), set())
                    and r.cluster.get("services", rns, sname) is None
                ):
                    r.cluster.delete("endpointslices.discovery.k8s.io", rns, es["metadata"]["name"])
                    changed = True
        changed |= reflect_configuration(self, world, infos, now)
        return changed

    def _reflect_service(self, world: World, o: Info, r: Info, svc: Obj, rns: str) -> bool:
        meta = svc["metadata"]
        spec = svc.get("spec") or {}
        labels = {**(meta.get("labels") or {}), **self._labels(o, r)}
        annotations = {
            k: v
            for k, v in (meta.get("annotations") or {}).items()
            if not k.startswith("kubectl.kubernetes.io/")
        }
        ports = [{k: v for k, v in p.items() if k != "nodePort"} for p in spec.get("ports") or []]
        want_spec: Obj = {
            "type": spec.get("type", "ClusterIP"),
            "ports": ports,
            "sessionAffinity": spec.get("sessionAffinity", "None"),
        }
        if spec.get("selector"):
            want_spec["selector"] = spec["selector"]
        for k in ("externalTrafficPolicy", "internalTrafficPolicy", "publishNotReadyAddresses"):
            if k in spec:
                want_spec[k] = spec[k]
        current = r.cluster.get("services", rns, meta["name"])
        if current is None:
            ok = _create(
                r.cluster,
                "services",
                {
                    "metadata": {
                        "name": meta["name"],
                        "namespace": rns,
                        "labels": labels,
                        **({"annotations": annotations} if annotations else {}),
                    },
                    "spec": want_spec,
                },
            )
            if ok:
                world.record(r.name, f"service {rns}/{meta['name']} reflected from {o.cluster_name}")
                _reflected_event(o, r, svc)
            return ok
        cur_labels = current["metadata"].get("labels") or {}
        if not any(k in cur_labels for k in ("offloading.liqo.io/origin", "virtualkubelet.liqo.io/origin")):
            return False  # not ours: never overwrite a user's object
        cur_spec = current.get("spec") or {}
        merged = {**cur_spec, **want_spec}
        cur_ports = {p.get("port"): p for p in cur_spec.get("ports") or []}
        merged["ports"] = [
            {
                **p,
                **(
                    {"nodePort": cur_ports[p.get("port")]["nodePort"]}
                    if cur_ports.get(p.get("port"), {}).get("nodePort")
                    else {}
                ),
            }
            for p in ports
        ]
        if merged == cur_spec and cur_labels == labels:
            return False
        current["spec"] = merged
        current["metadata"]["labels"] = labels
        current["metadata"].pop("resourceVersion", None)
        r.cluster.update(current)
        return True

    def _reflect_endpoints(self, o: Info, r: Info, svc: Obj, rns: str) -> bool:
        meta = svc["metadata"]
        spec = svc.get("spec") or {}
        selector = spec.get("selector") or {}
        endpoints = []
        for pod in o.cluster.list("pods", meta["namespace"]):
            if not _selector_matches(selector, pod["metadata"].get("labels")) or not _pod_ready(pod):
                continue
            ip = remap(o, r, str(pod["status"]["podIP"]))
            if ip is None:
                continue
            endpoints.append(
                {
                    "addresses": [ip],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "nodeName": o.cluster_id if o.line.v1 else f"liqo-{o.cluster_name}",
                }
            )
        ports = []
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            ports.append(
                {
                    "name": p.get("name", ""),
                    "port": int(target) if str(target).isdigit() else int(p["port"]),
                    "protocol": p.get("protocol", "TCP"),
                }
            )
        name = f"{meta['name']}-{hex6(o.cluster_id)[:5]}"
        labels = {
            "kubernetes.io/service-name": meta["name"],
            "endpointslice.kubernetes.io/managed-by": REFLECTION_MANAGER,
            **self._labels(o, r),
        }
        body = {
            "metadata": {"name": name, "namespace": rns, "labels": labels},
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        }
        current = r.cluster.get("endpointslices.discovery.k8s.io", rns, name)
        if current is None:
            return _create(r.cluster, "endpointslices.discovery.k8s.io", body)
        if current.get("endpoints") == endpoints and current.get("ports") == ports:
            return False
        current["endpoints"] = endpoints
        current["ports"] = ports
        current["metadata"]["labels"] = labels
        current["metadata"].pop("resourceVersion", None)
        r.cluster.update(current)
        return True

    # -- network --------------------------------------------------------------------------------

    def network_up(self, infos: dict[str, Info], o: Info, r: Info) -> bool:
        """The cross-cluster tunnel between o and r exists (and Liqo runs in both)."""
        if o.line.v0:
            for fc in _list(o.cluster, FC_V0):
                rid = ((fc.get("spec") or {}).get("clusterIdentity") or {}).get("clusterID")
                if (
                    rid == r.cluster_id
                    and _cond((fc.get("status") or {}).get("peeringConditions"), "NetworkStatus").get(
                        "status"
                    )
                    == "Established"
                ):
                    return True
            return False
        conn = _get(o.cluster, CONN, f"liqo-tenant-{r.cluster_id}", f"gw-{r.cluster_id}")
        return ((conn or {}).get("status") or {}).get("value") == "Connected"

    def resolve(self, world: World, from_cluster: Cluster, ip: str) -> PodRef | None:
        infos = self.infos(world)
        r = infos.get(from_cluster.name)
        if r is None:
            return None
        for o in infos.values():
            if o is r or o.line.v0 != r.line.v0:
                continue
            if not self.network_up(infos, o, r):
                continue
            origin_ip = unmap(o, r, ip)
            if origin_ip is None:
                continue
            for ns, target, _rns in self.offloaded_to(infos, o):
                if target is not r:
                    continue
                for pod in o.cluster.list("pods", ns):
                    if (pod.get("status") or {}).get("podIP") == origin_ip and _pod_ready(pod):
                        return PodRef(o.name, ns, pod["metadata"]["name"])
        return None


def _reflected_event(o: Info, r: Info, svc: Obj) -> None:
    """reflection/exposition/service.go: an event on the local Service (forge/events.go wording)."""
    remote_name = r.cluster_name if o.line.v0 else r.cluster_id
    record_event(
        o.cluster,
        svc,
        "Normal",
        "SuccessfulReflection",
        f'Successfully reflected object to cluster "{remote_name}"',
        component="liqo-service-reflection",
    )


def remap(o: Info, r: Info, ip: str) -> str | None:
    """A pod IP of the origin cluster `o` as cluster `r` sees it: within the network in which r's IPAM
    placed o's pod CIDR (kept when it does not overlap, remapped otherwise; see virtualkubelet.py)."""
    from liqo_tutor.sim.liqo.virtualkubelet import remote_pod_network

    pod_net = ipaddress.ip_network(o.cluster.spec.pod_subnet, strict=False)
    addr = ipaddress.ip_address(ip)
    if addr not in pod_net:
        return None
    base = remote_pod_network(r, o)
    offset = (int(addr) - int(pod_net.network_address)) % base.num_addresses
    return str(ipaddress.ip_address(int(base.network_address) + offset))


def unmap(o: Info, r: Info, ip: str) -> str | None:
    """The inverse of remap: an address seen from r back to o's pod IP (None: not o's pods)."""
    from liqo_tutor.sim.liqo.virtualkubelet import remote_pod_network

    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    base = remote_pod_network(r, o)
    if addr not in base:
        return None
    pod_net = ipaddress.ip_network(o.cluster.spec.pod_subnet, strict=False)
    return str(ipaddress.ip_address(int(pod_net.network_address) + int(addr) - int(base.network_address)))

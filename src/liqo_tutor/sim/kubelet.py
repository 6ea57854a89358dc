"""The kubelet of each kind node (pkg/kubelet): pod IPs, image pulls, container states, readiness, logs."""

from __future__ import annotations

import copy
import hashlib
import ipaddress
from typing import Any

from liqo_tutor.sim import images, kindpods
from liqo_tutor.sim.delays import delay, trace
from liqo_tutor.sim.helpers import cond as _cond
from liqo_tutor.sim.helpers import is_virtual_node as _is_virtual
from liqo_tutor.sim.helpers import live
from liqo_tutor.sim.helpers import pod_ready as _pod_ready
from liqo_tutor.sim.helpers import set_status as _set_status
from liqo_tutor.sim.node_images import image_ref
from liqo_tutor.sim.store import Cluster, Obj, World, now_iso

__all__ = ["Kubelet", "PodCleanup", "PodGC"]


class Kubelet:
    """The kubelets of the real nodes: IP, image pull, start, readiness, one-shot runs and their logs.

    Pods bound to a virtual node (liqo.io/type=virtual-node) are left to the Liqo virtual kubelet.
    """

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            for pod in live(cluster, "pods"):  # read-only: statuses are written via the Cluster API
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                phase = (pod.get("status") or {}).get("phase")
                if phase in ("Succeeded", "Failed"):
                    continue
                if not pod["spec"].get("nodeName"):
                    continue  # the scheduler's (sim/scheduler.py)
                node = cluster.objects.get("nodes", {}).get(("", pod["spec"]["nodeName"]))
                if node is None or _is_virtual(node):
                    continue  # virtual nodes: the Liqo controllers own these pods
                changed |= self._kubelet(world, cluster, pod, node, now)
        return changed

    def _timeline(self, world: World, cluster: Cluster, pod: Obj, node: Obj, now: float) -> dict[str, Any]:
        timelines = cluster.private.setdefault("pods", {})
        uid = pod["metadata"]["uid"]
        tl: dict[str, Any] | None = timelines.get(uid)
        if tl is None:
            tl = {"scheduled": now, "ip": self._alloc_ip(cluster, node, pod)}
            pulled = cluster.private.setdefault("pulled", {}).setdefault(node["metadata"]["name"], [])
            # `kind load docker-image` puts images on every node, as if pulled there.
            loaded = cluster.private.get("loaded_images", [])
            pulled = [
                *pulled,
                *(image_ref(e.get("image", "")) for e in loaded),
                *(image_ref(i) for i in kindpods.preloaded_images(cluster)),
            ]
            start = now
            tl["containers"] = {}
            for c in pod["spec"].get("containers") or []:
                image = c.get("image", "")
                beh = images.behaviour_for(image)
                present = image in pulled or image_ref(image) in pulled
                pull = 0.0 if present and c.get("imagePullPolicy") != "Always" else delay("image_pull")
                if present and c.get("imagePullPolicy") == "Always":
                    pull = delay("image_pull") * 0.2
                pulled_at = start + pull
                started_at = pulled_at + delay(beh.start_delay)
                tl["containers"][c["name"]] = {
                    "pulled": pulled_at,
                    "started": started_at,
                    # stdin: true (kubectl run -i): waits for its attach (sim/streams/remotecommand.py)
                    "exit": (
                        started_at + delay("curl")
                        if (beh.process(c) if beh.process else beh.kind) == "oneshot" and not c.get("stdin")
                        else None
                    ),
                }
                trace("image_pull", cluster.name, start, pulled_at - start)
                trace(beh.start_delay, cluster.name, pulled_at, started_at - pulled_at)
                if tl["containers"][c["name"]]["exit"] is not None:
                    trace("curl", cluster.name, started_at, tl["containers"][c["name"]]["exit"] - started_at)
            timelines[uid] = tl
        return tl

    def _alloc_ip(self, cluster: Cluster, node: Obj, pod: Obj) -> str:
        if pod["spec"].get("hostNetwork"):
            addrs = node.get("status", {}).get("addresses") or []
            return next((a["address"] for a in addrs if a.get("type") == "InternalIP"), "")
        cidr = node.get("spec", {}).get("podCIDR") or cluster.spec.pod_subnet
        net = ipaddress.ip_network(cidr, strict=False)
        used = {t.get("ip") for t in cluster.private.get("pods", {}).values()}
        live = {(p.get("status") or {}).get("podIP") for p in cluster.objects.get("pods", {}).values()}
        for host in list(net.hosts())[1:]:
            ip = str(host)
            if ip not in used and ip not in live:
                return ip
        return str(net.network_address + 2)

    def _kubelet(self, world: World, cluster: Cluster, pod: Obj, node: Obj, now: float) -> bool:
        tl = self._timeline(world, cluster, pod, node, now)
        node_name = node["metadata"]["name"]
        host_ip = next(
            (
                a["address"]
                for a in node.get("status", {}).get("addresses") or []
                if a.get("type") == "InternalIP"
            ),
            "",
        )
        logs: dict[str, str] = cluster.private.setdefault("logs", {})
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        restart = pod["spec"].get("restartPolicy", "Always")
        statuses = []
        all_ready = True
        terminal_codes: list[int] = []
        next_wake: list[float] = []
        sched_t = now_iso(tl["scheduled"])
        for c in pod["spec"].get("containers") or []:
            cname = c["name"]
            ctl = tl["containers"].get(cname)
            if ctl is None:
                continue
            image = c.get("image", "")
            beh = images.behaviour_for(image)
            cs: Obj = {
                "name": cname,
                "image": images.docker_ref(image) if beh.kind != "unknown" else image,
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "lastState": {},
            }
            if now < ctl["pulled"]:
                cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
                next_wake.append(ctl["pulled"])
            elif beh.kind == "unknown":
                backoff_at = ctl["pulled"] + delay("backoff")
                if now < backoff_at:
                    cs["state"] = {
                        "waiting": {"reason": "ErrImagePull", "message": images.pull_error_message(image)}
                    }
                    next_wake.append(backoff_at)
                else:
                    cs["state"] = {
                        "waiting": {
                            "reason": "ImagePullBackOff",
                            "message": f'Back-off pulling image "{image}"',
                        }
                    }
            elif now < ctl["started"]:
                cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
                next_wake.append(ctl["started"])
                pulled = cluster.private.setdefault("pulled", {}).setdefault(node_name, [])
                if image not in pulled:
                    pulled.append(image)
            else:
                pulled = cluster.private.setdefault("pulled", {}).setdefault(node_name, [])
                if image not in pulled:
                    pulled.append(image)
                digest = hashlib.sha256(image.encode()).hexdigest()
                cs["imageID"] = f"{images.docker_ref(image).rsplit(':', 1)[0]}@sha256:{digest}"
                cs["containerID"] = (
                    "containerd://" + hashlib.sha256(f"{pod['metadata']['uid']}/{cname}".encode()).hexdigest()
                )
                log_key = f"{ns}/{name}/{cname}"
                if log_key not in logs:  # the image's entrypoint log: not when `command` replaced it
                    entry = beh.process is None or beh.process(c) == "server"
                    logs[log_key] = beh.startup_log if entry else ""
                exit_at = ctl.get("exit")
                if exit_at is not None and now >= exit_at:
                    if "code" not in ctl:
                        out, code = images.run_container(world, cluster, copy.deepcopy(pod), c)
                        ctl["code"] = code
                        logs[log_key] = logs.get(log_key, "") + out
                    code = int(ctl["code"])
                    term = {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": now_iso(ctl["started"]),
                        "finishedAt": now_iso(exit_at),
                        "containerID": cs["containerID"],
                    }
                    if restart == "Always" or (restart == "OnFailure" and code != 0):
                        cs["lastState"] = {"terminated": term}
                        cs["restartCount"] = 1
                        cs["state"] = {
                            "waiting": {
                                "reason": "CrashLoopBackOff",
                                "message": f"back-off 10s restarting failed container={cname} "
                                f"pod={name}_{ns}({pod['metadata']['uid']})",
                            }
                        }
                    else:
                        cs["state"] = {"terminated": term}
                        terminal_codes.append(code)
                else:
                    cs["state"] = {"running": {"startedAt": now_iso(ctl["started"])}}
                    cs["ready"] = beh.ready is None or beh.ready(world, cluster, pod, now)
                    cs["started"] = True
                    if exit_at is not None:
                        next_wake.append(exit_at)
            if not cs["ready"]:
                all_ready = False
            statuses.append(cs)
        names = [s["name"] for s in statuses if not s["ready"]]
        last_start = max([ctl["started"] for ctl in tl["containers"].values()] or [tl["scheduled"]])
        finished = len(terminal_codes) == len(statuses) and statuses
        if finished:
            phase = "Succeeded" if all(c == 0 for c in terminal_codes) else "Failed"
        elif any("running" in s["state"] for s in statuses) or any(s["restartCount"] for s in statuses):
            phase = "Running"
        else:
            phase = "Pending"
        ready_t = now_iso(last_start) if all_ready else sched_t
        conditions = [
            _cond(
                "PodReadyToStartContainers",
                "True"
                if now >= min((c["pulled"] for c in tl["containers"].values()), default=now)
                else "False",
                t=sched_t,
            ),
            _cond("Initialized", "True", t=sched_t),
            _cond(
                "Ready",
                "True" if all_ready else "False",
                "" if all_ready else ("PodCompleted" if finished else "ContainersNotReady"),
                "" if all_ready or finished else f"containers with unready status: [{' '.join(names)}]",
                ready_t,
            ),
            _cond(
                "ContainersReady",
                "True" if all_ready else "False",
                "" if all_ready else ("PodCompleted" if finished else "ContainersNotReady"),
                "" if all_ready or finished else f"containers with unready status: [{' '.join(names)}]",
                ready_t,
            ),
            _cond("PodScheduled", "True", t=sched_t),
        ]
        status: Obj = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": sched_t,
            "containerStatuses": statuses,
            "qosClass": (pod.get("status") or {}).get("qosClass") or "BestEffort",
        }
        if tl.get("ip"):
            status["podIP"] = tl["ip"]
            status["podIPs"] = [{"ip": tl["ip"]}]
        for t in next_wake:
            world.wake_at(t)
        changed = _set_status(cluster, "pods", pod, status)
        if changed and all_ready and not _pod_ready(pod):
            world.record(cluster.name, f"pod {ns}/{name} Ready")
        return changed


class PodCleanup:
    """Forget the kubelet bookkeeping (timelines, logs) of pods that no longer exist."""

    def reconcile(self, world: World, now: float) -> bool:
        for cluster in list(world.clusters.values()):
            uids = {p["metadata"]["uid"] for p in cluster.objects.get("pods", {}).values()}
            timelines = cluster.private.get("pods", {})
            for uid in [u for u in timelines if u not in uids]:
                del timelines[uid]
            keys = {f"{ns}/{n}" for (ns, n) in cluster.objects.get("pods", {})}
            logs = cluster.private.get("logs", {})
            for k in [k for k in logs if k.rsplit("/", 1)[0] not in keys]:
                del logs[k]
        return False


class PodGC:
    """pkg/controller/podgc gcOrphaned: a pod bound to a Node that no longer exists is deleted once
    the node has stayed absent for the quarantine (its controller, if any, makes a new one)."""

    def reconcile(self, world: World, now: float) -> bool:
        changed = False
        for cluster in list(world.clusters.values()):
            nodes = {name for (_ns, name) in cluster.objects.get("nodes", {})}
            seen: dict[str, float] = cluster.private.setdefault("orphans", {})
            orphans = {
                p["metadata"]["uid"]: p
                for p in cluster.objects.get("pods", {}).values()
                if p["spec"].get("nodeName") and p["spec"]["nodeName"] not in nodes
            }
            for uid in [u for u in seen if u not in orphans]:
                del seen[uid]
            for uid, pod in orphans.items():
                due = float(seen.setdefault(uid, now)) + delay("pod_delete")
                if now < due:
                    world.wake_at(due)
                    continue
                cluster.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
                seen.pop(uid, None)
                changed = True
        return changed

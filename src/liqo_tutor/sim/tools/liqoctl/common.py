"""Constants and helpers over the Kubernetes API shared by the simulated liqoctl's commands."""

from __future__ import annotations

import base64
import os
import re
import sys
import time
from typing import Any

from liqo_tutor.sim import delays as sim_delays
from liqo_tutor.sim.kclient import ApiError, KubeClient, KubeConfigError, Res, builtin
from liqo_tutor.sim.liqo import crds
from liqo_tutor.sim.liqo import delay as sim_delay
from liqo_tutor.sim.liqo.versions import (
    Line,
    line_of,
)
from liqo_tutor.sim.tools.liqoctl.cli import CobraError, Ctx

__all__ = [
    "b64",
    "client",
    "cond",
    "cond_status",
    "confirm",
    "deployment_available",
    "hex6",
    "identity",
    "res",
    "server_version",
    "unb64",
]


PROG = "liqoctl"
Obj = dict[str, Any]

NS = builtin("namespaces")
NODES = builtin("nodes")
PODS = builtin("pods")
SVC = builtin("services")
SECRETS = builtin("secrets")
CM = builtin("configmaps")
DEPLOY = builtin("deployments.apps")
DS = builtin("daemonsets.apps")
CRD = builtin("customresourcedefinitions.apiextensions.k8s.io")
CLUSTERROLES = builtin("clusterroles.rbac.authorization.k8s.io")

CLUSTERID_CM = "liqo-clusterid-configmap"
TENANT_LABEL_V0 = "discovery.liqo.io/tenant-namespace"
REMOTE_ID_LABEL = "liqo.io/remote-cluster-id"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _busy(name: str, kc: KubeClient) -> None:
    """Sleep for a named playground duration, traced against the cluster kc talks to."""
    seconds = sim_delay(name)
    sim_delays.trace(name, kc.target.context.removeprefix("kind-"), time.time(), seconds)
    time.sleep(seconds)


def res(line: Line, plural: str) -> Res:
    c = crds.find(line, plural)
    return Res(c.group, c.version, c.plural, c.namespaced)


# --------------------------------------------------------------------------------------------
# helpers over the API
# --------------------------------------------------------------------------------------------


def client(ctx: Ctx, remote: bool = False) -> KubeClient:
    prefix = "remote-" if remote else ""
    try:
        return KubeClient.from_kubeconfig(
            ctx.f(f"{prefix}kubeconfig") or None, ctx.f(f"{prefix}context") or None
        )
    except KubeConfigError as exc:
        raise ctx.out.fail(str(exc)) from None
    except OSError as exc:
        raise ctx.out.fail(f"error loading config file: {exc}") from None
    except Exception as exc:
        import yaml  # only on this error path: yaml is slow to import on every liqoctl start

        if isinstance(exc, yaml.YAMLError):
            raise ctx.out.fail(f"error loading config file: {exc}") from None
        raise


def identity(kc: KubeClient, namespace: str) -> dict[str, str] | None:
    cm = kc.get(CM, CLUSTERID_CM, namespace)
    if cm is None:
        return None
    return {k: str(v) for k, v in (cm.get("data") or {}).items()}


def cond_status(conditions: list[Obj] | None, ctype: str) -> str:
    for c in conditions or []:
        if c.get("type") == ctype:
            return str(c.get("status", ""))
    return ""


def cond(conditions: list[Obj] | None, ctype: str) -> Obj:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c
    return {}


def deployment_available(d: Obj) -> bool:
    st = d.get("status") or {}
    if cond_status(st.get("conditions"), "Available") == "True":
        return True
    want = int((d.get("spec") or {}).get("replicas", 1))
    return int(st.get("availableReplicas") or 0) >= want > 0


def server_version(kc: KubeClient, namespace: str) -> str | None:
    """Image tag of the controller-manager container of the Deployment labelled as the controller manager."""
    for d in kc.list(DEPLOY, namespace, {"app.kubernetes.io/name": "controller-manager"}):
        for c in (d.get("spec") or {}).get("template", {}).get("spec", {}).get("containers") or []:
            if c.get("name") == "controller-manager":
                img = str(c.get("image", ""))
                return img.rpartition(":")[2] if ":" in img.rpartition("/")[2] else "latest"
    return None


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text.encode()).decode(errors="replace")


def confirm(ctx: Ctx, what: str) -> None:
    """The v0.9+/v1 prompt: without --skip-confirm and without a terminal it aborts."""
    if ctx.f("skip-confirm"):
        return
    ctx.out.warn(f"{what} is a potentially destructive command.")
    ctx.out.log.write("Are you sure you want to continue? [y/N]: ")
    ctx.out.log.flush()
    answer = ""
    try:
        if os.isatty(0):
            answer = sys.stdin.readline().strip().lower()
    except OSError:
        answer = ""
    ctx.out.log.write("\n")
    if answer not in ("y", "yes"):
        raise CobraError("action aborted")


def hex6(cluster_id: str) -> str:
    import hashlib

    return hashlib.sha256(cluster_id.encode()).hexdigest()[:6]


def _installed_crd_lines(kc: KubeClient) -> list[Line]:
    found = []
    for ln in (line_of("v0.10.3"), line_of("v1.2.0")):
        if kc.get(CRD, ln.fc_key) is not None:
            found.append(ln)
    return found


def _safe_list(kc: KubeClient, r: Res, namespace: str | None = None) -> list[Obj]:
    try:
        return kc.list(r, namespace)
    except ApiError as exc:
        if exc.not_found:
            return []
        raise

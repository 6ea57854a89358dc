"""A tiny Kubernetes REST client (urllib + JSON) for the simulated tools: kubeconfig in, objects out."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from liqo_tutor.sim import minihttp

__all__ = [
    "ApiError",
    "KubeClient",
    "KubeConfigError",
    "Res",
    "builtin",
    "load_kubeconfig",
    "wait_for",
]

Obj = dict[str, Any]
T = TypeVar("T")


class KubeConfigError(Exception):
    """The kubeconfig cannot be found or does not describe a usable cluster."""


class ApiError(Exception):
    """A non-2xx answer (message = the Status message, as client-go reports it) or a connection failure."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message

    @property
    def not_found(self) -> bool:
        return self.code == 404

    @property
    def conflict(self) -> bool:
        return self.code == 409


@dataclass(frozen=True)
class Res:
    """Where a resource lives in the API: group ("" = core), version, plural, namespaced."""

    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def key(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{urllib.parse.quote(namespace)}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{urllib.parse.quote(name)}"
        return base


_BUILTIN = {
    r.key: r
    for r in (
        Res("", "v1", "namespaces", False),
        Res("", "v1", "nodes", False),
        Res("", "v1", "pods", True),
        Res("", "v1", "services", True),
        Res("", "v1", "secrets", True),
        Res("", "v1", "configmaps", True),
        Res("", "v1", "serviceaccounts", True),
        Res("apps", "v1", "deployments", True),
        Res("apps", "v1", "daemonsets", True),
        Res("discovery.k8s.io", "v1", "endpointslices", True),
        Res("apiextensions.k8s.io", "v1", "customresourcedefinitions", False),
        Res("rbac.authorization.k8s.io", "v1", "clusterroles", False),
    )
}


def builtin(key: str) -> Res:
    return _BUILTIN[key]


@dataclass(frozen=True)
class Target:
    """What a kubeconfig (plus --context) resolves to."""

    server: str
    token: str | None
    namespace: str | None
    context: str
    user: str


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # only here: a tool that never reads a kubeconfig does not pay for it

    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise KubeConfigError(f'error loading config file "{path}": not a kubeconfig')
    return data


def load_kubeconfig(
    kubeconfig: str | None = None, context: str | None = None, env: dict[str, str] | None = None
) -> Target:
    """--kubeconfig F (only F), else the $KUBECONFIG colon list merged (first wins), else ~/.kube/config."""
    environ = os.environ if env is None else env
    files: list[Path]
    if kubeconfig:
        path = Path(kubeconfig)
        if not path.exists():
            raise KubeConfigError(f"stat {kubeconfig}: no such file or directory")
        files = [path]
    elif environ.get("KUBECONFIG"):
        files = [Path(p) for p in dict.fromkeys(environ["KUBECONFIG"].split(os.pathsep)) if p]
        files = [p for p in files if p.exists()]
    else:
        home = Path(environ.get("HOME") or Path.home())
        files = [p for p in [home / ".kube" / "config"] if p.exists()]
    clusters: dict[str, Any] = {}
    users: dict[str, Any] = {}
    contexts: dict[str, Any] = {}
    current = ""
    for f in files:
        data = _read_yaml(f)
        for section, into in (("clusters", clusters), ("users", users), ("contexts", contexts)):
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") and entry["name"] not in into:
                    into[entry["name"]] = entry.get(section[:-1]) or {}
        current = current or str(data.get("current-context") or "")
    ctx_name = context or current
    if not ctx_name:
        raise KubeConfigError(
            "invalid configuration: no configuration has been provided, "
            "try setting KUBERNETES_MASTER environment variable"
        )
    if ctx_name not in contexts:
        raise KubeConfigError(f'context "{ctx_name}" does not exist')
    ctx = contexts[ctx_name]
    cluster = clusters.get(ctx.get("cluster", ""))
    if not cluster or not cluster.get("server"):
        raise KubeConfigError(f'invalid configuration: cluster "{ctx.get("cluster", "")}" not found')
    user = users.get(ctx.get("user", ""), {})
    return Target(
        str(cluster["server"]).rstrip("/"),
        user.get("token"),
        ctx.get("namespace"),
        ctx_name,
        str(ctx.get("user", "")),
    )


class KubeClient:
    """JSON over HTTP to one cluster's API server."""

    def __init__(self, target: Target, timeout: float = 30.0) -> None:
        self.target = target
        self.timeout = timeout

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None = None, context: str | None = None) -> KubeClient:
        return cls(load_kubeconfig(kubeconfig, context))

    @property
    def server(self) -> str:
        return self.target.server

    def same_cluster(self, other: KubeClient) -> bool:
        return self.target.server == other.target.server and self.target.token == other.target.token

    def request(
        self,
        method: str,
        path: str,
        body: Obj | None = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Obj:
        if query:
            path += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", "User-Agent": "liqoctl/simulated"}
        if data is not None:
            headers["Content-Type"] = content_type
        if self.target.token:
            headers["Authorization"] = f"Bearer {self.target.token}"
        try:
            resp = minihttp.request(self.target.server, method, path, data, headers, self.timeout)
        except OSError as exc:
            url = self.target.server + path
            host = url.split("://", 1)[-1].split("/", 1)[0]
            detail = "connect: connection refused" if isinstance(exc, ConnectionRefusedError) else str(exc)
            raise ApiError(0, "ConnectionError", f'Get "{url}": dial tcp {host}: {detail}') from None
        raw = resp.body
        if not 200 <= resp.status < 300:
            try:
                status = json.loads(raw)
            except ValueError:
                status = {}
            message = status.get("message") if isinstance(status, dict) else None
            raise ApiError(
                resp.status,
                str(status.get("reason", "")) if isinstance(status, dict) else "",
                str(message or f"the server responded with status {resp.status}"),
            )
        return json.loads(raw) if raw else {}

    # ---- typed helpers -------------------------------------------------------------------

    def get(self, res: Res, name: str, namespace: str | None = None) -> Obj | None:
        try:
            return self.request("GET", res.path(namespace, name))
        except ApiError as exc:
            if exc.not_found:
                return None
            raise

    def list(self, res: Res, namespace: str | None = None, labels: dict[str, str] | None = None) -> list[Obj]:
        query = {"labelSelector": ",".join(f"{k}={v}" for k, v in labels.items())} if labels else None
        try:
            items = self.request("GET", res.path(namespace), query=query).get("items") or []
        except ApiError as exc:
            if exc.not_found:
                return []
            raise
        return [i for i in items if isinstance(i, dict)]

    def create(self, res: Res, obj: Obj, namespace: str | None = None) -> Obj:
        obj = {"apiVersion": res.api_version, **obj}
        ns = namespace or obj.get("metadata", {}).get("namespace")
        return self.request("POST", res.path(ns if res.namespaced else None), obj)

    def update(self, res: Res, obj: Obj) -> Obj:
        meta = obj["metadata"]
        return self.request("PUT", res.path(meta.get("namespace"), meta["name"]), obj)

    def update_status(self, res: Res, obj: Obj) -> Obj:
        meta = obj["metadata"]
        return self.request("PUT", res.path(meta.get("namespace"), meta["name"]) + "/status", obj)

    def patch(self, res: Res, name: str, patch: Obj, namespace: str | None = None) -> Obj:
        return self.request(
            "PATCH", res.path(namespace, name), patch, content_type="application/merge-patch+json"
        )

    def delete(self, res: Res, name: str, namespace: str | None = None) -> bool:
        """True if something was deleted, False if it did not exist."""
        try:
            self.request("DELETE", res.path(namespace, name))
        except ApiError as exc:
            if exc.not_found:
                return False
            raise
        return True

    def apply(self, res: Res, obj: Obj) -> Obj:
        """Create, or replace the existing object keeping its resourceVersion (create-or-update)."""
        meta = obj["metadata"]
        current = self.get(res, meta["name"], meta.get("namespace"))
        if current is None:
            return self.create(res, obj)
        merged = {**current, **{k: v for k, v in obj.items() if k != "metadata"}}
        merged["apiVersion"] = res.api_version
        merged["metadata"] = {
            **current["metadata"],
            "labels": {**(current["metadata"].get("labels") or {}), **(meta.get("labels") or {})},
            "annotations": {
                **(current["metadata"].get("annotations") or {}),
                **(meta.get("annotations") or {}),
            },
        }
        return self.update(res, merged)


def wait_for(
    check: Callable[[], T | None],
    timeout: float,
    interval: float = 0.05,
    hopeless: Callable[[], bool] | None = None,
    hopeless_timeout: float | None = None,
) -> T | None:
    """Poll `check` until it returns something truthy or `timeout` seconds pass (then None).

    When `hopeless()` becomes true the deadline shrinks to `hopeless_timeout` from the start: the
    playground's way to make a wait that can only time out take a scaled time (0 = at once).
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        found = check()
        if found:
            return found
        now = time.monotonic()
        if hopeless is not None and hopeless_timeout is not None and hopeless():
            deadline = min(deadline, start + hopeless_timeout)
        if now >= deadline:
            return None
        time.sleep(min(interval, max(0.0, deadline - now)))

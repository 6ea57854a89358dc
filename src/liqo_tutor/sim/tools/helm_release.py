"""Releases of the simulated helm, stored as helm v3 stores them, and the install/upgrade/uninstall actions.

Storage follows helm pkg/storage/driver/secrets.go and util.go: one Secret per revision named
`sh.helm.release.v1.NAME.vN`, type `helm.sh/release.v1`, labels name/owner=helm/status/version plus
createdAt (create) or modifiedAt (update), data `release` = base64(gzip(JSON)) (plain JSON also read).
Actions follow pkg/action (install.go: name in use, namespace creation with label name=NS, ownership
check of existing objects; upgrade.go; uninstall.go; wait: every StatefulSet/Deployment ready, PVCs
bound, within --timeout), their errors the wording of those files.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import time
from dataclasses import dataclass
from typing import Any

import yaml

from liqo_tutor.sim.charts import ChartVersion
from liqo_tutor.sim.kclient import ApiError, KubeClient, Res, builtin

__all__ = ["HelmError", "Release", "install", "releases", "uninstall", "upgrade"]

Obj = dict[str, Any]
SECRETS = builtin("secrets")
_RES = {
    "NetworkPolicy": Res("networking.k8s.io", "v1", "networkpolicies", True),
    "PodDisruptionBudget": Res("policy", "v1", "poddisruptionbudgets", True),
    "ServiceAccount": Res("", "v1", "serviceaccounts", True),
    "Secret": SECRETS,
    "ConfigMap": Res("", "v1", "configmaps", True),
    "Service": Res("", "v1", "services", True),
    "StatefulSet": Res("apps", "v1", "statefulsets", True),
    "Deployment": Res("apps", "v1", "deployments", True),
    "PersistentVolumeClaim": Res("", "v1", "persistentvolumeclaims", True),
}


class HelmError(Exception):
    """An error helm prints as `Error: ...` (exit 1)."""


@dataclass
class Release:
    data: Obj
    secret: Obj

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def namespace(self) -> str:
        return str(self.data.get("namespace", ""))

    @property
    def version(self) -> int:
        return int(self.data.get("version", 0))

    @property
    def status(self) -> str:
        return str((self.data.get("info") or {}).get("status", ""))


def now_rfc3339() -> str:
    return dt.datetime.now().astimezone().isoformat()


def go_time(value: str) -> str:
    """time.Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST`."""
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    frac = f"{when.microsecond:06d}".rstrip("0")
    zone = when.strftime("%Z") or when.strftime("%z")
    return when.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "") + when.strftime(" %z ") + zone


def ansic(value: str) -> str:
    """time.ANSIC: `Mon Jan _2 15:04:05 2006`."""
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    return when.strftime("%a %b ") + f"{when.day:>2}" + when.strftime(" %H:%M:%S %Y")


def encode(release: Obj) -> str:
    return base64.b64encode(gzip.compress(json.dumps(release).encode(), compresslevel=9)).decode()


def decode(secret: Obj) -> Obj | None:
    raw = (secret.get("data") or {}).get("release")
    if not raw:
        return None
    try:
        inner = base64.b64decode(base64.b64decode(raw))
        if inner[:3] == b"\x1f\x8b\x08":
            inner = gzip.decompress(inner)
        data = json.loads(inner)
    except (ValueError, OSError):
        return None
    return data if isinstance(data, dict) else None


def releases(kc: KubeClient, namespace: str | None, name: str | None = None) -> list[Release]:
    """Every stored revision (all namespaces when `namespace` is None), oldest first."""
    labels = {"owner": "helm", **({"name": name} if name else {})}
    out = []
    for secret in kc.list(SECRETS, namespace, labels):
        if secret.get("type") != "helm.sh/release.v1":
            continue
        data = decode(secret)
        if data is not None:
            data.setdefault("namespace", secret["metadata"].get("namespace", ""))
            out.append(Release(data, secret))
    return sorted(out, key=lambda r: (r.namespace, r.name, r.version))


def _secret(release: Obj, created: bool) -> Obj:
    labels = {
        "name": release["name"],
        "owner": "helm",
        "status": release["info"]["status"],
        "version": str(release["version"]),
        ("createdAt" if created else "modifiedAt"): str(int(time.time())),
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{release['name']}.v{release['version']}",
            "namespace": release["namespace"],
            "labels": labels,
        },
        "data": {"release": base64.b64encode(encode(release).encode()).decode()},
    }


def _store(kc: KubeClient, release: Obj, created: bool) -> None:
    body = _secret(release, created)
    try:
        if created:
            kc.create(SECRETS, body, release["namespace"])
        else:
            current = kc.get(SECRETS, body["metadata"]["name"], release["namespace"])
            if current is not None:
                body["metadata"]["labels"]["createdAt"] = (current["metadata"].get("labels") or {}).get(
                    "createdAt", ""
                )
                body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                kc.update(SECRETS, body)
    except ApiError as exc:
        verb = "create" if created else "update"
        raise HelmError(f"{verb}: failed to {verb}: {exc.message}") from None


def _owned(obj: Obj, name: str, namespace: str) -> bool:
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    return (
        (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") == "Helm"
        and annotations.get("meta.helm.sh/release-name") == name
        and annotations.get("meta.helm.sh/release-namespace") == namespace
    )


def _ownership_error(obj: Obj, name: str, namespace: str) -> str:
    meta = obj.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    problems = []
    if labels.get("app.kubernetes.io/managed-by") != "Helm":
        problems.append(
            'label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"'
        )
    for key, want in (("meta.helm.sh/release-name", name), ("meta.helm.sh/release-namespace", namespace)):
        if key not in annotations:
            problems.append(f'annotation validation error: missing key "{key}": must be set to "{want}"')
        elif annotations[key] != want:
            problems.append(
                f'annotation validation error: key "{key}" must equal "{want}": '
                f'current value is "{annotations[key]}"'
            )
    return (
        f'{obj["kind"]} "{meta.get("name")}" in namespace "{meta.get("namespace", "")}" exists and cannot be '
        f"imported into the current release: invalid ownership metadata; {'; '.join(problems)}"
    )


def _annotate(objs: list[Obj], name: str, namespace: str) -> None:
    for obj in objs:
        meta = obj.setdefault("metadata", {})
        meta.setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
        annotations = meta.setdefault("annotations", {})
        annotations["meta.helm.sh/release-name"] = name
        annotations["meta.helm.sh/release-namespace"] = namespace


def _apply(kc: KubeClient, objs: list[Obj], name: str, namespace: str, verb: str) -> None:
    for obj in objs:
        res = _RES[obj["kind"]]
        current = kc.get(res, obj["metadata"]["name"], namespace)
        try:
            if current is None:
                kc.create(res, obj, namespace)
            else:
                merged = {
                    **obj,
                    "metadata": {
                        **obj["metadata"],
                        "resourceVersion": current["metadata"]["resourceVersion"],
                    },
                }
                if obj["kind"] == "Service":
                    merged["spec"] = {**obj.get("spec", {}), "clusterIP": current["spec"].get("clusterIP")}
                kc.update(res, merged)
        except ApiError as exc:
            if current is None:
                raise HelmError(f"failed to create resource: {exc.message}") from None
            raise HelmError(
                f'cannot patch "{obj["metadata"]["name"]}" with kind {obj["kind"]}: {exc.message}'
            ) from None


def _ready(kc: KubeClient, objs: list[Obj], namespace: str) -> bool:
    for obj in objs:
        kind = obj["kind"]
        if kind not in ("StatefulSet", "Deployment"):
            continue
        current = kc.get(_RES[kind], obj["metadata"]["name"], namespace) or {}
        spec, status = current.get("spec") or {}, current.get("status") or {}
        want = int(spec.get("replicas", 1))
        if int(status.get("readyReplicas", 0)) < want or int(status.get("observedGeneration", 0)) < int(
            current.get("metadata", {}).get("generation", 1)
        ):
            return False
        if kind == "StatefulSet":
            for tmpl in spec.get("volumeClaimTemplates") or []:
                for i in range(want):
                    claim = kc.get(
                        _RES["PersistentVolumeClaim"],
                        f"{tmpl['metadata']['name']}-{obj['metadata']['name']}-{i}",
                        namespace,
                    )
                    if (claim or {}).get("status", {}).get("phase") != "Bound":
                        return False
    return True


def _wait(kc: KubeClient, objs: list[Obj], namespace: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _ready(kc, objs, namespace):
        if time.monotonic() >= deadline:
            raise HelmError("context deadline exceeded")
        time.sleep(0.2)


@dataclass
class Request:
    name: str
    namespace: str
    chart: ChartVersion
    values: Obj  # user-supplied (helm's `config`)
    computed: Obj  # chart defaults coalesced with the user's values
    create_namespace: bool = False
    wait: bool = False
    timeout: float = 300.0
    description: str = ""


def _release_obj(req: Request, revision: int, status: str, first: str, objs: list[Obj], notes: str) -> Obj:
    now = now_rfc3339()
    cv = req.chart
    return {
        "name": req.name,
        "info": {
            "first_deployed": first or now,
            "last_deployed": now,
            "deleted": "",
            "description": req.description,
            "status": status,
            "notes": notes,
        },
        "chart": {
            "metadata": {
                "name": cv.name, "version": cv.version, "description": cv.description, "apiVersion": "v2",
                "appVersion": cv.app_version,
            },
            "values": cv.defaults,
        },
        "config": req.values,
        "manifest": "".join("---\n" + yaml.safe_dump(o, sort_keys=False) for o in objs),
        "version": revision,
        "namespace": req.namespace,
    }  # fmt: skip


def _render(req: Request) -> tuple[list[Obj], str]:
    cv = req.chart
    if cv.render is None:
        raise HelmError(cv.note_unsupported or f"chart {cv.name} cannot be rendered")
    objs = cv.render(req.name, req.namespace, req.computed, cv)
    _annotate(objs, req.name, req.namespace)
    notes = cv.notes(req.name, req.namespace, req.computed, cv) if cv.notes else ""
    return objs, notes


def install(kc: KubeClient, req: Request) -> Obj:
    history = releases(kc, req.namespace, req.name)
    if history and history[-1].status != "uninstalled":
        raise HelmError("cannot re-use a name that is still in use")
    objs, notes = _render(req)
    if kc.get(builtin("namespaces"), req.namespace) is None:
        if not req.create_namespace:
            raise HelmError(f'create: failed to create: namespaces "{req.namespace}" not found')
        meta: Obj = {"name": req.namespace, "labels": {"name": req.namespace}}
        ns: Obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
        kc.create(builtin("namespaces"), ns)
    for obj in objs:
        current = kc.get(_RES[obj["kind"]], obj["metadata"]["name"], req.namespace)
        if current is not None and not _owned(current, req.name, req.namespace):
            raise HelmError(
                f"Unable to continue with install: {_ownership_error(current, req.name, req.namespace)}"
            )
    revision = (history[-1].version + 1) if history else 1
    req.description = "Initial install underway"
    release = _release_obj(req, revision, "pending-install", "", objs, notes)
    _store(kc, release, created=True)
    return _finish(kc, req, release, objs, "Install complete", "release {name} failed: {err}")


def _finish(kc: KubeClient, req: Request, release: Obj, objs: list[Obj], done: str, failed: str) -> Obj:
    try:
        _apply(kc, objs, req.name, req.namespace, "install")
        if req.wait:
            _wait(kc, objs, req.namespace, req.timeout)
    except HelmError as exc:
        release["info"]["status"] = "failed"
        release["info"]["description"] = failed.format(name=req.name, err=exc)
        _store(kc, release, created=False)
        raise
    release["info"]["status"] = "deployed"
    release["info"]["description"] = done
    _store(kc, release, created=False)
    return release


def upgrade(kc: KubeClient, req: Request) -> Obj:
    history = releases(kc, req.namespace, req.name)
    deployed = [r for r in history if r.status == "deployed"]
    if not history:
        raise HelmError(f'"{req.name}" has no deployed releases')
    if history[-1].status.startswith("pending-"):
        raise HelmError("another operation (install/upgrade/rollback) is in progress")
    objs, notes = _render(req)
    first = (history[0].data.get("info") or {}).get("first_deployed", "")
    release = _release_obj(req, history[-1].version + 1, "pending-upgrade", first, objs, notes)
    release["info"]["description"] = "Preparing upgrade"
    _store(kc, release, created=True)
    old_objs = list(yaml.safe_load_all(deployed[-1].data.get("manifest") or "")) if deployed else []
    release = _finish(kc, req, release, objs, "Upgrade complete", 'Upgrade "{name}" failed: {err}')
    for old in deployed:
        old.data["info"]["status"] = "superseded"
        _store(kc, old.data, created=False)
    keep = {(o["kind"], o["metadata"]["name"]) for o in objs}
    for old_obj in reversed([o for o in old_objs if o]):
        if (old_obj["kind"], old_obj["metadata"]["name"]) not in keep and old_obj["kind"] in _RES:
            kc.delete(_RES[old_obj["kind"]], old_obj["metadata"]["name"], req.namespace)
    return release


def uninstall(kc: KubeClient, name: str, namespace: str, keep_history: bool = False) -> None:
    history = releases(kc, namespace, name)
    if not history:
        raise HelmError(f"uninstall: Release not loaded: {name}: release: not found")
    last = history[-1]
    for obj in reversed(list(yaml.safe_load_all(last.data.get("manifest") or ""))):
        if obj and obj.get("kind") in _RES:
            kc.delete(_RES[obj["kind"]], obj["metadata"]["name"], namespace)
    if keep_history:
        last.data["info"]["status"] = "uninstalled"
        last.data["info"]["description"] = "Uninstallation complete"
        _store(kc, last.data, created=False)
        return
    for rel in history:
        kc.delete(SECRETS, rel.secret["metadata"]["name"], namespace)

"""Discovery documents: API groups, resource lists, OpenAPI v3 stubs, /version."""

from __future__ import annotations

import hashlib
import json
import re

from liqo_tutor.sim.store import Cluster, Obj

__all__ = ["api_group", "groups", "openapi_v3_gv", "openapi_v3_root", "resource_list", "version_info"]


def groups(cluster: Cluster) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for k in cluster.kinds():
        if k.group:
            versions = groups.setdefault(k.group, [])
            if k.version not in versions:
                versions.append(k.version)
    return groups


def api_group(name: str, versions: list[str]) -> Obj:
    return {
        "name": name,
        "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
        "preferredVersion": {"groupVersion": f"{name}/{versions[0]}", "version": versions[0]},
    }


def resource_list(cluster: Cluster, group: str, version: str) -> Obj | None:
    kinds = [k for k in cluster.kinds() if k.group == group and k.version == version]
    if not kinds:
        return None
    resources: list[Obj] = []
    for k in kinds:
        entry: Obj = {
            "name": k.plural,
            "singularName": k.singular_name,
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": list(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        entry["storageVersionHash"] = hashlib.sha256(k.key.encode()).hexdigest()[:11]
        resources.append(entry)
        for sub in k.subresources:
            sub_kind = {"log": "Pod", "scale": "Scale", "binding": "Binding", "eviction": "Eviction"}.get(
                sub, k.kind
            )
            verbs = ["get"] if sub in ("log", "proxy") else ["get", "patch", "update"]
            if sub in ("binding", "eviction", "token"):
                verbs = ["create"]
            if sub in ("exec", "attach", "portforward"):
                verbs = ["create", "get"]
            entry = {
                "name": f"{k.plural}/{sub}",
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": sub_kind,
                "verbs": verbs,
            }
            if sub == "scale":  # the scale client reads the Scale's group/version from here
                entry.update({"group": "autoscaling", "version": "v1"})
            resources.append(entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def openapi_v3_root(cluster: Cluster) -> Obj:
    paths: Obj = {}
    seen: set[tuple[str, str]] = set()
    for k in cluster.kinds():
        if (k.group, k.version) in seen:
            continue
        seen.add((k.group, k.version))
        gv = f"apis/{k.group}/{k.version}" if k.group else f"api/{k.version}"
        digest = (
            hashlib.sha256(
                json.dumps(
                    sorted(x.kind for x in cluster.kinds() if (x.group, x.version) == (k.group, k.version))
                ).encode()
            )
            .hexdigest()[:32]
            .upper()
        )
        paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
    return {"paths": paths}


def openapi_v3_gv(cluster: Cluster, group: str, version: str) -> Obj | None:
    kinds = [k for k in cluster.kinds() if k.group == group and k.version == version]
    if not kinds:
        return None
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: Obj = {}
    params = [
        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}},
    ]
    for k in kinds:
        gvk = {"group": k.group, "kind": k.kind, "version": k.version}
        path = (
            f"{prefix}/namespaces/{{namespace}}/{k.plural}/{{name}}"
            if k.namespaced
            else f"{prefix}/{k.plural}/{{name}}"
        )
        paths[path] = {
            "get": {
                "operationId": f"read{k.kind}",
                "x-kubernetes-action": "get",
                "x-kubernetes-group-version-kind": gvk,
                "responses": {},
            },
            "patch": {
                "operationId": f"patch{k.kind}",
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params,
                "responses": {},
            },
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": cluster.spec.k8s_version},
        "paths": paths,
        "components": {"schemas": {}},
    }


def version_info(cluster: Cluster) -> Obj:
    git = cluster.spec.k8s_version
    m = re.match(r"v?(\d+)\.(\d+)", git)
    major, minor = (m.group(1), m.group(2)) if m else ("1", "30")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": hashlib.sha1(git.encode()).hexdigest(),
        "gitTreeState": "clean",
        "buildDate": "2024-04-17T17:27:03Z",
        "goVersion": "go1.22.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    }

"""`liqoctl install` (both lines): Helm release, CRDs, cluster identity, Liqo's Deployments and DaemonSets."""

from __future__ import annotations

import json

from liqo_tutor.sim.kclient import ApiError, KubeClient, Res, wait_for
from liqo_tutor.sim.liqo import crds
from liqo_tutor.sim.liqo.versions import (
    LATEST_CHART,
    Line,
    components,
    image,
    line_of,
    parse,
)
from liqo_tutor.sim.tools.liqoctl.cli import Ctx, Failed
from liqo_tutor.sim.tools.liqoctl.common import (
    CLUSTERID_CM,
    CLUSTERROLES,
    CM,
    CRD,
    DEPLOY,
    DNS1123,
    DS,
    NODES,
    NS,
    PROG,
    SECRETS,
    SVC,
    Obj,
    _busy,
    _safe_list,
    b64,
    client,
    deployment_available,
    identity,
)

__all__ = ["cmd_install"]


def _known_chart(version: str) -> bool:
    v = parse(version)
    if v is None:
        return False
    t = (v.major, v.minor, v.patch)
    return (0, 6, 0) <= t <= (0, 10, 3) or (1, 0, 0) <= t <= (1, 2, 0)


def _labels(component: str) -> dict[str, str]:
    short = component.removeprefix("liqo-")
    return {
        "app.kubernetes.io/name": short,
        "app.kubernetes.io/instance": "liqo",
        "app.kubernetes.io/component": short,
        "app.kubernetes.io/part-of": "liqo",
        "app.kubernetes.io/managed-by": "Helm",
    }


def _deployment(component: str, version: str, namespace: str) -> Obj:
    labels = _labels(component)
    container = component.removeprefix("liqo-")
    selector = {
        "app.kubernetes.io/name": labels["app.kubernetes.io/name"],
        "app.kubernetes.io/instance": "liqo",
    }
    return {
        "kind": "Deployment",
        "metadata": {"name": component, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": component,
                    "containers": [
                        {
                            "name": container,
                            "image": image(component, version),
                            "imagePullPolicy": "IfNotPresent",
                        }
                    ],
                },
            },
        },
    }


def _helm_secret(revision: int, status: str, chart_version: str, values: Obj, namespace: str) -> Obj:
    release = {
        "name": "liqo",
        "namespace": namespace,
        "version": revision,
        "info": {"status": status},
        "chart": {"metadata": {"name": "liqo", "version": chart_version, "appVersion": chart_version}},
        "config": values,
    }
    return {
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.liqo.v{revision}",
            "namespace": namespace,
            "labels": {"owner": "helm", "name": "liqo", "status": status, "version": str(revision)},
        },
        "data": {"release": b64(b64(json.dumps(release)))},
    }


def _releases(kc: KubeClient, namespace: str) -> list[Obj]:
    return sorted(
        kc.list(SECRETS, namespace, {"owner": "helm", "name": "liqo"}),
        key=lambda s: int((s["metadata"].get("labels") or {}).get("version", "0")),
    )


def cmd_install(ctx: Ctx) -> int:
    out, line = ctx.out, ctx.line
    ns = ctx.f("namespace")
    id_flag = "cluster-name" if line.v0 else "cluster-id"
    out.step("Initializing installer")
    kc = client(ctx)
    try:
        kc.request("GET", "/version")
        kc.list(NODES)
    except ApiError as exc:
        raise out.fail(f"Error initializing installer: {exc.message}") from None
    out.info("Installer initialized")

    out.step("Retrieving cluster configuration")
    try:
        existing = identity(kc, ns) if kc.get(NS, ns) else None
    except ApiError as exc:
        raise out.fail(f"Error retrieving configuration: {exc.message}") from None
    name = ctx.f(id_flag) or ""
    existing_key = "CLUSTER_NAME" if line.v0 else "CLUSTER_ID"
    if not name and existing:
        name = existing.get(existing_key, "")
    if not name:
        name = _random_name()
        what = "name" if line.v0 else "id"
        out.log.write(f'INFO: No cluster {what} specified. Generated: "{name}"')
        out.log.flush()
    if not DNS1123.match(name) or len(name) > 63:
        raise out.fail(
            f"Error retrieving configuration: the cluster {'name' if line.v0 else 'id'} "
            f"may contain only lowercase letters, numbers and hyphens, and must start and "
            f"end with a letter or a number: {name!r} is invalid"
        )
    labels = [kv for kv in ctx.f("cluster-labels") or [] if kv]
    for kv in labels:
        if "=" not in kv:
            raise out.fail(
                f'Error retrieving configuration: "{kv}" is not a valid label (expected key=value)'
            )
    out.info("Cluster configuration correctly retrieved")

    out.step("Generating installation parameters")
    chart_version = ctx.f("version") or (LATEST_CHART if line.v0 else ctx.version)
    chart_line = line_of(chart_version)
    values: Obj = {
        "discovery": {
            "config": {
                id_flag.replace("-", "_"): name,
                "clusterLabels": dict(kv.split("=", 1) for kv in labels) | {"liqo.io/provider": "kind"},
            }
        },
        "telemetry": {"enabled": not ctx.f("disable-telemetry")},
    }
    out.info("Installation parameters correctly generated")

    out.step("Installing or upgrading Liqo... (this may take a few minutes)")
    if not _known_chart(chart_version):
        raise out.fail(
            f'Error installing or upgrading Liqo: chart "liqo" version "{chart_version}" '
            "not found in https://helm.liqo.io/ repository"
        )
    try:
        _helm_install(ctx, kc, ns, name, chart_version, chart_line, values, existing)
    except Failed:
        raise
    except ApiError as exc:
        raise out.fail(f"Error installing or upgrading Liqo: {exc.message}") from None
    out.info(f"All Set! You can now proceed establishing a peering ({PROG} peer --help for more information)")
    out.info("Make sure to use the same version of Liqo on all remote clusters")
    return 0


def _random_name() -> str:
    adjectives = ("brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "lively", "proud", "silly")
    nouns = (
        "river",
        "forest",
        "meadow",
        "breeze",
        "canyon",
        "glacier",
        "harbor",
        "island",
        "lagoon",
        "summit",
    )
    import secrets

    return f"{secrets.choice(adjectives)}-{secrets.choice(nouns)}"


def _helm_install(
    ctx: Ctx,
    kc: KubeClient,
    ns: str,
    name: str,
    chart_version: str,
    chart_line: Line,
    values: Obj,
    existing: dict[str, str] | None,
) -> None:
    out = ctx.out
    releases = _releases(kc, ns)
    deployed = [r for r in releases if (r["metadata"].get("labels") or {}).get("status") == "deployed"]
    pending = [
        r for r in releases if (r["metadata"].get("labels") or {}).get("status", "").startswith("pending")
    ]
    if pending:
        raise out.fail(
            "Error installing or upgrading Liqo: another operation (install/upgrade/rollback) is in progress"
        )
    if releases and not deployed:
        raise out.fail('Error installing or upgrading Liqo: "liqo" has no deployed releases')
    # The chart refuses to change the identity of an installed cluster (v1 chart template).
    if (
        chart_line.v1
        and existing
        and existing.get("CLUSTER_ID")
        and ctx.line.v1
        and existing["CLUSTER_ID"] != name
    ):
        raise out.fail(
            "Error installing or upgrading Liqo: execution error at "
            "(liqo/templates/liqo-clusterid-configmap.yaml:1:4): Changing the cluster ID by "
            "providing a different .discovery.config.clusterID value is not allowed."
        )
    revision = int((releases[-1]["metadata"].get("labels") or {}).get("version", "0")) + 1 if releases else 1
    first = not deployed
    if kc.get(NS, ns) is None:
        kc.create(NS, {"kind": "Namespace", "metadata": {"name": ns}})
    kc.create(
        SECRETS,
        _helm_secret(revision, "pending-install" if first else "pending-upgrade", chart_version, values, ns),
    )
    _busy("liqo_install", kc)
    for obj in crds.crd_objects(chart_line):
        kc.apply(CRD, obj)
    data: dict[str, str]
    if chart_line.v0:
        import uuid

        cluster_id = (existing or {}).get("CLUSTER_ID") or str(uuid.uuid4())
        data = {"CLUSTER_ID": cluster_id, "CLUSTER_NAME": name}
    else:
        data = {"CLUSTER_ID": name}
    kc.apply(
        CM,
        {
            "kind": "ConfigMap",
            "metadata": {
                "name": CLUSTERID_CM,
                "namespace": ns,
                "labels": {
                    "app.kubernetes.io/name": "clusterid-configmap",
                    "app.kubernetes.io/part-of": "liqo",
                    "app.kubernetes.io/managed-by": "Helm",
                },
            },
            "data": data,
        },
    )
    deployments, daemonsets = components(chart_line)
    cluster_labels = dict(values.get("discovery", {}).get("config", {}).get("clusterLabels") or {})
    for comp in deployments:
        dep = _deployment(comp, chart_version, ns)
        if comp == "liqo-controller-manager" and cluster_labels:
            # templates/liqo-controller-manager-deployment.yaml: liqo.concatenateMap, keys sorted.
            pairs = ",".join(f"{k}={cluster_labels[k]}" for k in sorted(cluster_labels))
            dep["spec"]["template"]["spec"]["containers"][0]["args"] = [f"--cluster-labels={pairs}"]
        kc.apply(DEPLOY, dep)
    for comp in daemonsets:
        ds = _deployment(comp, chart_version, ns)
        ds["kind"] = "DaemonSet"
        ds["spec"].pop("replicas")
        # templates/liqo-fabric-daemonset.yaml (v1), liqo-route-daemonset.yaml (v0): one pod per node,
        # control-plane included, on the host network.
        pod_spec = ds["spec"]["template"]["spec"]
        pod_spec["hostNetwork"] = True
        pod_spec["tolerations"] = [
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"},
            *([{"effect": "NoSchedule", "key": "node-role.kubernetes.io/infra"}] if chart_line.v1 else []),
            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
        ]
        try:
            kc.apply(DS, ds)
        except ApiError as exc:
            if not exc.not_found:
                raise
    if chart_line.v0:
        for svc_name, port, proto in (("liqo-auth", 443, "TCP"), ("liqo-gateway", 5871, "UDP")):
            comp_labels = _labels(svc_name)
            if svc_name == "liqo-gateway":
                # templates/liqo-gateway-service.yaml (liqo.gatewayServiceLabels), port "wireguard".
                comp_labels["net.liqo.io/gateway"] = "true"
            kc.apply(
                SVC,
                {
                    "kind": "Service",
                    "metadata": {"name": svc_name, "namespace": ns, "labels": comp_labels},
                    "spec": {
                        "type": "NodePort",
                        "selector": {
                            "app.kubernetes.io/name": comp_labels["app.kubernetes.io/name"],
                            "app.kubernetes.io/instance": "liqo",
                        },
                        "ports": [
                            {
                                "name": "wireguard" if port == 5871 else svc_name.removeprefix("liqo-"),
                                "port": port,
                                "targetPort": 8443 if port == 443 else port,
                                "protocol": proto,
                            }
                        ],
                    },
                },
            )
    try:
        kc.apply(
            CLUSTERROLES,
            {
                "kind": "ClusterRole",
                "metadata": {
                    "name": "liqo-controller-manager",
                    "labels": {"app.kubernetes.io/part-of": "liqo"},
                },
                "rules": [],
            },
        )
    except ApiError as exc:
        if not exc.not_found:
            raise
    # Helm wait: every Deployment Available within --timeout (Atomic: roll back on failure).
    timeout = float(ctx.f("timeout"))

    def all_available() -> bool:
        return all(
            deployment_available(d) for d in (kc.get(DEPLOY, c, ns) for c in deployments) if d
        ) and all(kc.get(DEPLOY, c, ns) is not None for c in deployments)

    if not wait_for(all_available, timeout, interval=0.05):
        reason = "timed out waiting for the condition"
        if first:
            _helm_uninstall(kc, ns, ctx.line)
            msg = f"release liqo failed, and has been uninstalled due to atomic being set: {reason}"
        else:
            kc.apply(SECRETS, _helm_secret(revision, "failed", chart_version, values, ns))
            msg = f"release liqo failed, and has been rolled back due to atomic being set: {reason}"
        out.error(f"Error installing or upgrading Liqo: {msg}")
        for hint in (
            "Likely causes for the installation/upgrade timeout could include:",
            "* One or more pods failed to start (e.g., they are in the ImagePullBackOff status)",
            "* A service of type LoadBalancer has been configured, but no provider is available",
            "You can add the --verbose flag for debug information concerning the failing resources",
            "Additionally, if necessary, you can increase the timeout value with the --timeout flag",
        ):
            out.info(hint)
        raise Failed(msg)
    for old in releases:
        if (old["metadata"].get("labels") or {}).get("status") == "deployed":
            old["metadata"]["labels"]["status"] = "superseded"
            kc.update(SECRETS, old)
    kc.apply(SECRETS, _helm_secret(revision, "deployed", chart_version, values, ns))


def _helm_uninstall(kc: KubeClient, ns: str, line: Line) -> None:
    for any_line in (line_of("v0.10.3"), line_of("v1.2.0")):
        deployments, daemonsets = components(any_line)
        for comp in deployments:
            kc.delete(DEPLOY, comp, ns)
        for comp in daemonsets:
            try:
                kc.delete(DS, comp, ns)
            except ApiError as exc:
                if not exc.not_found:
                    raise
    for svc_name in ("liqo-auth", "liqo-gateway"):
        kc.delete(SVC, svc_name, ns)
    kc.delete(CM, CLUSTERID_CM, ns)
    kc.delete(SECRETS, "auth-token", ns)
    networks = Res("ipam.liqo.io", "v1alpha1", "networks", True)
    for net in _safe_list(kc, networks, ns):
        kc.delete(networks, net["metadata"]["name"], ns)
    for s in kc.list(SECRETS, ns, {"owner": "helm", "name": "liqo"}):
        kc.delete(SECRETS, s["metadata"]["name"], ns)
    try:
        for cr in kc.list(CLUSTERROLES, None, {"app.kubernetes.io/part-of": "liqo"}):
            kc.delete(CLUSTERROLES, cr["metadata"]["name"])
    except ApiError as exc:
        if not exc.not_found:
            raise

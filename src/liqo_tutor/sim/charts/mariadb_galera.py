"""bitnami/mariadb-galera 14.2.x as its templates render (bitnami/charts, bitnami/mariadb-galera/templates at
the 14.2.1 release: networkpolicy.yaml, pdb.yaml, serviceaccount.yaml, secrets.yaml, configmap.yaml,
headless-svc.yaml, svc.yaml, statefulset.yaml; values.yaml defaults; bitnami common labels and affinity
presets). Names: fullname = RELEASE-mariadb-galera (or RELEASE if it already contains the chart name),
`-headless`, `-configuration`; Secret keys mariadb-root-password, mariadb-password,
mariadb-galera-mariabackup-password (random 10 alphanumerics when the value is empty).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import secrets
import string
from typing import Any

from liqo_tutor.sim.charts import ChartVersion

__all__ = ["VERSIONS", "render"]

Obj = dict[str, Any]
CHART = "mariadb-galera"
_SCRIPTS = "/opt/bitnami/scripts/mariadb-galera"

DEFAULTS: Obj = {
    "global": {"imageRegistry": "", "defaultStorageClass": "", "storageClass": ""},
    "nameOverride": "",
    "fullnameOverride": "",
    "commonLabels": {},
    "clusterDomain": "cluster.local",
    "image": {
        "registry": "docker.io",
        "repository": "bitnami/mariadb-galera",
        "tag": "11.4.5-debian-12-r6",
        "pullPolicy": "IfNotPresent",
    },
    "podManagementPolicy": "OrderedReady",
    "automountServiceAccountToken": False,
    "service": {
        "type": "ClusterIP",
        "ports": {"mysql": 3306},
        "headless": {"publishNotReadyAddresses": True},
    },
    "networkPolicy": {"enabled": True, "allowExternal": True, "allowExternalEgress": True},
    "serviceAccount": {"create": True, "name": "", "automountServiceAccountToken": False},
    "podSecurityContext": {"enabled": True, "fsGroupChangePolicy": "Always", "fsGroup": 1001},
    "containerSecurityContext": {
        "enabled": True,
        "runAsUser": 1001,
        "runAsGroup": 1001,
        "runAsNonRoot": True,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "rootUser": {"user": "root", "password": ""},
    "existingSecret": "",
    "usePasswordFiles": True,
    "db": {"user": "", "password": "", "name": "my_database"},
    "galera": {"name": "galera", "mariabackup": {"user": "mariabackup", "password": ""}},
    "replicaCount": 3,
    "updateStrategy": {"type": "RollingUpdate"},
    "podLabels": {},
    "podAffinityPreset": "",
    "podAntiAffinityPreset": "soft",
    "affinity": {},
    "nodeSelector": {},
    "tolerations": [],
    "containerPorts": {"mysql": 3306, "galera": 4567, "ist": 4568, "sst": 4444},
    "persistence": {
        "enabled": True,
        "existingClaim": "",
        "mountPath": "/bitnami/mariadb",
        "storageClass": "",
        "accessModes": ["ReadWriteOnce"],
        "size": "8Gi",
    },
    "resourcesPreset": "small",
    "resources": {},
    "pdb": {"create": True, "minAvailable": "", "maxUnavailable": ""},
    "metrics": {"enabled": False},
}

# Server settings the chart's my.cnf carries (values.yaml mariadbConfiguration), as key facts.
_MY_CNF = [
    ("client", [("port", "3306"), ("socket", "/opt/bitnami/mariadb/tmp/mysql.sock")]),
    (
        "mysqld",
        [
            ("default_storage_engine", "InnoDB"),
            ("basedir", "/opt/bitnami/mariadb"),
            ("datadir", "/bitnami/mariadb/data"),
            ("port", "3306"),
            ("socket", "/opt/bitnami/mariadb/tmp/mysql.sock"),
            ("bind_address", "0.0.0.0"),
            ("binlog_format", "row"),
            ("wsrep_on", "ON"),
            ("wsrep_provider", "/opt/bitnami/mariadb/lib/libgalera_smm.so"),
            ("wsrep_sst_method", "mariabackup"),
            ("innodb_autoinc_lock_mode", "2"),
        ],
    ),
    ("galera", [("wsrep_on", "ON")]),
]


def _random_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(10))


def _fullname(release: str, values: Obj) -> str:
    if values.get("fullnameOverride"):
        return str(values["fullnameOverride"])[:63].rstrip("-")
    name = values.get("nameOverride") or CHART
    return (release if name in release else f"{release}-{name}")[:63].rstrip("-")


def _labels(release: str, values: Obj, cv: ChartVersion, extra: Obj | None = None) -> dict[str, str]:
    return {
        **{str(k): str(v) for k, v in (values.get("commonLabels") or {}).items()},
        **{str(k): str(v) for k, v in (extra or {}).items()},
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/name": values.get("nameOverride") or CHART,
        "app.kubernetes.io/version": cv.app_version,
        "helm.sh/chart": f"{CHART}-{cv.version}",
    }


def _match(release: str, values: Obj) -> dict[str, str]:
    return {
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/name": values.get("nameOverride") or CHART,
    }


def _meta(name: str, namespace: str, labels: dict[str, str]) -> Obj:
    return {"name": name, "namespace": namespace, "labels": labels}


def _image(values: Obj) -> str:
    img = values["image"]
    registry = (values.get("global") or {}).get("imageRegistry") or img.get("registry", "")
    ref = f"{img['repository']}:{img['tag']}"
    if img.get("digest"):
        ref = f"{img['repository']}@{img['digest']}"
    return f"{registry}/{ref}" if registry else ref


def _affinity(preset: str, match: dict[str, str], namespace: str) -> Obj | None:
    term = {"labelSelector": {"matchLabels": match}, "topologyKey": "kubernetes.io/hostname"}
    if preset == "hard":
        return {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
    if preset == "soft":
        return {"preferredDuringSchedulingIgnoredDuringExecution": [{"podAffinityTerm": term, "weight": 1}]}
    return None


def _resources(values: Obj) -> Obj:
    if values.get("resources"):
        return dict(values["resources"])
    presets = {
        "nano": ("100m", "128Mi", "150m", "192Mi"),
        "micro": ("250m", "256Mi", "375m", "384Mi"),
        "small": ("500m", "512Mi", "750m", "768Mi"),
        "medium": ("500m", "1024Mi", "750m", "1536Mi"),
    }
    preset = presets.get(str(values.get("resourcesPreset", "small")))
    if preset is None:
        return {}
    return {
        "requests": {"cpu": preset[0], "memory": preset[1], "ephemeral-storage": "50Mi"},
        "limits": {"cpu": preset[2], "memory": preset[3], "ephemeral-storage": "2Gi"},
    }


def _storage_class(values: Obj) -> str | None:
    glob = values.get("global") or {}
    name = (
        (values.get("persistence") or {}).get("storageClass")
        or glob.get("storageClass")
        or glob.get("defaultStorageClass")
    )
    if not name:
        return None
    return "" if name == "-" else str(name)


def _env(full: str, namespace: str, values: Obj) -> list[Obj]:
    secret = values.get("existingSecret") or full
    files = bool(values.get("usePasswordFiles"))
    replicas = int(values.get("replicaCount", 3))
    domain = values.get("clusterDomain", "cluster.local")
    peers = ",".join(f"{full}-{i}.{full}-headless.{namespace}.svc.{domain}" for i in range(replicas))

    def password(var: str, key: str) -> Obj:
        if files:
            return {"name": f"{var}_FILE", "value": f"/opt/bitnami/mariadb/secrets/{key}"}
        return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}

    env: list[Obj] = [
        {
            "name": "MY_POD_NAME",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
        },
        {"name": "BITNAMI_DEBUG", "value": "false"},
        {"name": "MARIADB_DEFAULT_PORT_NUMBER", "value": str(values["containerPorts"]["mysql"])},
        {"name": "MARIADB_GALERA_CLUSTER_NAME", "value": str(values["galera"]["name"])},
        {"name": "MARIADB_GALERA_CLUSTER_ADDRESS", "value": f"gcomm://{peers}"},
        {"name": "MARIADB_ROOT_USER", "value": str(values["rootUser"]["user"])},
        password("MARIADB_ROOT_PASSWORD", "mariadb-root-password"),
    ]
    if values["db"].get("user"):
        env.append({"name": "MARIADB_USER", "value": str(values["db"]["user"])})
        env.append(password("MARIADB_PASSWORD", "mariadb-password"))
    env += [
        {"name": "MARIADB_DATABASE", "value": str(values["db"].get("name", ""))},
        {"name": "MARIADB_GALERA_MARIABACKUP_USER", "value": str(values["galera"]["mariabackup"]["user"])},
        password("MARIADB_GALERA_MARIABACKUP_PASSWORD", "mariadb-galera-mariabackup-password"),
        {"name": "MARIADB_ENABLE_LDAP", "value": "no"},
        {"name": "MARIADB_ENABLE_TLS", "value": "no"},
    ]
    return env


def _probe(command: str, delay: int) -> Obj:
    script = (
        'password_aux="${MARIADB_ROOT_PASSWORD:-}"\n'
        'if [[ -f "${MARIADB_ROOT_PASSWORD_FILE:-}" ]]; then\n'
        '    password_aux=$(cat "$MARIADB_ROOT_PASSWORD_FILE")\n'
        "fi\n"
        f"exec {command}\n"
    )
    return {
        "exec": {"command": ["bash", "-ec", script]},
        "initialDelaySeconds": delay,
        "periodSeconds": 10,
        "timeoutSeconds": 1,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def _security(values: Obj) -> Obj:
    ctx = {k: v for k, v in values["containerSecurityContext"].items() if k != "enabled"}
    ctx.setdefault("seLinuxOptions", {})
    return ctx


def _container(full: str, namespace: str, values: Obj) -> Obj:
    ports = values["containerPorts"]
    mounts = [
        {"name": "previous-boot", "mountPath": "/opt/bitnami/mariadb/.bootstrap"},
        {"name": "data", "mountPath": values["persistence"]["mountPath"]},
        {"name": "mariadb-galera-config", "mountPath": "/bitnami/conf/my.cnf", "subPath": "my.cnf"},
    ]
    if values.get("usePasswordFiles"):
        mounts.append({"name": "mariadb-galera-credentials", "mountPath": "/opt/bitnami/mariadb/secrets/"})
    mounts += [
        {"name": "empty-dir", "mountPath": "/tmp", "subPath": "tmp-dir"},
        {"name": "empty-dir", "mountPath": "/opt/bitnami/mariadb/conf", "subPath": "app-conf-dir"},
        {"name": "empty-dir", "mountPath": "/opt/bitnami/mariadb/tmp", "subPath": "app-tmp-dir"},
        {"name": "empty-dir", "mountPath": "/opt/bitnami/mariadb/logs", "subPath": "app-logs-dir"},
    ]
    container: Obj = {
        "name": "mariadb-galera",
        "image": _image(values),
        "imagePullPolicy": values["image"].get("pullPolicy", "IfNotPresent"),
        "command": [
            "bash",
            "-ec",
            f"exec {_SCRIPTS}/entrypoint.sh {_SCRIPTS}/run.sh\n",
        ],
        "env": _env(full, namespace, values),
        "ports": [
            {"name": "mysql", "containerPort": ports["mysql"]},
            {"name": "galera", "containerPort": ports["galera"]},
            {"name": "ist", "containerPort": ports["ist"]},
            {"name": "sst", "containerPort": ports["sst"]},
        ],
        "livenessProbe": _probe(
            'mysql -u"${MARIADB_ROOT_USER}" -p"${password_aux}" '
            '-e "select * from mysql.wsrep_cluster_members;"',
            120,
        ),
        "readinessProbe": _probe('mysqladmin status -u"${MARIADB_ROOT_USER}" -p"${password_aux}"', 30),
        "resources": _resources(values),
        "volumeMounts": mounts,
    }
    if values["containerSecurityContext"].get("enabled"):
        container["securityContext"] = _security(values)
    return container


def _volumes(full: str, values: Obj) -> list[Obj]:
    secret = values.get("existingSecret") or full
    vols: list[Obj] = [{"name": "previous-boot", "emptyDir": {}}]
    if values.get("usePasswordFiles"):
        keys = ("mariadb-root-password", "mariadb-password", "mariadb-galera-mariabackup-password")
        vols.append(
            {
                "name": "mariadb-galera-credentials",
                "secret": {"secretName": secret, "items": [{"key": k, "path": k} for k in keys]},
            }
        )
    vols.append({"name": "mariadb-galera-config", "configMap": {"name": f"{full}-configuration"}})
    vols.append({"name": "empty-dir", "emptyDir": {}})
    persistence = values["persistence"]
    if persistence.get("enabled") and persistence.get("existingClaim"):
        vols.append({"name": "data", "persistentVolumeClaim": {"claimName": persistence["existingClaim"]}})
    elif not persistence.get("enabled"):
        vols.append({"name": "data", "emptyDir": {}})
    return vols


def _pod_spec(release: str, namespace: str, values: Obj, full: str) -> Obj:
    match = _match(release, values)
    affinity = values.get("affinity") or {
        k: v
        for k, v in (
            ("podAffinity", _affinity(str(values.get("podAffinityPreset", "")), match, namespace)),
            ("podAntiAffinity", _affinity(str(values.get("podAntiAffinityPreset", "")), match, namespace)),
        )
        if v
    }
    pod_spec: Obj = {
        "automountServiceAccountToken": bool(values.get("automountServiceAccountToken")),
        "serviceAccountName": (values["serviceAccount"].get("name") or full)
        if values["serviceAccount"].get("create")
        else (values["serviceAccount"].get("name") or "default"),
        "affinity": affinity,
        "initContainers": [
            {
                "name": "preserve-logs-symlinks",
                "image": _image(values),
                "imagePullPolicy": values["image"].get("pullPolicy", "IfNotPresent"),
                "command": ["/bin/bash"],
                "args": ["-ec", "cp -r /opt/bitnami/mariadb/logs /emptydir/app-logs-dir\n"],
                "resources": _resources(values),
                "volumeMounts": [{"name": "empty-dir", "mountPath": "/emptydir"}],
            }
        ],
        "containers": [_container(full, namespace, values)],
        "volumes": _volumes(full, values),
    }
    if values["podSecurityContext"].get("enabled"):
        pod_spec["securityContext"] = {
            "fsGroup": values["podSecurityContext"].get("fsGroup", 1001),
            "fsGroupChangePolicy": values["podSecurityContext"].get("fsGroupChangePolicy", "Always"),
            "supplementalGroups": [],
            "sysctls": [],
        }
    for key in ("nodeSelector", "tolerations"):
        if values.get(key):
            pod_spec[key] = values[key]
    return pod_spec


def _statefulset(release: str, namespace: str, values: Obj, cv: ChartVersion, full: str, cnf: str) -> Obj:
    match = _match(release, values)
    pod_labels = _labels(release, values, cv, values.get("podLabels"))
    pod_spec = _pod_spec(release, namespace, values, full)
    spec: Obj = {
        "podManagementPolicy": values.get("podManagementPolicy", "OrderedReady"),
        "replicas": int(values.get("replicaCount", 3)),
        "selector": {"matchLabels": match},
        "serviceName": f"{full}-headless"[:63].rstrip("-"),
        "updateStrategy": {"type": values["updateStrategy"].get("type", "RollingUpdate")},
        "template": {
            "metadata": {
                "annotations": {"checksum/config": hashlib.sha256(cnf.encode()).hexdigest()},
                "labels": pod_labels,
            },
            "spec": pod_spec,
        },
    }
    persistence = values["persistence"]
    if persistence.get("enabled") and not persistence.get("existingClaim"):
        claim_spec: Obj = {
            "accessModes": list(persistence.get("accessModes") or ["ReadWriteOnce"]),
            "resources": {"requests": {"storage": str(persistence.get("size", "8Gi"))}},
        }
        sc = _storage_class(values)
        if sc is not None:
            claim_spec["storageClassName"] = sc
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "data", "labels": {**match, "app.kubernetes.io/managed-by": "Helm"}},
                "spec": claim_spec,
            }
        ]
    labels = _labels(release, values, cv)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(full, namespace, labels),
        "spec": spec,
    }


def _services(release: str, namespace: str, values: Obj, cv: ChartVersion, full: str) -> list[Obj]:
    labels = _labels(release, values, cv)
    match = _match(release, values)
    ports = values["containerPorts"]
    headless = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(f"{full}-headless", namespace, labels),
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "None",
            "ports": [
                {"name": n, "port": ports[n], "targetPort": n, "appProtocol": "mysql"}
                for n in ("galera", "ist", "sst")
            ],
            "publishNotReadyAddresses": bool(
                values["service"]["headless"].get("publishNotReadyAddresses", True)
            ),
            "selector": match,
        },
    }
    svc = values["service"]
    client = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(full, namespace, labels),
        "spec": {
            "type": svc.get("type", "ClusterIP"),
            "sessionAffinity": "None",
            "ports": [
                {
                    "name": "mysql",
                    "port": int(svc["ports"]["mysql"]),
                    "targetPort": "mysql",
                    "appProtocol": "mysql",
                }
            ],
            "selector": match,
        },
    }
    return [headless, client]


def _cnf() -> str:
    return "".join(f"[{section}]\n" + "".join(f"{k}={v}\n" for k, v in items) for section, items in _MY_CNF)


def render(release: str, namespace: str, values: Obj, cv: ChartVersion) -> list[Obj]:
    """The manifest in helm's install order (NetworkPolicy, PDB, SA, Secret, ConfigMap, Service, STS)."""
    full = _fullname(release, values)
    labels = _labels(release, values, cv)
    match = _match(release, values)
    cnf = _cnf()
    objs = _policies(namespace, values, labels, match, full)
    objs += _identity(namespace, values, labels, full)
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(f"{full}-configuration", namespace, labels),
            "data": {"my.cnf": cnf},
        }
    )
    objs += _services(release, namespace, values, cv, full)
    objs.append(_statefulset(release, namespace, values, cv, full, cnf))
    return objs


def _policies(
    namespace: str, values: Obj, labels: dict[str, str], match: dict[str, str], full: str
) -> list[Obj]:
    """networkpolicy.yaml and pdb.yaml."""
    objs: list[Obj] = []
    if values["networkPolicy"].get("enabled"):
        ports = values["containerPorts"]
        objs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": _meta(full, namespace, labels),
                "spec": {
                    "podSelector": {"matchLabels": match},
                    "policyTypes": ["Ingress", "Egress"],
                    "egress": [{}],
                    "ingress": [{"ports": [{"port": ports[n]} for n in ("mysql", "galera", "ist", "sst")]}],
                },
            }
        )
    pdb = values.get("pdb") or {}
    if pdb.get("create"):
        pdb_spec: Obj = {"selector": {"matchLabels": match}}
        if pdb.get("minAvailable") not in ("", None):
            pdb_spec["minAvailable"] = pdb["minAvailable"]
        if pdb.get("maxUnavailable") not in ("", None) or pdb.get("minAvailable") in ("", None):
            pdb_spec["maxUnavailable"] = pdb.get("maxUnavailable") or 1
        objs.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": _meta(full, namespace, labels),
                "spec": pdb_spec,
            }
        )
    return objs


def _identity(namespace: str, values: Obj, labels: dict[str, str], full: str) -> list[Obj]:
    """serviceaccount.yaml and secrets.yaml."""
    objs: list[Obj] = []
    if values["serviceAccount"].get("create"):
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _meta(values["serviceAccount"].get("name") or full, namespace, labels),
                "automountServiceAccountToken": bool(
                    values["serviceAccount"].get("automountServiceAccountToken")
                ),
            }
        )
    if not values.get("existingSecret"):

        def b64(value: str) -> str:
            return base64.b64encode((value or _random_password()).encode()).decode()

        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": _meta(full, namespace, labels),
                "type": "Opaque",
                "data": {
                    "mariadb-root-password": b64(str(values["rootUser"].get("password") or "")),
                    "mariadb-password": b64(str(values["db"].get("password") or "")),
                    "mariadb-galera-mariabackup-password": b64(
                        str(values["galera"]["mariabackup"].get("password") or "")
                    ),
                },
            }
        )
    return objs


def notes(release: str, namespace: str, values: Obj, cv: ChartVersion) -> str:
    """The release notes: chart facts, then how to reach the database (names and commands of this release)."""
    full = _fullname(release, values)
    replicas = int(values.get("replicaCount", 3))
    user = values["db"].get("user") or values["rootUser"]["user"]
    key = "mariadb-password" if values["db"].get("user") else "mariadb-root-password"
    return (
        f"CHART NAME: {CHART}\nCHART VERSION: {cv.version}\nAPP VERSION: {cv.app_version}\n\n"
        f"** Please be patient while the chart is being deployed **\n\n"
        f"Galera cluster of {replicas} node(s) named {full}, reachable inside the cluster at\n\n"
        f"    {full}.{namespace}.svc.{values.get('clusterDomain', 'cluster.local')} (port "
        f"{values['service']['ports']['mysql']})\n\n"
        f"Password of user {user}:\n\n"
        f'    kubectl get secret --namespace {namespace} {full} -o jsonpath="{{.data.{key}}}" | base64 -d\n\n'
        f"A client in the cluster:\n\n"
        f"    kubectl run {full}-client --rm --tty -i --restart='Never' --namespace {namespace} "
        f"--image {_image(values)} --command \\\n"
        f"      -- mysql -h {full} -P {values['service']['ports']['mysql']} -u{user} -p$PASSWORD "
        f"{values['db'].get('name', '')}\n"
    )


_DESCRIPTION = (
    "MariaDB Galera is a multi-primary database cluster solution for synchronous replication and high "
    "availability."
)


def _version(version: str, app: str, tag: str) -> ChartVersion:
    defaults = copy.deepcopy(DEFAULTS)
    defaults["image"]["tag"] = tag
    return ChartVersion(CHART, version, app, _DESCRIPTION, defaults, render, notes)


VERSIONS = [
    _version(v, app, tag)
    for v, app, tag in (
        ("14.2.1", "11.4.5", "11.4.5-debian-12-r6"),
        ("14.2.0", "11.4.5", "11.4.5-debian-12-r3"),
        ("14.1.4", "11.4.5", "11.4.5-debian-12-r3"),
        ("14.1.3", "11.4.5", "11.4.5-debian-12-r0"),
        ("14.1.2", "11.4.4", "11.4.4-debian-12-r5"),
        ("14.1.1", "11.4.4", "11.4.4-debian-12-r4"),
        ("14.1.0", "11.4.4", "11.4.4-debian-12-r3"),
    )
]

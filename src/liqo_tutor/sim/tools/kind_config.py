"""Simulated kind: the v1alpha4 Cluster config, decoded strictly like kind's loader."""

from __future__ import annotations

import ipaddress
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from liqo_tutor.sim.tools.kind_base import (
    DEFAULT_IMAGE,
    DEFAULT_POD_SUBNET,
    DEFAULT_SERVICE_SUBNET,
    KindError,
)

__all__ = ["Config", "k8s_version", "load_config", "node_names"]


_TYPES: dict[str, dict[str, str]] = {
    "Cluster": {
        "kind": "str", "apiVersion": "str", "name": "str", "nodes": "[]Node", "networking": "Networking",
        "featureGates": "map", "runtimeConfig": "map", "kubeadmConfigPatches": "[]str",
        "kubeadmConfigPatchesJSON6902": "list", "containerdConfigPatches": "[]str",
        "containerdConfigPatchesJSON6902": "[]str",
    },
    "Node": {
        "role": "str", "image": "str", "labels": "map", "extraMounts": "[]Mount",
        "extraPortMappings": "[]PortMapping", "kubeadmConfigPatches": "[]str",
        "kubeadmConfigPatchesJSON6902": "list",
    },
    "Networking": {
        "ipFamily": "str", "apiServerPort": "int", "apiServerAddress": "str", "podSubnet": "str",
        "serviceSubnet": "str", "disableDefaultCNI": "bool", "kubeProxyMode": "str", "dnsSearch": "[]str",
    },
    "Mount": {"containerPath": "str", "hostPath": "str", "readOnly": "bool", "selinuxRelabel": "bool",
              "propagation": "str"},
    "PortMapping": {"containerPort": "int", "hostPort": "int", "listenAddress": "str", "protocol": "str"},
}


def _strict_errors(node: yaml.Node, type_name: str, errors: list[str]) -> None:
    """Go's strict YAML decoding: `line N: field X not found in type v1alpha4.T` per unknown field."""
    fields = _TYPES.get(type_name)
    if fields is None:
        return
    if not isinstance(node, yaml.MappingNode):
        if not (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            tag = node.tag.rsplit(":", 1)[-1]
            line = node.start_mark.line + 1
            errors.append(f"line {line}: cannot unmarshal !!{tag} into v1alpha4.{type_name}")
        return
    for key, value in node.value:
        fname = str(key.value)
        ftype = fields.get(fname)
        if ftype is None:
            line = key.start_mark.line + 1
            errors.append(f"line {line}: field {fname} not found in type v1alpha4.{type_name}")
            continue
        if ftype.startswith("[]") and ftype[2:] in _TYPES:
            if isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    _strict_errors(item, ftype[2:], errors)
        elif ftype in _TYPES:
            _strict_errors(value, ftype, errors)


@dataclass
class Config:
    name: str = ""
    pod_subnet: str = DEFAULT_POD_SUBNET
    service_subnet: str = DEFAULT_SERVICE_SUBNET
    api_port: int = 0
    disable_cni: bool = False
    nodes: list[tuple[str, str]] = field(default_factory=list)  # (role, image)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise KindError(f"error reading file: open {path}: no such file or directory") from None
    except IsADirectoryError:
        raise KindError(f"error reading file: read {path}: is a directory") from None


def load_config(path: str | None) -> Config:
    if path is None:
        return Config(nodes=[("control-plane", "")])
    raw = _read(path)
    try:
        node = yaml.compose(raw)
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise KindError(f"unable to decode config: yaml: {where}{getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KindError("unable to decode config: yaml: unmarshal errors:\n  line 1: cannot unmarshal into "
                        "v1alpha4.Cluster")
    kind, api = data.get("kind", ""), data.get("apiVersion", "")
    if api != "kind.x-k8s.io/v1alpha4":
        raise KindError(f"unknown apiVersion: {api}")
    if kind != "Cluster":
        raise KindError(f"unknown kind {kind} for apiVersion: {api}")
    errors: list[str] = []
    if node is not None:
        _strict_errors(node, "Cluster", errors)
    if errors:
        raise KindError("unable to decode config: yaml: unmarshal errors:\n  " + "\n  ".join(errors))
    net = data.get("networking") or {}
    cfg = Config(name=str(data.get("name") or ""))
    cfg.pod_subnet = str(net.get("podSubnet") or DEFAULT_POD_SUBNET)
    cfg.service_subnet = str(net.get("serviceSubnet") or DEFAULT_SERVICE_SUBNET)
    cfg.disable_cni = bool(net.get("disableDefaultCNI", False))
    try:
        cfg.api_port = int(net.get("apiServerPort") or 0)
    except (TypeError, ValueError):
        raise KindError("unable to decode config: yaml: unmarshal errors:\n  cannot unmarshal "
                        "apiServerPort into int32") from None
    problems = []
    for label, value in (("pod subnet", cfg.pod_subnet), ("service subnet", cfg.service_subnet)):
        for part in value.split(","):
            try:
                ipaddress.ip_network(part.strip(), strict=False)
                if "/" not in part:
                    raise ValueError(part)
            except ValueError:
                problems.append(f"invalid {label} invalid CIDR address: {part.strip()}")
    nodes = data.get("nodes") or [{"role": "control-plane"}]
    for n in nodes:
        role = str((n or {}).get("role") or "control-plane")
        if role not in ("control-plane", "worker"):
            problems.append(f"invalid role: {role}")
        cfg.nodes.append((role, str((n or {}).get("image") or "")))
    if not any(r == "control-plane" for r, _ in cfg.nodes):
        problems.append("must have at least one control-plane node")
    if not 0 <= cfg.api_port <= 65535:
        problems.append(f"invalid apiServerPort: {cfg.api_port}")
    if problems:
        raise KindError(problems[0] if len(problems) == 1 else
                        "[" + ", ".join(problems) + "]")
    return cfg


def node_names(name: str, roles: list[str]) -> list[str]:
    names, counts = [], {"control-plane": 0, "worker": 0}
    for role in roles:
        counts[role] += 1
        names.append(f"{name}-{role}" + (str(counts[role]) if counts[role] > 1 else ""))
    return names


def k8s_version(image: str) -> str:
    m = re.search(r":(v\d+\.\d+\.\d+)", image)
    return m.group(1) if m else "v" + DEFAULT_IMAGE.rsplit(":v", 1)[1]


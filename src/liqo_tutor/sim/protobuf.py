"""Kubernetes protobuf: decode the common built-in kinds (kubectl >= 1.33 sends typed creates so)."""

from __future__ import annotations

import base64
from typing import Any

from liqo_tutor.sim.store import ApiError, Obj

__all__ = ["decode_protobuf", "openapi_v2_pb"]

_S, _I, _B, _RS, _MAP = "s", "i", "b", "rs", "map"
_META: dict[int, Any] = {
    1: ("name", _S),
    2: ("generateName", _S),
    3: ("namespace", _S),
    11: ("labels", _MAP),
    12: ("annotations", _MAP),
    14: ("finalizers", _RS),
}
_SELECTOR: dict[int, Any] = {
    1: ("matchLabels", _MAP),
    2: ("matchExpressions", [{1: ("key", _S), 2: ("operator", _S), 3: ("values", _RS)}]),
}
_CONTAINER: dict[int, Any] = {
    1: ("name", _S),
    2: ("image", _S),
    3: ("command", _RS),
    4: ("args", _RS),
    5: ("workingDir", _S),
    6: ("ports", [{1: ("name", _S), 2: ("hostPort", _I), 3: ("containerPort", _I), 4: ("protocol", _S)}]),
    7: ("env", [{1: ("name", _S), 2: ("value", _S)}]),
    14: ("imagePullPolicy", _S),
    16: ("stdin", _B),
    17: ("stdinOnce", _B),
    18: ("tty", _B),
}
_POD_SPEC: dict[int, Any] = {
    2: ("containers", [_CONTAINER]),
    3: ("restartPolicy", _S),
    6: ("dnsPolicy", _S),
    7: ("nodeSelector", _MAP),
    8: ("serviceAccountName", _S),
    10: ("nodeName", _S),
}
_TEMPLATE: dict[int, Any] = {1: ("metadata", _META), 2: ("spec", _POD_SPEC)}
_SERVICE_PORT: dict[int, Any] = {
    1: ("name", _S),
    2: ("protocol", _S),
    3: ("port", _I),
    4: ("targetPort", "intstr"),
    5: ("nodePort", _I),
}
_PROTO_KINDS: dict[str, dict[int, Any]] = {
    "Namespace": {1: ("metadata", _META), 2: ("spec", {1: ("finalizers", _RS)})},
    "ConfigMap": {1: ("metadata", _META), 2: ("data", _MAP), 3: ("binaryData", "bmap"), 4: ("immutable", _B)},
    "Secret": {1: ("metadata", _META), 2: ("data", "bmap"), 3: ("type", _S), 4: ("stringData", _MAP)},
    "ServiceAccount": {1: ("metadata", _META)},
    "Pod": {1: ("metadata", _META), 2: ("spec", _POD_SPEC)},
    "Deployment": {
        1: ("metadata", _META),
        2: ("spec", {1: ("replicas", _I), 2: ("selector", _SELECTOR), 3: ("template", _TEMPLATE)}),
    },
    "Service": {
        1: ("metadata", _META),
        2: (
            "spec",
            {1: ("ports", [_SERVICE_PORT]), 2: ("selector", _MAP), 3: ("clusterIP", _S), 4: ("type", _S)},
        ),
    },
}


def _pb_fields(data: bytes) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    i = 0

    def varint() -> int:
        nonlocal i
        shift = result = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    while i < len(data):
        key = varint()
        num, wire = key >> 3, key & 7
        if wire == 0:
            out.append((num, wire, varint()))
        elif wire == 2:
            n = varint()
            out.append((num, wire, data[i : i + n]))
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


def _pb_decode(data: bytes, schema: dict[int, Any]) -> Obj:
    out: Obj = {}
    for num, _wire, value in _pb_fields(data):
        if num not in schema:
            continue
        name, typ = schema[num]
        if typ == _S:
            if value:
                out[name] = value.decode()
        elif typ == _I:
            if value:
                out[name] = value
        elif typ == _B:
            if value:
                out[name] = True
        elif typ == _RS:
            out.setdefault(name, []).append(value.decode())
        elif typ in (_MAP, "bmap"):
            entry = {n: v for n, _w, v in _pb_fields(value)}
            raw = entry.get(2, b"")
            out.setdefault(name, {})[entry.get(1, b"").decode()] = (
                base64.b64encode(raw).decode() if typ == "bmap" else raw.decode()
            )
        elif typ == "intstr":
            entry = {n: v for n, _w, v in _pb_fields(value)}
            out[name] = entry.get(3, b"").decode() if entry.get(1) == 1 else entry.get(2, 0)
        elif isinstance(typ, list):
            out.setdefault(name, []).append(_pb_decode(value, typ[0]))
        elif isinstance(typ, dict):
            sub = _pb_decode(value, typ)
            if sub:
                out[name] = sub
    return out


def decode_protobuf(raw: bytes) -> Obj:
    """A k8s protobuf envelope (`k8s\\0` + runtime.Unknown) of one of the common built-in kinds, as JSON."""
    if not raw.startswith(b"k8s\x00"):
        raise ApiError(400, "BadRequest", "the object provided is unrecognized")
    envelope = {n: v for n, _w, v in _pb_fields(raw[4:])}
    type_meta = {n: v for n, _w, v in _pb_fields(envelope.get(1, b""))}
    api_version, kind = type_meta.get(1, b"").decode(), type_meta.get(2, b"").decode()
    schema = _PROTO_KINDS.get(kind)
    if schema is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the simulated API server cannot decode {kind} from protobuf; send JSON",
        )
    obj = _pb_decode(envelope.get(2, b""), schema)
    obj["apiVersion"], obj["kind"] = api_version, kind
    return obj


def _pb_field(num: int, payload: bytes) -> bytes:
    return bytes([(num << 3) | 2, len(payload)]) + payload


def openapi_v2_pb(version: str) -> bytes:
    info = _pb_field(1, b"Kubernetes") + _pb_field(2, version.encode())
    return _pb_field(1, b"2.0") + _pb_field(2, info)

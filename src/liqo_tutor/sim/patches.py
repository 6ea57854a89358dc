"""Patches the API server applies: strategic merge, RFC 7386 merge patch, RFC 6902 JSON patch."""

from __future__ import annotations

import copy
from typing import Any

from liqo_tutor.sim.store import ApiError

__all__ = ["apply_json_patch", "merge_patch", "strategic_merge"]

_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "volumeDevices": "devicePath",
    "readinessGates": "conditionType",
}
_PRIMITIVE_MERGE = {"finalizers"}


def _merge_key(field_name: str, items: list[Any]) -> str | None:
    if field_name == "ports":
        if any(isinstance(i, dict) and "containerPort" in i for i in items):
            return "containerPort"
        return "port"
    return _MERGE_KEYS.get(field_name)


def strategic_merge(original: Any, patch: Any) -> Any:
    """A faithful subset of strategic-merge-patch: maps merge, keyed lists merge, $patch directives."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    out = copy.deepcopy(original)
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            if isinstance(out.get(name), list):
                out[name] = [v for v in out[name] if v not in (value or [])]
            continue
        if value is None:
            out.pop(key, None)
            continue
        current = out.get(key)
        if isinstance(value, dict):
            merged = strategic_merge(current if isinstance(current, dict) else {}, value)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list):
            out[key] = _merge_list(key, current if isinstance(current, list) else [], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_list(name: str, current: list[Any], patch: list[Any]) -> list[Any]:
    if name in _PRIMITIVE_MERGE:
        result = list(current)
        for v in patch:
            if v not in result:
                result.append(v)
        return result
    key = _merge_key(name, current + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return [i for i in copy.deepcopy(patch) if not (isinstance(i, dict) and i.get("$patch") == "delete")]
    result = copy.deepcopy(current)
    for item in patch:
        directive = item.get("$patch")
        idx = next(
            (i for i, c in enumerate(result) if isinstance(c, dict) and c.get(key) == item.get(key)), None
        )
        if directive == "delete":
            if idx is not None:
                del result[idx]
            continue
        if directive == "replace":
            result = [i for i in patch if i.get("$patch") != "replace"]
            break
        if idx is None:
            result.append(strategic_merge({}, item))
        else:
            result[idx] = strategic_merge(result[idx], item)
    return result


def merge_patch(original: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _parent(doc: Any, path: str) -> tuple[Any, str]:
    parts = _pointer(path)
    if not parts:
        raise ApiError(422, "Invalid", "the patch path must not be empty")
    target = doc
    for p in parts[:-1]:
        target = target[int(p)] if isinstance(target, list) else target[p]
    return target, parts[-1]


def _get(doc: Any, path: str) -> Any:
    target = doc
    for p in _pointer(path):
        target = target[int(p)] if isinstance(target, list) else target[p]
    return target


def apply_json_patch(doc: Any, ops: list[Any]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, move, copy, test)."""
    doc = copy.deepcopy(doc)

    try:
        for op in ops:
            kind, path = op.get("op"), op.get("path", "")
            if kind in ("add", "replace"):
                tgt, last = _parent(doc, path)
                if isinstance(tgt, list):
                    if last == "-":
                        tgt.append(copy.deepcopy(op.get("value")))
                    elif kind == "add":
                        tgt.insert(int(last), copy.deepcopy(op.get("value")))
                    else:
                        tgt[int(last)] = copy.deepcopy(op.get("value"))
                else:
                    if kind == "replace" and last not in tgt:
                        raise KeyError(last)
                    tgt[last] = copy.deepcopy(op.get("value"))
            elif kind == "remove":
                tgt, last = _parent(doc, path)
                if isinstance(tgt, list):
                    del tgt[int(last)]
                else:
                    del tgt[last]
            elif kind in ("move", "copy"):
                value = copy.deepcopy(_get(doc, op.get("from", "")))
                if kind == "move":
                    src, last = _parent(doc, op.get("from", ""))
                    if isinstance(src, list):
                        del src[int(last)]
                    else:
                        del src[last]
                tgt, last = _parent(doc, path)
                if isinstance(tgt, list):
                    tgt.insert(len(tgt) if last == "-" else int(last), value)
                else:
                    tgt[last] = value
            elif kind == "test":
                if _get(doc, path) != op.get("value"):
                    raise ApiError(
                        422,
                        "Invalid",
                        f"the server rejected our request due to an error in our "
                        f"request: testing value {path} failed",
                    )
            else:
                raise ApiError(400, "BadRequest", f"Unexpected kind: {kind}")
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise ApiError(
            422, "Invalid", f"the server rejected our request due to an error in our request: {exc}"
        ) from None
    return doc

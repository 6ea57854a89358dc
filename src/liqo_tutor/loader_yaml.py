"""YAML text -> (node tree, data), and `FILE:LINE: breadcrumb: problem` errors located in that tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from liqo_tutor.errors import TutorialError
from liqo_tutor.kinds import Loc

__all__ = ["YAML_LOADER", "Errors", "parse_model", "parse_yaml"]

# libyaml's parser when PyYAML was built with it (ten times faster than the pure-Python one).
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Pydantic error types that only say "not this type": in a union, another branch's error says more.
_TYPE_ONLY = frozenset(
    {
        "string_type",
        "int_type",
        "int_parsing",
        "bool_type",
        "bool_parsing",
        "float_type",
        "float_parsing",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "none_required",
    }
)

M = TypeVar("M", bound=BaseModel)


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of a YAML text; an error is worded by the pure-Python parser, as always."""
    try:
        return yaml.compose(text, Loader=YAML_LOADER), yaml.load(text, Loader=YAML_LOADER)  # noqa: S506
    except yaml.YAMLError:
        if YAML_LOADER is yaml.SafeLoader:
            raise
    return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)


class Errors:
    """Turns a (path, problem) into `FILE:LINE: breadcrumb: problem` using the composed node tree."""

    def __init__(self, path: Path, root: yaml.Node | None, data: Any) -> None:
        self.path = path
        self.root = root
        self.data = data

    def line_of(self, loc: Loc) -> int:
        node = self.root
        mark_node = node
        for elem in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(elem):
                        mark_node = (
                            key if elem == loc[-1] and not isinstance(value, yaml.CollectionNode) else value
                        )
                        node = value
                        break
                else:
                    break
            elif (
                isinstance(node, yaml.SequenceNode) and isinstance(elem, int) and 0 <= elem < len(node.value)
            ):
                node = node.value[elem]
                mark_node = node
            else:
                break
        return (mark_node.start_mark.line + 1) if mark_node is not None else 1

    def breadcrumb(self, loc: Loc) -> str:
        out = ""
        cur: Any = self.data
        for elem in loc:
            if isinstance(elem, int):
                label: str | int = elem
                if isinstance(cur, list) and 0 <= elem < len(cur):
                    item = cur[elem]
                    if isinstance(item, dict):
                        for key in ("id", "name"):
                            if isinstance(item.get(key), str) and item[key]:
                                label = item[key]
                                break
                    cur = item
                else:
                    cur = None
                out += f"[{label}]"
            else:
                out += f".{elem}" if out else str(elem)
                cur = cur.get(elem) if isinstance(cur, dict) else None
        return out

    def error(self, loc: Loc, problem: str) -> TutorialError:
        where = self.breadcrumb(loc)
        prefix = f"{self.path}:{self.line_of(loc)}: "
        return TutorialError(
            prefix + (f"{where}: " if where else "") + problem, hint=f"fix the tutorial file {self.path}"
        )

    def _real_loc(self, base: Loc, loc: tuple[Any, ...], missing: bool) -> Loc:
        """Pydantic's location without union tags (`str`, `ColumnMatcher`): only keys the YAML has."""
        cur: Any = self.data
        for elem in base:
            cur = _child(cur, elem)
        out: list[str | int] = []
        for i, elem in enumerate(loc):
            if isinstance(cur, (dict, list)) and _has(cur, elem):
                out.append(elem)
                cur = _child(cur, elem)
            elif missing and i == len(loc) - 1:
                out.append(elem)
        return base + tuple(out)

    def from_pydantic(self, exc: ValidationError, base: Loc) -> TutorialError:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] not in _TYPE_ONLY), errors[0])
        kind = first["type"]
        loc = self._real_loc(base, tuple(first["loc"]), kind == "missing")
        if kind == "missing":
            return self.error(loc[:-1], f"missing required field `{loc[-1]}`")
        if kind == "extra_forbidden":
            return self.error(loc, "unknown field")
        msg = str(first["msg"])
        msg = msg.removeprefix("Value error, ")
        return self.error(loc, msg[0].lower() + msg[1:] if msg else "invalid value")


def _child(cur: Any, elem: Any) -> Any:
    if isinstance(cur, dict):
        return cur.get(elem)
    if isinstance(cur, list) and isinstance(elem, int) and 0 <= elem < len(cur):
        return cur[elem]
    return None


def _has(container: dict[Any, Any] | list[Any], elem: Any) -> bool:
    if isinstance(container, dict):
        return elem in container
    return isinstance(elem, int) and 0 <= elem < len(container)


def parse_model(cls: type[M], data: Any, errs: Errors, loc: Loc) -> M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise errs.from_pydantic(exc, loc) from None

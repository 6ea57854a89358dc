"""Server-side tables (`Accept: ...;as=Table`) as kubectl get prints them."""

from __future__ import annotations

import json
from typing import Any

from liqo_tutor.sim import jsonpath
from liqo_tutor.sim.kinds import since
from liqo_tutor.sim.store import Obj, ResourceKind

__all__ = ["make_table", "table_row_cells"]


def _cell_from_path(obj: Obj, column_type: str, path: str) -> Any:
    try:
        found = jsonpath.evaluate(obj, path)
    except jsonpath.JsonPathError:
        return None
    if not found:
        return None
    value = found[0]
    if column_type == "date":
        return since(value) if isinstance(value, str) else None
    if column_type == "string" and not isinstance(value, str):
        return (
            json.dumps(value, separators=(",", ":"))
            if isinstance(value, (dict, list))
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    return value


def table_row_cells(kind: ResourceKind, obj: Obj) -> list[Any]:
    if kind.row is not None:
        return kind.row(obj)
    cells: list[Any] = [obj.get("metadata", {}).get("name", "")]
    for col in kind.columns:
        cells.append(_cell_from_path(obj, col.type, col.json_path or ""))
    return cells


def _column_definitions(kind: ResourceKind) -> list[Obj]:
    cols = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": "Name must be unique within a namespace.",
            "priority": 0,
        }
    ]
    if any(c.name == "Name" for c in kind.columns):  # events: Name is a wide column, not the first
        cols = []
    for col in kind.columns:
        cols.append(
            {
                "name": col.name,
                "type": "string" if kind.row is not None and col.type == "date" else col.type,
                "format": col.format,
                "description": col.description or col.name,
                "priority": col.priority,
            }
        )
    return cols


def _partial(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def make_table(kind: ResourceKind, objs: list[Obj], rv: str, include: str, headers: bool = True) -> Obj:
    rows = []
    for obj in objs:
        row: Obj = {"cells": table_row_cells(kind, obj)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = _partial(obj)
        rows.append(row)
    table: Obj = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": _column_definitions(kind) if headers else None,
        "rows": rows,
    }
    return table

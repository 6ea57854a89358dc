"""Which rows of a kubectl table a `table:` check is about (`row:` or `rows:`), and how to say it."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field, model_validator

from liqo_tutor.claims.matchers import ColumnMatcher, column_ok
from liqo_tutor.kinds import YamlModel

__all__ = ["RowSelect", "parse_table", "select_rows"]

Expand = Callable[[str], str]
Row = dict[str, str]
_CHOICES = ("name", "names", "prefix", "prefixes", "selector", "all_")


class RowSelect(YamlModel):
    """Exactly one of name | names | prefix | prefixes | selector | all: true; `where` filters them."""

    name: str | None = None
    names: list[str] | None = Field(default=None, min_length=1)
    prefix: str | None = None
    prefixes: list[str] | None = Field(default=None, min_length=1)
    selector: str | None = None
    all_: bool | None = Field(default=None, alias="all")
    where: dict[str, str | ColumnMatcher] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one(self) -> RowSelect:
        given = [k for k in _CHOICES if getattr(self, k) not in (None, False)]
        if len(given) != 1:
            raise ValueError("give exactly one of name, names, prefix, prefixes, selector, all")
        return self

    def describe(self, expand: Expand) -> str:
        if self.name is not None:
            return f"a row {expand(self.name)}"
        if self.names is not None:
            return "rows " + ", ".join(expand(n) for n in self.names)
        if self.prefix is not None:
            return f"rows named {expand(self.prefix)}*"
        if self.prefixes is not None:
            return "one row each named " + ", ".join(f"{expand(p)}*" for p in self.prefixes)
        if self.selector is not None:
            return f"rows with labels {expand(self.selector)}"
        return "the rows"


def parse_table(text: str) -> list[Row]:
    """kubectl's table output -> one dict per row keyed by header.

    Headers may contain single spaces (`OUTGOING PEERING`); columns are separated by at least two
    spaces (kubectl pads with three), so a cell is the text between two header start offsets.
    """
    import re

    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [(m.start(), m.group(0)) for m in re.finditer(r"\S+(?: \S+)*", header)]
    rows: list[Row] = []
    for line in lines[1:]:
        row: Row = {}
        for i, (start, name) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(line)
            value = line[start:end] if i + 1 < len(starts) else line[start:]
            row[name] = value.strip()
        rows.append(row)
    return rows


def select_rows(rows: list[Row], sel: RowSelect, expand: Expand) -> tuple[list[Row], str | None]:
    """(chosen rows, None) or ([], what is wrong) — `where` applied last."""
    names = [r.get("NAME", "") for r in rows]
    chosen: list[Row]
    if sel.name is not None or sel.names is not None:
        wanted = [expand(n) for n in ([sel.name] if sel.name is not None else sel.names or [])]
        missing = [n for n in wanted if n not in names]
        if missing:
            return [], f"rows {names}"
        chosen = [r for r in rows if r.get("NAME") in wanted]
    elif sel.prefix is not None:
        chosen = [r for r in rows if r.get("NAME", "").startswith(expand(sel.prefix))]
    elif sel.prefixes is not None:
        chosen = []
        for p in (expand(x) for x in sel.prefixes):
            hits = [r for r in rows if r.get("NAME", "").startswith(p)]
            if len(hits) != 1:
                return [], f"{len(hits)} rows named {p}* (rows {names})"
            chosen += hits
    else:
        chosen = list(rows)  # selector (applied by kubectl) or all
    for column, want in sel.where.items():
        chosen = [r for r in chosen if column_ok(r.get(column), want, expand)]
    return chosen, None

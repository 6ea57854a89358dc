"""`table:` rows of a kubectl table and their columns (polled until it holds).

```yaml
- claim: the two replicas run one per edge
  table: kubectl get pods -n {namespace} -o wide
  cluster: europe-cloud
  rows: {prefix: "{app}-"}          # or row: NAME; rows: name|names|prefix|prefixes|selector|all
  count: 2                          # or min_count
  columns: {STATUS: Running, NODE: {in: [rome-edge, milan-edge]}}   # every chosen row
  distinct: [NODE]                  # pairwise different
  save: {CLUSTER-IP: cluster_ip}    # only from one row (row: / rows: {name: ...})
  show: "kubectl get pods, in {cluster}"
  hold: 20s
```
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor.claims.base import Claim, Outcome
from liqo_tutor.claims.matchers import ColumnMatcher, column_problem, describe_column
from liqo_tutor.claims.polling import PolledModel, first_line, polled, validate_polled
from liqo_tutor.claims.registry import register
from liqo_tutor.claims.table_rows import RowSelect, parse_table, select_rows
from liqo_tutor.kinds import Refs, Scope

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.results import CommandResult
    from liqo_tutor.tutorial import Check

__all__ = ["TableClaim", "TableModel", "cell", "parse_table"]

Expand = Callable[[str], str]


class TableModel(PolledModel):
    table: str
    row: str | None = None
    rows: RowSelect | None = None
    count: int | None = Field(default=None, ge=0)
    min_count: int | None = Field(default=None, ge=0)
    columns: dict[str, str | ColumnMatcher] = Field(default_factory=dict)
    distinct: list[str] = Field(default_factory=list)  # columns whose values differ row to row
    save: dict[str, str] = Field(default_factory=dict)
    show: str | None = None

    def selection(self) -> RowSelect:
        return self.rows if self.rows is not None else RowSelect(name=self.row)


def cell(rows: list[dict[str, str]], name: str, column: str) -> str | None:
    for row in rows:
        if row.get("NAME") == name:
            return row.get(column)
    return None


class TableClaim(Claim[TableModel]):
    name = "table"
    model = TableModel
    queries_cluster = True

    def validate(self, spec: TableModel, refs: Refs, scope: Scope) -> None:
        if (spec.row is None) == (spec.rows is None):
            raise refs.error(
                scope.loc, "use either row: or rows:" if spec.row else "missing required field `row`"
            )
        if spec.count is not None and spec.min_count is not None:
            raise refs.error(scope.loc + ("count",), "count and min_count together")
        validate_polled(spec, refs, scope, "table", spec.table)
        for name in spec.save.values():
            refs.save(name, scope.loc + ("save",))
        sel = spec.selection()
        if spec.save and sel.name is None:
            raise refs.error(
                scope.loc + ("save",), "a table check can only save from a single row (rows: {name: ...})"
            )
        texts: list[tuple[Scope, str]] = [(scope.at("row"), spec.row or "")]
        texts += [(scope.at("rows", k), v) for k in ("name", "prefix", "selector") if (v := getattr(sel, k))]
        texts += [
            (scope.at("rows", k, j), v)
            for k in ("names", "prefixes")
            for j, v in enumerate(getattr(sel, k) or [])
        ]
        for where, matchers in (("columns", spec.columns), ("where", sel.where)):
            for col, want in matchers.items():
                here = scope.at(where, col) if where == "columns" else scope.at("rows", "where", col)
                for value in [want] if isinstance(want, str) else _matcher_texts(want):
                    texts.append((here, value))
                if isinstance(want, ColumnMatcher) and want.regex is not None:
                    refs.regex(want.regex, here.loc)
        if spec.show is not None:
            texts.append((scope.at("show"), spec.show))
        for where_scope, text in texts:
            refs.variables(text, where_scope)

    def saves(self, spec: TableModel) -> list[str]:
        return list(spec.save.values())

    def evaluate(self, ctx: Context, check: Check, cluster: str | None, quick: bool) -> Outcome:
        spec = self.spec(check)
        command = spec.table
        sel = spec.selection()
        if sel.selector is not None:
            command += " --selector " + shlex.quote(sel.selector)

        def judge(result: CommandResult, quick_try: bool) -> Outcome:
            outcome = _judge(ctx, spec, cluster, result)
            if outcome.ok and spec.show and not quick_try:
                ctx.show(ctx.text(spec.show, cluster), result.stdout)
            return outcome

        return polled(ctx, check, spec, command, cluster, quick, judge)


def _matcher_texts(want: ColumnMatcher) -> list[str]:
    out: list[str] = []
    for value in (want.contains, want.regex, want.in_, want.not_):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out += value
    return out


def _expected(spec: TableModel, expand: Expand) -> str:
    sel = spec.selection()
    text = sel.describe(expand)
    if spec.count is not None:
        text += f", {spec.count} of them"
    if spec.min_count is not None:
        text += f", at least {spec.min_count}"
    text += "".join(f", {describe_column(c, v, expand)}" for c, v in spec.columns.items())
    if spec.distinct:
        text += f", different {', '.join(spec.distinct)}"
    return text


def _judge(ctx: Context, spec: TableModel, cluster: str | None, result: CommandResult) -> Outcome:
    def expand(text: str) -> str:
        return ctx.text(text, cluster)

    expected = _expected(spec, expand)
    if result.exit_code != 0:
        return Outcome(False, expected, f"exit code {result.exit_code}: {first_line(result)}")
    rows = parse_table(result.stdout)
    chosen, wrong = select_rows(rows, spec.selection(), expand)
    if wrong is not None:
        return Outcome(False, expected, wrong if rows else (first_line(result) or "no rows"))
    counted = _count_problem(spec, chosen)
    if counted:
        return Outcome(False, expected, counted)
    for row in chosen:
        problems = (column_problem(c, row.get(c), v, expand) for c, v in spec.columns.items())
        bad = [p for p in problems if p is not None]
        if bad:
            return Outcome(False, expected, f"row {row.get('NAME', '?')}: " + ", ".join(bad))
    for column in spec.distinct:
        values = [row.get(column, "<no such column>") for row in chosen]
        if len(set(values)) != len(values):
            return Outcome(False, expected, f"{column} " + ", ".join(values))
    if len(chosen) == 1:
        for column, name in spec.save.items():
            if column in chosen[0]:
                ctx.save(name, cluster, chosen[0][column])
    if len(chosen) == 1 and spec.rows is None:
        return Outcome(True, expected, "row " + "   ".join(chosen[0].values()))
    return Outcome(True, expected, f"{len(chosen)} rows: " + ", ".join(r.get("NAME", "?") for r in chosen))


def _count_problem(spec: TableModel, chosen: list[dict[str, str]]) -> str | None:
    names = [r.get("NAME", "?") for r in chosen]
    if spec.count is not None and len(chosen) != spec.count:
        return f"{len(chosen)} rows {names}"
    if spec.min_count is not None and len(chosen) < spec.min_count:
        return f"{len(chosen)} rows {names}"
    if spec.count is None and spec.min_count is None and not chosen:
        return "no rows"
    return None


register(TableClaim())

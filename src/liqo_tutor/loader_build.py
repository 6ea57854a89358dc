"""Validated YAML models -> the Tutorial: clusters, lines, steps; each action and check by its kind."""

from __future__ import annotations

import functools
import hashlib
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from liqo_tutor import claims, verbs
from liqo_tutor.kinds import Loc, Scope
from liqo_tutor.lines import parse_range
from liqo_tutor.loader_models import DetectModel, LineModel, StepModel, TopModel
from liqo_tutor.loader_refs import References
from liqo_tutor.loader_yaml import Errors, parse_model
from liqo_tutor.tutorial import (
    Action,
    Check,
    ClusterSpec,
    Line,
    LineDetect,
    Override,
    Provider,
    Requirement,
    Step,
    Tutorial,
)

__all__ = ["build"]

_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_SHELL_SYNTAX = frozenset(";&|$`<>\\\n")


@functools.lru_cache(maxsize=256)
def _keys(models: tuple[type[Any], ...]) -> frozenset[str]:
    """Every YAML key of these models (aliases included)."""
    out: set[str] = set()
    for model in models:
        for name, field in model.model_fields.items():
            out.add(field.alias or name)
    return frozenset(out)


def _kind(
    errs: Errors, raw: Any, loc: Loc, kinds: Sequence[str], models: Sequence[type[Any]], what: str
) -> str:
    if not isinstance(raw, dict):
        raise errs.error(loc, f"an {what} must be a mapping")
    present = [k for k in raw if k in kinds]
    if len(present) > 1:
        # `distinct:` is a check kind and a key of `table:`: the kind whose model has the other keys wins.
        by_kind = dict(zip(kinds, models, strict=True))
        owners = [k for k in present if all(o in _keys((by_kind[k],)) for o in present if o != k)]
        present = owners if len(owners) == 1 else present
    if len(present) == 1:
        return str(present[0])
    if len(present) > 1:
        raise errs.error(loc, f"several {what} kinds in one item: {', '.join(present)}")
    unknown = [k for k in raw if k not in _keys(tuple(models))]
    if unknown:
        raise errs.error(
            loc + (unknown[0],), f"unknown {what} kind `{unknown[0]}` (known: {', '.join(kinds)})"
        )
    raise errs.error(loc, f"no {what} kind given (one of: {', '.join(kinds)})")


def build(path: Path, raw: bytes, top: TopModel, errs: Errors, manifests: Path) -> Tutorial:
    """The Tutorial of a file whose top level `top` has been validated."""
    _check_clusters(top, errs)
    detect, lines = _lines(top, errs)
    refs = References(errs, top, lines, manifests)
    steps = tuple(_step(refs, raw_step, ("steps", i)) for i, raw_step in enumerate(top.steps))
    for i, c in enumerate(top.clusters):
        refs.variables(c.kubeconfig, Scope(("clusters", i, "kubeconfig"), None, None))
        if c.kind_config is not None:
            refs.manifest_path(c.kind_config, ("clusters", i, "kind_config"))
    for key in ("list", "delete"):
        refs.variables(getattr(top.provider, key), Scope(("provider", key), "*", None))
    for i, r in enumerate(top.requires):
        if r.probe:
            refs.split(r.probe, ("requires", i, "probe"))
    _check_var_values(top, lines, errs)
    for i, d in enumerate(top.diagnostics):
        refs.variables(d, Scope(("diagnostics", i), "*", None))
        refs.split(d, ("diagnostics", i))
    return Tutorial(
        name=top.name,
        title=top.title,
        path=str(path),
        digest=hashlib.sha256(raw).hexdigest(),
        manifests=str(manifests),
        clusters=tuple(
            ClusterSpec(
                name=c.name,
                kubeconfig=c.kubeconfig,
                env=c.env,
                kind_config=c.kind_config,
                labels=dict(c.labels),
                vars=dict(c.vars),
            )
            for c in top.clusters
        ),
        provider=Provider(list=top.provider.list, delete=top.provider.delete),
        requires=tuple(
            Requirement(program=r.program, hint=r.hint, probe=r.probe, for_create=r.for_create)
            for r in top.requires
        ),
        detect=detect,
        lines=lines,
        vars=dict(top.vars),
        steps=steps,
        diagnostics=tuple(top.diagnostics),
        saves=dict(refs.saves),
    )


def _check_clusters(top: TopModel, errs: Errors) -> None:
    seen_names: set[str] = set()
    seen_env: set[str] = set()
    for i, c in enumerate(top.clusters):
        if not _ID_RE.match(c.name):
            raise errs.error(("clusters", i, "name"), f"cluster name {c.name!r} must be a DNS label")
        if c.name in seen_names:
            raise errs.error(("clusters", i, "name"), f"duplicate cluster name {c.name!r}")
        if c.env in seen_env:
            raise errs.error(("clusters", i, "env"), f"two clusters export the same variable {c.env!r}")
        seen_names.add(c.name)
        seen_env.add(c.env)


def _check_detect(detect: DetectModel, refs_errs: Errors) -> None:
    probes: list[tuple[Loc, str, str]] = [(("lines", "detect"), detect.command, detect.pattern)]
    if detect.server is not None:
        probes.append((("lines", "detect", "server"), detect.server.command, detect.server.pattern))
    for base, command, pattern in probes:
        try:
            rx = re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise refs_errs.error(base + ("pattern",), f"invalid regular expression: {exc}") from None
        if "version" not in rx.groupindex:
            raise refs_errs.error(base + ("pattern",), "the pattern needs a named group (?P<version>...)")
        try:
            words = shlex.split(command)
        except ValueError as exc:
            raise refs_errs.error(base + ("command",), f"cannot split the command: {exc}") from None
        if not words:
            raise refs_errs.error(base + ("command",), "empty command")


def _line(name: str, body: Any, errs: Errors) -> Line:
    loc: Loc = ("lines", name)
    if not re.match(r"^[a-z0-9][a-z0-9.-]*$", name):
        raise errs.error(loc, f"invalid line name {name!r}")
    rl = parse_model(LineModel, body, errs, loc)
    ranges: list[tuple[Loc, str]] = [(loc + ("range",), rl.range)]
    ranges += [(loc + ("overrides", j, "range"), o.range) for j, o in enumerate(rl.overrides)]
    for where, rng in ranges:
        try:
            parse_range(rng)
        except ValueError as exc:
            raise errs.error(where, str(exc)) from None
    return Line(
        name=name,
        range=rl.range,
        fallback_version=rl.fallback_version,
        vars=dict(rl.vars),
        overrides=tuple(Override(range=o.range, vars=dict(o.vars)) for o in rl.overrides),
    )


def _lines(top: TopModel, errs: Errors) -> tuple[LineDetect, dict[str, Line]]:
    raw = top.lines
    if "detect" not in raw:
        raise errs.error(("lines",), "missing required field `detect`")
    detect = parse_model(DetectModel, raw["detect"], errs, ("lines", "detect"))
    _check_detect(detect, errs)
    lines = {name: _line(name, body, errs) for name, body in raw.items() if name != "detect"}
    if not lines:
        raise errs.error(("lines",), "at least one line (e.g. v1) must be defined")
    if detect.default not in lines:
        raise errs.error(
            ("lines", "detect", "default"), f"unknown line {detect.default!r} (defined: {', '.join(lines)})"
        )
    return LineDetect(
        command=detect.command,
        pattern=detect.pattern,
        default=detect.default,
        server_command=detect.server.command if detect.server else None,
        server_pattern=detect.server.pattern if detect.server else None,
    ), lines


def _step(refs: References, raw_step: Any, loc: Loc) -> Step:
    errs = refs.errs
    if not isinstance(raw_step, dict):
        raise errs.error(loc, "a step must be a mapping with id, title, explain, actions and checks")
    rs = parse_model(StepModel, raw_step, errs, loc)
    if not _ID_RE.match(rs.id):
        raise errs.error(loc + ("id",), f"step id {rs.id!r} must be kebab-case (e.g. delete-clusters)")
    if rs.id in refs.step_ids:
        raise errs.error(loc + ("id",), f"duplicate step id {rs.id!r}")
    refs.step_ids.add(rs.id)
    refs.step_id = rs.id
    actions = tuple(_action(refs, a, loc + ("actions", j)) for j, a in enumerate(rs.actions))
    if rs.concurrent:
        _check_concurrent_order(refs, actions, loc)
    checks = tuple(_check(refs, c, loc + ("checks", j), None, None) for j, c in enumerate(rs.checks))
    if rs.hint:
        refs.variables(rs.hint, Scope(loc + ("hint",), None, None))
    return Step(
        id=rs.id,
        title=rs.title,
        explain=" ".join(rs.explain.split()),
        actions=actions,
        checks=checks,
        teardown=rs.teardown,
        concurrent=rs.concurrent,
        verify=rs.verify,
        hint=rs.hint,
    )


def _check_concurrent_order(refs: References, actions: tuple[Action, ...], loc: Loc) -> None:
    """A concurrent step runs its one-off actions first, then one chain of `each:` actions per cluster:
    a one-off action written after an `each:` one would not run where the file puts it."""
    seen_each = False
    for j, a in enumerate(actions):
        if a.each:
            seen_each = True
        elif seen_each:
            raise refs.errs.error(
                loc + ("actions", j),
                "in a concurrent step, actions without `each: true` run before the per-cluster ones; "
                "move it before them or drop `concurrent: true`",
            )


def _common(refs: References, spec: Any, loc: Loc) -> None:
    refs.check_lines(spec.lines, loc + ("lines",))
    refs.cluster(spec.cluster, loc + ("cluster",))
    if spec.cluster and spec.each:
        raise refs.errs.error(loc + ("each",), "use either `cluster:` or `each: true`, not both")


def _action(refs: References, raw: Any, loc: Loc) -> Action:
    names = verbs.names()
    models = [verbs.get(n).model for n in names]
    verb = verbs.get(_kind(refs.errs, raw, loc, names, models, "action"))
    spec = parse_model(verb.model, raw, refs.errs, loc)
    _common(refs, spec, loc)
    scope = Scope(loc, "*" if spec.each else spec.cluster, spec.lines or None)
    verb.validate(spec, refs, scope)
    if spec.hint:
        refs.variables(spec.hint, scope.at("hint"))
    nested = {
        key: tuple(_check(refs, g, loc + (key, j), scope.cluster, scope.lines) for j, g in enumerate(items))
        for key, items in (("guards", spec.guards), ("unless", spec.unless), ("before", spec.before))
    }
    return Action(
        kind=verb.name,
        where=refs.errs.breadcrumb(loc),
        cluster=spec.cluster,
        each=spec.each,
        lines=tuple(spec.lines),
        timeout=float(spec.timeout) if spec.timeout is not None else verb.default_timeout(spec),
        ok_codes=tuple(spec.ok_codes),
        retries=spec.retries,
        retry_delay=spec.retry_delay,
        guards=nested["guards"],
        unless=nested["unless"],
        before=nested["before"],
        hint=spec.hint,
        records=spec.records,
        undoes=spec.undoes,
        option=spec.option,
        spec=spec,
    )


def _check(
    refs: References, raw: Any, loc: Loc, default_cluster: str | None, parent_lines: Sequence[str] | None
) -> Check:
    names = claims.names()
    models = [claims.get(n).model for n in names]
    claim = claims.get(_kind(refs.errs, raw, loc, names, models, "check"))
    spec = parse_model(claim.model, raw, refs.errs, loc)
    _common(refs, spec, loc)
    cluster_ctx = "*" if spec.each else (spec.cluster or default_cluster)
    line_names = spec.lines or parent_lines
    refs.used = set()
    try:
        refs.variables(spec.claim, Scope(loc + ("claim",), cluster_ctx, line_names), frozenset({"timeout"}))
        claim.validate(spec, refs, Scope(loc, cluster_ctx, line_names))
        uses = frozenset(refs.used)
        if spec.hint:
            refs.variables(spec.hint, Scope(loc + ("hint",), cluster_ctx, line_names))
    finally:
        refs.used = None
    return Check(
        kind=claim.name,
        claim=spec.claim,
        where=refs.errs.breadcrumb(loc),
        cluster=spec.cluster,
        each=spec.each,
        lines=tuple(spec.lines),
        timeout=spec.timeout,
        interval=spec.interval,
        hint=spec.hint,
        spec=spec,
        uses=uses,
        saves=frozenset(claim.saves(spec)),
    )


def _check_var_values(top: TopModel, lines: dict[str, Line], errs: Errors) -> None:
    """Values are single argv words, never shell text: shell syntax in one is a mistake to report."""
    found: list[tuple[Loc, str]] = [(("vars", k), v) for k, v in top.vars.items()]
    for i, c in enumerate(top.clusters):
        found += [(("clusters", i, "vars", k), v) for k, v in c.vars.items()]
    for name, line in lines.items():
        found += [(("lines", name, "vars", k), v) for k, v in line.vars.items()]
        for j, o in enumerate(line.overrides):
            found += [(("lines", name, "overrides", j, "vars", k), v) for k, v in o.vars.items()]
    for loc, value in found:
        bad = sorted({ch for ch in value if ch in _SHELL_SYNTAX})
        if bad:
            shown = "".join(bad).replace("\n", "\\n")
            raise errs.error(
                loc,
                f"value {value!r} contains shell syntax {shown!r}: commands never go through a shell, "
                "so it would reach the tool literally (use a plain word; {other_var} references work)",
            )

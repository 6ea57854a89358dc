"""Tutorial name -> steps/<name>.yaml -> validated Tutorial; every error reads `FILE:LINE: field: problem`."""

from __future__ import annotations

import hashlib
import importlib.resources
import ipaddress
import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from liqo_tutor.errors import InputError, TutorialError
from liqo_tutor.lines import parse_range
from liqo_tutor.timeouts import RUN_POD_TIMEOUT, default_timeout
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
    variables_in,
)

__all__ = [
    "ACTION_KINDS",
    "CHECK_KINDS",
    "GLOBAL_BUILTINS",
    "CLUSTER_BUILTINS",
    "find",
    "list_tutorials",
    "load",
    "manifests_dir",
    "parse_duration",
    "parse_pattern",
    "steps_dir",
    "validate",
]

ACTION_KINDS = ("run", "create-cluster", "delete-cluster", "generated-command", "run-pod")
CHECK_KINDS = ("command", "table", "json-list", "json-subset", "distinct", "cidr")
_SHELL_SYNTAX = frozenset(";&|$`<>\\\n")
GLOBAL_BUILTINS = frozenset({"manifests", "workdir", "line", "liqo_version"})
CLUSTER_BUILTINS = frozenset({"cluster", "kubeconfig", "kubeconfig_env", "kind_config", "cluster_labels"})
PATTERN_TYPES = ("dns-label", "https-url", "uuid", "hex128", "word")
_PLACEHOLDER_RE = re.compile(r"^\{([a-z][a-z0-9_]*):([a-z0-9-]+)(?::(secret))?\}$")
_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_DURATION_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$")


# ---------------------------------------------------------------------------------------------
# Where tutorials live


# libyaml's parser when PyYAML was built with it (ten times faster than the pure-Python one).
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of a YAML text; an error is worded by the pure-Python parser, as always."""
    try:
        return yaml.compose(text, Loader=_YAML_LOADER), yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506
    except yaml.YAMLError:
        if _YAML_LOADER is yaml.SafeLoader:
            raise
    return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)


def _package_dir(sub: str) -> Path:
    return Path(str(importlib.resources.files("liqo_tutor") / "data" / sub))


def steps_dir(override: Path | None = None) -> Path:
    return override if override is not None else _package_dir("steps")


def manifests_dir(tutorial_file: Path) -> Path:
    """`manifests/` next to the steps directory if there is one, else the packaged manifests."""
    sibling = tutorial_file.resolve().parent.parent / "manifests"
    return sibling if sibling.is_dir() else _package_dir("manifests")


def find(name: str, steps_dir_override: Path | None = None) -> Path:
    """The file of tutorial `name`; a path to a .yaml file is accepted as is."""
    as_path = Path(name)
    if name.endswith((".yaml", ".yml")) and as_path.is_file():
        return as_path
    where = steps_dir(steps_dir_override)
    candidate = where / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    known = ", ".join(n for n, _ in list_tutorials(steps_dir_override)) or "none"
    raise InputError(
        f"unknown tutorial {name!r} (looked in {where}; known: {known})",
        hint="`liqo-tutor list` shows the available tutorials",
    )


def list_tutorials(steps_dir_override: Path | None = None) -> list[tuple[str, str]]:
    """(name, title) of every tutorial file in the steps directory; unreadable files are listed untitled."""
    where = steps_dir(steps_dir_override)
    found: list[tuple[str, str]] = []
    if not where.is_dir():
        return found
    for path in sorted(where.glob("*.yaml")):
        title = ""
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
            if isinstance(data, dict) and isinstance(data.get("title"), str):
                title = data["title"]
        except (OSError, yaml.YAMLError):
            title = "(unreadable)"
        found.append((path.stem, title))
    return found


def load(name: str, steps_dir_override: Path | None = None) -> Tutorial:
    """The validated tutorial `name`; a validation done before for the same file and code is reused."""
    from liqo_tutor import tutcache

    path = find(name, steps_dir_override)
    try:
        cache_key = tutcache.key(path, path.read_bytes(), manifests_dir(path))
    except OSError:
        return validate(path)
    cached = tutcache.get(cache_key)
    if cached is not None:
        return cached
    tutorial = validate(path)
    tutcache.put(cache_key, tutorial)
    return tutorial


# ---------------------------------------------------------------------------------------------
# Small parsers shared with the engine


def parse_duration(value: Any) -> float:
    """`30s`, `5m`, `1m30s`, `2h` or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 5m)")
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError(f"duration must be positive, got {value}")
        return float(value)
    if isinstance(value, str):
        m = _DURATION_RE.match(value.strip())
        if m and any(m.groups()):
            h, mins, s = (float(g) if g else 0.0 for g in m.groups())
            total = h * 3600 + mins * 60 + s
            if total > 0:
                return total
    raise ValueError(f"invalid duration {value!r} (use e.g. 30s, 5m)")


def parse_pattern(pattern: str) -> list[tuple[str, str | None, bool]]:
    """A generated-command pattern -> [(literal, None, False) | (name, type, secret)]."""
    out: list[tuple[str, str | None, bool]] = []
    try:
        words = shlex.split(pattern)
    except ValueError as exc:
        raise ValueError(f"cannot split the pattern: {exc}") from None
    if not words:
        raise ValueError("empty pattern")
    for word in words:
        if word.startswith("{"):
            m = _PLACEHOLDER_RE.match(word)
            if not m:
                raise ValueError(f"bad placeholder {word!r} (use {{name:type}} or {{name:type:secret}})")
            if m.group(2) not in PATTERN_TYPES:
                raise ValueError(
                    f"unknown placeholder type {m.group(2)!r} (known: {', '.join(PATTERN_TYPES)})"
                )
            out.append((m.group(1), m.group(2), bool(m.group(3))))
        else:
            out.append((word, None, False))
    if out[0][1] is not None:
        raise ValueError("the pattern must start with the program name")
    return out


# ---------------------------------------------------------------------------------------------
# Raw YAML shapes (pydantic, extra=forbid)


def _duration(v: Any) -> float:
    return parse_duration(v)


class _Raw(BaseModel):
    # defer_build: a model's validator is built when first used, not when this module is imported.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class _RawCluster(_Raw):
    name: str
    kubeconfig: str
    env: str
    kind_config: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    vars: dict[str, str] = Field(default_factory=dict)


class _RawProvider(_Raw):
    list: str
    delete: str


class _RawRequirement(_Raw):
    program: str
    hint: str
    probe: str | None = None
    for_create: bool = False


class _RawServerDetect(_Raw):
    command: str
    pattern: str


class _RawDetect(_Raw):
    command: str
    pattern: str
    default: str
    server: _RawServerDetect | None = None


class _RawOverride(_Raw):
    range: str
    vars: dict[str, str]


class _RawLine(_Raw):
    range: str
    fallback_version: str
    vars: dict[str, str] = Field(default_factory=dict)
    overrides: list[_RawOverride] = Field(default_factory=list)


class _RawTop(_Raw):
    name: str
    title: str
    version: int = 1
    clusters: list[_RawCluster] = Field(min_length=1)
    provider: _RawProvider
    requires: list[_RawRequirement] = Field(default_factory=list)
    lines: dict[str, dict[str, Any]]
    vars: dict[str, str] = Field(default_factory=dict)
    steps: list[dict[str, Any]] = Field(min_length=1)
    diagnostics: list[str] = Field(default_factory=list)


class _RawStep(_Raw):
    id: str
    title: str
    explain: str
    actions: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[dict[str, Any]] = Field(default_factory=list)
    teardown: bool = False
    concurrent: bool = False
    # `by-running`: the step changes nothing in the clusters (probes), so running it again is how a
    # re-run verifies it live; `checks` (default): its checks alone say whether it still holds.
    verify: Literal["checks", "by-running"] = "checks"
    hint: str | None = None


class _CheckCommon(_Raw):
    claim: str
    cluster: str | None = None
    each: bool = False
    lines: list[str] = Field(default_factory=list)
    timeout: float = 60.0
    interval: float = 0.2
    hint: str | None = None

    _dur = field_validator("timeout", "interval", mode="before")(_duration)


class _CommandCheck(_CheckCommon):
    command: str
    exit_code: int | None = 0
    stdout: str | None = None
    stderr: str | None = None
    stdout_contains: str | None = None
    stdout_line: str | None = None
    stdout_regex: str | None = None
    fail_fast: str | None = None
    save: dict[str, str] = Field(default_factory=dict)


class _TableCheck(_CheckCommon):
    table: str
    row: str
    columns: dict[str, str] = Field(default_factory=dict)
    save: dict[str, str] = Field(default_factory=dict)
    show: str | None = None


class _JsonListCheck(_CheckCommon):
    json_list: str = Field(alias="json-list")


class _JsonSubsetCheck(_CheckCommon):
    json_subset: list[str] = Field(alias="json-subset", min_length=2, max_length=2)


class _DistinctCheck(_CheckCommon):
    distinct: list[str] = Field(min_length=2)


class _CidrCheck(_CheckCommon):
    cidr: str
    within: str


_CHECK_MODELS: dict[str, type[_CheckCommon]] = {
    "command": _CommandCheck,
    "table": _TableCheck,
    "json-list": _JsonListCheck,
    "json-subset": _JsonSubsetCheck,
    "distinct": _DistinctCheck,
    "cidr": _CidrCheck,
}


class _ActionCommon(_Raw):
    cluster: str | None = None
    each: bool = False
    lines: list[str] = Field(default_factory=list)
    timeout: float = 600.0
    ok_codes: list[int] = Field(default_factory=lambda: [0])
    retries: int = Field(default=0, ge=0, le=20)
    retry_delay: float = 3.0
    guards: list[dict[str, Any]] = Field(default_factory=list)
    unless: list[dict[str, Any]] = Field(default_factory=list)
    # Claims verified just before the action runs (only when it runs): "newyork does not see it yet".
    before: list[dict[str, Any]] = Field(default_factory=list)
    hint: str | None = None
    records: str | None = None  # remembered per cluster when it runs (bring-your-own clusters)
    undoes: str | None = None  # teardown: on a bring-your-own cluster, only if that was recorded
    # Runs only when the user asks for this option (e.g. `preload-images` <- --preload-images).
    option: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]*$")

    _dur = field_validator("timeout", "retry_delay", mode="before")(_duration)


class _RunAction(_ActionCommon):
    run: str
    save: str | None = None
    show: str | None = None


class _CreateClusterAction(_ActionCommon):
    create_cluster: str = Field(alias="create-cluster")


class _DeleteClusterAction(_ActionCommon):
    delete_cluster: str = Field(alias="delete-cluster")


class _GeneratedAction(_ActionCommon):
    generated_command: str = Field(alias="generated-command")
    source: str
    pattern: str
    extra_args: str | None = None


class _RunPodAction(_ActionCommon):
    run_pod: str = Field(alias="run-pod")
    image: str
    namespace: str = "default"
    pod_prefix: str = "probe"
    save: str | None = None
    show: str | None = None


_ACTION_MODELS: dict[str, type[_ActionCommon]] = {
    "run": _RunAction,
    "create-cluster": _CreateClusterAction,
    "delete-cluster": _DeleteClusterAction,
    "generated-command": _GeneratedAction,
    "run-pod": _RunPodAction,
}

_CHECK_COMMON_KEYS = frozenset(
    a for f in _CheckCommon.model_fields.values() for a in [f.alias] if a
) | frozenset(_CheckCommon.model_fields)
_ACTION_COMMON_KEYS = frozenset(_ActionCommon.model_fields)


# ---------------------------------------------------------------------------------------------
# Error locations: compose the node tree and map a path to a line


Loc = tuple[str | int, ...]


class _Errors:
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

    def from_pydantic(self, exc: ValidationError, base: Loc) -> TutorialError:
        first = exc.errors()[0]
        loc: Loc = base + tuple(first["loc"])
        kind = first["type"]
        if kind == "missing":
            return self.error(loc[:-1], f"missing required field `{loc[-1]}`")
        if kind == "extra_forbidden":
            return self.error(loc, "unknown field")
        msg = str(first["msg"])
        msg = msg.removeprefix("Value error, ")
        return self.error(loc, msg[0].lower() + msg[1:] if msg else "invalid value")


def _parse(cls: type[_Raw], data: Any, errs: _Errors, loc: Loc) -> Any:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise errs.from_pydantic(exc, loc) from None


# ---------------------------------------------------------------------------------------------
# Validation


def validate(path: Path) -> Tutorial:
    """Parse, validate and build the Tutorial in `path`; raises TutorialError naming file, line and field."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read tutorial file {path}: {exc.strerror}") from None
    text = raw_bytes.decode("utf-8", errors="replace")
    try:
        root, data = _parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise TutorialError(f"{path}:{line}:{col}: {problem}", hint="fix the YAML syntax") from None
    except yaml.YAMLError as exc:
        raise TutorialError(f"{path}:1:1: {exc}") from None
    errs = _Errors(path, root, data)
    if not isinstance(data, dict):
        raise errs.error((), "the tutorial must be a mapping with name, title, clusters, lines and steps")
    top: _RawTop = _parse(_RawTop, data, errs, ())
    return _Builder(path, raw_bytes, top, data, errs).build()


class _Builder:
    def __init__(self, path: Path, raw: bytes, top: _RawTop, data: dict[str, Any], errs: _Errors) -> None:
        self.path = path
        self.raw = raw
        self.top = top
        self.data = data
        self.errs = errs
        self.manifests = manifests_dir(path)
        self.cluster_names = [c.name for c in top.clusters]
        self.cluster_vars = {c.name: set(c.vars) for c in top.clusters}
        self.saves: set[str] = set()

    # -- top level ----------------------------------------------------------------------------

    def build(self) -> Tutorial:
        top, errs = self.top, self.errs
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
        detect, lines = self._lines()
        self.lines = lines
        steps = self._steps()
        clusters = tuple(
            ClusterSpec(
                name=c.name,
                kubeconfig=c.kubeconfig,
                env=c.env,
                kind_config=c.kind_config,
                labels=dict(c.labels),
                vars=dict(c.vars),
            )
            for c in top.clusters
        )
        for i, c in enumerate(top.clusters):
            self._check_vars(c.kubeconfig, ("clusters", i, "kubeconfig"), cluster=None, line_names=None)
            if c.kind_config is not None:
                self._check_manifest_path(c.kind_config, ("clusters", i, "kind_config"))
        for key in ("list", "delete"):
            self._check_vars(getattr(top.provider, key), ("provider", key), cluster="*", line_names=None)
        for i, r in enumerate(top.requires):
            if r.probe:
                self._split(r.probe, ("requires", i, "probe"))
        self._check_var_values()
        for i, d in enumerate(top.diagnostics):
            self._check_vars(d, ("diagnostics", i), cluster="*", line_names=None)
            self._split(d, ("diagnostics", i))
        return Tutorial(
            name=top.name,
            title=top.title,
            path=str(self.path),
            digest=hashlib.sha256(self.raw).hexdigest(),
            manifests=str(self.manifests),
            clusters=clusters,
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
        )

    def _lines(self) -> tuple[LineDetect, dict[str, Line]]:
        raw = self.top.lines
        errs = self.errs
        if "detect" not in raw:
            raise errs.error(("lines",), "missing required field `detect`")
        detect_raw: _RawDetect = _parse(_RawDetect, raw["detect"], errs, ("lines", "detect"))
        probes: list[tuple[Loc, str, str]] = [(("lines", "detect"), detect_raw.command, detect_raw.pattern)]
        if detect_raw.server is not None:
            probes.append(
                (("lines", "detect", "server"), detect_raw.server.command, detect_raw.server.pattern)
            )
        for base, command, pattern in probes:
            try:
                rx = re.compile(pattern, re.MULTILINE)
            except re.error as exc:
                raise errs.error(base + ("pattern",), f"invalid regular expression: {exc}") from None
            if "version" not in rx.groupindex:
                raise errs.error(base + ("pattern",), "the pattern needs a named group (?P<version>...)")
            self._split(command, base + ("command",))
        lines: dict[str, Line] = {}
        for name, body in raw.items():
            if name == "detect":
                continue
            loc: Loc = ("lines", name)
            if not re.match(r"^[a-z0-9][a-z0-9.-]*$", name):
                raise errs.error(loc, f"invalid line name {name!r}")
            rl: _RawLine = _parse(_RawLine, body, errs, loc)
            for key, rng in [("range", rl.range)] + [
                (f"overrides.{j}", o.range) for j, o in enumerate(rl.overrides)
            ]:
                try:
                    parse_range(rng)
                except ValueError as exc:
                    sub: Loc = (
                        loc + ("range",)
                        if key == "range"
                        else loc + ("overrides", int(key.split(".")[1]), "range")
                    )
                    raise errs.error(sub, str(exc)) from None
            lines[name] = Line(
                name=name,
                range=rl.range,
                fallback_version=rl.fallback_version,
                vars=dict(rl.vars),
                overrides=tuple(Override(range=o.range, vars=dict(o.vars)) for o in rl.overrides),
            )
        if not lines:
            raise errs.error(("lines",), "at least one line (e.g. v1) must be defined")
        if detect_raw.default not in lines:
            raise errs.error(
                ("lines", "detect", "default"),
                f"unknown line {detect_raw.default!r} (defined: {', '.join(lines)})",
            )
        detect = LineDetect(
            command=detect_raw.command,
            pattern=detect_raw.pattern,
            default=detect_raw.default,
            server_command=detect_raw.server.command if detect_raw.server else None,
            server_pattern=detect_raw.server.pattern if detect_raw.server else None,
        )
        return detect, lines

    # -- steps --------------------------------------------------------------------------------

    def _steps(self) -> tuple[Step, ...]:
        errs = self.errs
        steps: list[Step] = []
        seen: set[str] = set()
        for i, raw_step in enumerate(self.top.steps):
            loc: Loc = ("steps", i)
            if not isinstance(raw_step, dict):
                raise errs.error(loc, "a step must be a mapping with id, title, explain, actions and checks")
            rs: _RawStep = _parse(_RawStep, raw_step, errs, loc)
            if not _ID_RE.match(rs.id):
                raise errs.error(
                    loc + ("id",), f"step id {rs.id!r} must be kebab-case (e.g. delete-clusters)"
                )
            if rs.id in seen:
                raise errs.error(loc + ("id",), f"duplicate step id {rs.id!r}")
            seen.add(rs.id)
            actions = tuple(self._action(a, loc + ("actions", j)) for j, a in enumerate(rs.actions))
            checks = tuple(
                self._check(c, loc + ("checks", j), default_cluster=None) for j, c in enumerate(rs.checks)
            )
            steps.append(
                Step(
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
            )
        return tuple(steps)

    def _kind(self, raw: Any, loc: Loc, kinds: Sequence[str], common: frozenset[str], what: str) -> str:
        if not isinstance(raw, dict):
            raise self.errs.error(loc, f"an {what} must be a mapping")
        present = [k for k in raw if k in kinds]
        if len(present) == 1:
            return str(present[0])
        if len(present) > 1:
            raise self.errs.error(loc, f"several {what} kinds in one item: {', '.join(present)}")
        unknown = [k for k in raw if k not in common]
        if unknown:
            raise self.errs.error(
                loc + (unknown[0],), f"unknown {what} kind `{unknown[0]}` (known: {', '.join(kinds)})"
            )
        raise self.errs.error(loc, f"no {what} kind given (one of: {', '.join(kinds)})")

    @staticmethod
    def _action_timeout(kind: str, ra: Any, text: str) -> float:
        """`timeout:` when given, else the default for that kind of command (timeouts.py)."""
        if "timeout" in ra.model_fields_set:
            return float(ra.timeout)
        if kind == "run-pod":
            return RUN_POD_TIMEOUT
        if kind == "generated-command":
            return default_timeout(ra.pattern or text)
        return default_timeout(text)

    def _where(self, loc: Loc) -> str:
        return self.errs.breadcrumb(loc)

    def _action(self, raw: Any, loc: Loc) -> Action:
        kind = self._kind(
            raw,
            loc,
            ACTION_KINDS,
            _ACTION_COMMON_KEYS
            | {"save", "show", "source", "pattern", "extra_args", "image", "namespace", "pod_prefix"},
            "action",
        )
        ra = _parse(_ACTION_MODELS[kind], raw, self.errs, loc)
        self._check_lines(ra.lines, loc + ("lines",))
        self._check_cluster(ra.cluster, loc + ("cluster",))
        if ra.cluster and ra.each:
            raise self.errs.error(loc + ("each",), "use either `cluster:` or `each: true`, not both")
        cluster_ctx = "*" if ra.each else ra.cluster
        if kind in ("create-cluster", "delete-cluster", "run-pod") and cluster_ctx is None:
            raise self.errs.error(loc, f"`{kind}` needs `cluster:` or `each: true`")
        command = {
            "run": "run",
            "create-cluster": "create_cluster",
            "delete-cluster": "delete_cluster",
            "generated-command": "generated_command",
            "run-pod": "run_pod",
        }[kind]
        text: str = getattr(ra, command)
        line_names = ra.lines or None
        extra = {"pod"} if kind == "run-pod" else set()
        self._check_vars(text, loc + (kind,), cluster=cluster_ctx, line_names=line_names, extra=extra)
        self._split(text, loc + (kind,))
        self._check_manifests_in(text, loc + (kind,), line_names)
        fields: dict[str, Any] = {}
        if isinstance(ra, _GeneratedAction):
            self._check_cluster(ra.source, loc + ("source",))
            if cluster_ctx is None:
                raise self.errs.error(
                    loc, "`generated-command` needs `cluster:` (where the generated command runs)"
                )
            try:
                parse_pattern(ra.pattern)
            except ValueError as exc:
                raise self.errs.error(loc + ("pattern",), str(exc)) from None
            if ra.extra_args:
                self._check_vars(
                    ra.extra_args, loc + ("extra_args",), cluster=cluster_ctx, line_names=line_names
                )
                self._split(ra.extra_args, loc + ("extra_args",))
            fields.update(source=ra.source, pattern=ra.pattern, extra_args=ra.extra_args)
        if isinstance(ra, _RunPodAction):
            for key in ("image", "namespace"):
                self._check_vars(getattr(ra, key), loc + (key,), cluster=cluster_ctx, line_names=line_names)
            fields.update(image=ra.image, namespace=ra.namespace, pod_prefix=ra.pod_prefix)
        if isinstance(ra, (_RunAction, _RunPodAction)):
            if ra.show:
                self._check_vars(ra.show, loc + ("show",), cluster=cluster_ctx, line_names=line_names)
            if ra.save:
                self._add_save(ra.save, loc + ("save",))
            fields.update(save=ra.save, show=ra.show)
        guards = tuple(
            self._check(g, loc + ("guards", j), default_cluster=cluster_ctx, parent_lines=line_names)
            for j, g in enumerate(ra.guards)
        )
        unless = tuple(
            self._check(g, loc + ("unless", j), default_cluster=cluster_ctx, parent_lines=line_names)
            for j, g in enumerate(ra.unless)
        )
        before = tuple(
            self._check(g, loc + ("before", j), default_cluster=cluster_ctx, parent_lines=line_names)
            for j, g in enumerate(ra.before)
        )
        return Action(
            kind=kind,
            command=text,
            where=self._where(loc),
            cluster=ra.cluster,
            each=ra.each,
            lines=tuple(ra.lines),
            timeout=self._action_timeout(kind, ra, text),
            ok_codes=tuple(ra.ok_codes),
            retries=ra.retries,
            retry_delay=ra.retry_delay,
            guards=guards,
            unless=unless,
            before=before,
            hint=ra.hint,
            records=ra.records,
            undoes=ra.undoes,
            option=ra.option,
            **fields,
        )

    def _check(
        self, raw: Any, loc: Loc, *, default_cluster: str | None, parent_lines: list[str] | None = None
    ) -> Check:
        common = _CHECK_COMMON_KEYS | {
            "exit_code",
            "stdout",
            "stderr",
            "stdout_contains",
            "stdout_line",
            "stdout_regex",
            "fail_fast",
            "save",
            "row",
            "columns",
            "within",
            "show",
        }
        kind = self._kind(raw, loc, CHECK_KINDS, common, "check")
        rc = _parse(_CHECK_MODELS[kind], raw, self.errs, loc)
        self._check_lines(rc.lines, loc + ("lines",))
        self._check_cluster(rc.cluster, loc + ("cluster",))
        if rc.cluster and rc.each:
            raise self.errs.error(loc + ("each",), "use either `cluster:` or `each: true`, not both")
        cluster_ctx = "*" if rc.each else (rc.cluster or default_cluster)
        line_names = rc.lines or parent_lines
        extra = {"timeout"}
        self._check_vars(rc.claim, loc + ("claim",), cluster=cluster_ctx, line_names=line_names, extra=extra)
        fields: dict[str, Any] = {}
        subject: tuple[str, ...]
        if isinstance(rc, (_CommandCheck, _TableCheck)):
            key = "command" if isinstance(rc, _CommandCheck) else "table"
            text = rc.command if isinstance(rc, _CommandCheck) else rc.table
            if cluster_ctx is None:
                raise self.errs.error(loc, f"a `{key}` check needs `cluster:` or `each: true`")
            self._check_vars(text, loc + (key,), cluster=cluster_ctx, line_names=line_names, extra=extra)
            self._split(text, loc + (key,))
            subject = (text,)
            for name in rc.save.values():
                self._add_save(name, loc + ("save",))
            fields["save"] = dict(rc.save)
        if isinstance(rc, _CommandCheck):
            for key in ("stdout", "stderr", "stdout_contains", "stdout_line", "stdout_regex", "fail_fast"):
                value = getattr(rc, key)
                if value is not None:
                    self._check_vars(value, loc + (key,), cluster=cluster_ctx, line_names=line_names)
                    fields[key] = value
            for key in ("stdout_regex", "fail_fast"):
                if fields.get(key) is not None:
                    try:
                        re.compile(fields[key])
                    except re.error as exc:
                        raise self.errs.error(loc + (key,), f"invalid regular expression: {exc}") from None
            if set(rc.save) - {"stdout"}:
                raise self.errs.error(loc + ("save",), "a command check can only save `stdout`")
            fields["exit_code"] = rc.exit_code
        elif isinstance(rc, _TableCheck):
            self._check_vars(rc.row, loc + ("row",), cluster=cluster_ctx, line_names=line_names)
            for col, val in rc.columns.items():
                self._check_vars(val, loc + ("columns", col), cluster=cluster_ctx, line_names=line_names)
            if rc.show is not None:
                self._check_vars(rc.show, loc + ("show",), cluster=cluster_ctx, line_names=line_names)
            fields.update(row=rc.row, columns=dict(rc.columns), show=rc.show)
        elif isinstance(rc, _JsonListCheck):
            subject = (rc.json_list,)
        elif isinstance(rc, _JsonSubsetCheck):
            subject = tuple(rc.json_subset)
        elif isinstance(rc, _DistinctCheck):
            subject = tuple(rc.distinct)
        else:
            assert isinstance(rc, _CidrCheck)
            subject = (rc.cidr,)
            self._check_vars(rc.within, loc + ("within",), cluster=cluster_ctx, line_names=line_names)
            if not variables_in(rc.within):
                try:
                    ipaddress.ip_network(rc.within, strict=False)
                except ValueError as exc:
                    raise self.errs.error(loc + ("within",), str(exc)) from None
            fields["within"] = rc.within
        if kind in ("json-list", "json-subset", "distinct", "cidr"):
            key = kind
            for j, name in enumerate(subject):
                base, _, at = name.partition("@")
                if base not in self.saves:
                    raise self.errs.error(
                        loc + ((key, j) if kind in ("json-subset", "distinct") else (key,)),
                        f"unknown capture {base!r} (saved earlier: "
                        f"{', '.join(sorted(self.saves)) or 'none'})",
                    )
                if at:
                    self._check_cluster(at, loc + (key,))
                elif cluster_ctx is None:
                    raise self.errs.error(
                        loc + (key,), f"capture {name!r} needs a cluster: write {name}@CLUSTER"
                    )
        return Check(
            kind=kind,
            claim=rc.claim,
            subject=subject,
            where=self._where(loc),
            cluster=rc.cluster,
            each=rc.each,
            lines=tuple(rc.lines),
            timeout=rc.timeout,
            interval=rc.interval,
            hint=rc.hint,
            **fields,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _add_save(self, name: str, loc: Loc) -> None:
        if not re.match(r"^[a-z][a-z0-9_]*$", name):
            raise self.errs.error(loc, f"capture name {name!r} must be snake_case")
        self.saves.add(name)

    def _check_lines(self, names: list[str], loc: Loc) -> None:
        for j, name in enumerate(names):
            if name not in self.lines:
                raise self.errs.error(loc + (j,), f"unknown line {name!r} (defined: {', '.join(self.lines)})")

    def _check_cluster(self, name: str | None, loc: Loc) -> None:
        if name is not None and name not in self.cluster_names:
            raise self.errs.error(loc, f"unknown cluster {name!r} (defined: {', '.join(self.cluster_names)})")

    def _split(self, text: str, loc: Loc) -> list[str]:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise self.errs.error(loc, f"cannot split the command: {exc}") from None
        if not words:
            raise self.errs.error(loc, "empty command")
        return words

    def _defined(
        self, cluster: str | None, line_names: Sequence[str] | None
    ) -> Iterator[tuple[str, set[str]]]:
        """Per applicable line: the variables visible in this context."""
        for line in line_names or list(self.lines):
            names = set(self.top.vars) | set(self.lines[line].vars) | set(GLOBAL_BUILTINS)
            for o in self.lines[line].overrides:
                names |= set(o.vars)
            if cluster == "*":
                names |= CLUSTER_BUILTINS | set.intersection(
                    *(self.cluster_vars[c] for c in self.cluster_names)
                )
            elif cluster is not None:
                names |= CLUSTER_BUILTINS | self.cluster_vars[cluster]
            yield line, names

    def _check_vars(
        self,
        text: str,
        loc: Loc,
        *,
        cluster: str | None,
        line_names: Sequence[str] | None,
        extra: set[str] | frozenset[str] = frozenset(),
        depth: int = 0,
    ) -> None:
        for name, at in variables_in(text):
            if at is not None:
                self._check_cluster(at, loc)
                ctx: str | None = at
            else:
                ctx = cluster
            for line, names in self._defined(ctx, line_names):
                if name in names or name in extra:
                    value = self._value_of(name, line, ctx)
                    if value is not None and depth < 5:
                        self._check_vars(
                            value, loc, cluster=ctx, line_names=[line], extra=extra, depth=depth + 1
                        )
                    continue
                if name in CLUSTER_BUILTINS:
                    raise self.errs.error(
                        loc,
                        f"variable {{{name}}} needs a cluster: set `cluster:` or "
                        f"`each: true`, or write {{{name}@CLUSTER}}",
                    )
                raise self.errs.error(
                    loc,
                    f"undefined variable {{{name}}}" + (f" for line {line}" if len(self.lines) > 1 else ""),
                )

    def _check_var_values(self) -> None:
        """Values are single argv words, never shell text: shell syntax in one is a mistake to report."""
        found: list[tuple[Loc, str]] = [(("vars", k), v) for k, v in self.top.vars.items()]
        for i, c in enumerate(self.top.clusters):
            found += [(("clusters", i, "vars", k), v) for k, v in c.vars.items()]
        for name, line in self.lines.items():
            found += [(("lines", name, "vars", k), v) for k, v in line.vars.items()]
            for j, o in enumerate(line.overrides):
                found += [(("lines", name, "overrides", j, "vars", k), v) for k, v in o.vars.items()]
        for loc, value in found:
            bad = sorted({ch for ch in value if ch in _SHELL_SYNTAX})
            if bad:
                shown = "".join(bad).replace("\n", "\\n")
                raise self.errs.error(
                    loc,
                    f"value {value!r} contains shell syntax {shown!r}: commands never go through a shell, "
                    "so it would reach the tool literally (use a plain word; {other_var} references work)",
                )

    def _value_of(self, name: str, line: str, cluster: str | None) -> str | None:
        if cluster not in (None, "*") and name in self.cluster_vars.get(cluster or "", set()):
            spec = next(c for c in self.top.clusters if c.name == cluster)
            return spec.vars[name]
        for o in self.lines[line].overrides:
            if name in o.vars:
                return o.vars[name]
        if name in self.lines[line].vars:
            return self.lines[line].vars[name]
        return self.top.vars.get(name)

    def _check_manifest_path(self, rel: str, loc: Loc) -> None:
        for line in self.lines:
            name = re.sub(r"\{line\}", line, rel)
            for var, _ in variables_in(name):
                value = self._value_of(var, line, None)
                if value is None:
                    raise self.errs.error(loc, f"undefined variable {{{var}}} for line {line}")
                name = name.replace(f"{{{var}}}", value)
            if not (self.manifests / name).is_file():
                raise self.errs.error(loc, f"missing manifest {name} (in {self.manifests})")

    def _check_manifests_in(self, text: str, loc: Loc, line_names: Sequence[str] | None) -> None:
        try:
            words = shlex.split(text)
        except ValueError:
            return
        for word in words:
            if word.startswith("{manifests}/"):
                for line in line_names or list(self.lines):
                    rel = word[len("{manifests}/") :].replace("{line}", line)
                    if variables_in(rel):
                        continue
                    if not (self.manifests / rel).is_file():
                        raise self.errs.error(loc, f"missing manifest {rel} (in {self.manifests})")

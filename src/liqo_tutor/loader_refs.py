"""Cross-references of a tutorial file, checked for the kinds (kinds.Refs): variables, clusters,
lines, manifests, captures and regular expressions; every error `FILE:LINE: breadcrumb: problem`."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from liqo_tutor.errors import TutorialError
from liqo_tutor.kinds import CAPTURE_NAME_RE, Loc, Scope
from liqo_tutor.loader_models import TopModel
from liqo_tutor.loader_yaml import Errors
from liqo_tutor.tutorial import Line, variables_in

__all__ = ["CLUSTER_BUILTINS", "GLOBAL_BUILTINS", "References", "saves_in"]

GLOBAL_BUILTINS = frozenset({"manifests", "workdir", "line", "liqo_version"})
CLUSTER_BUILTINS = frozenset(
    {"cluster", "kubeconfig", "kubeconfig_env", "kind_config", "cluster_labels", "context"}
)
_KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def saves_in(data: Any, loc: Loc = ()) -> Iterator[tuple[str, Loc]]:
    """Every `save:` capture name in a raw YAML tree (for "saved later at FILE:LINE")."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "save" and isinstance(value, str):
                yield value, loc + (key,)
            elif key == "save" and isinstance(value, dict):
                yield from ((v, loc + (key, k)) for k, v in value.items() if isinstance(v, str))
            else:
                yield from saves_in(value, loc + (str(key),))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from saves_in(item, loc + (i,))


class References:
    """The loader's side of `kinds.Refs`."""

    def __init__(self, errs: Errors, top: TopModel, lines: dict[str, Line], manifests: Path) -> None:
        self.errs = errs
        self.top = top
        self.lines = lines
        self.manifests = manifests
        self.cluster_names = [c.name for c in top.clusters]
        self.cluster_vars = {c.name: set(c.vars) for c in top.clusters}
        self.saves: dict[str, str] = {}  # capture name -> step id that saves it first
        self.step_id = ""
        self.step_ids: set[str] = set()
        self.all_saves: dict[str, Loc] = {}  # every save in the file, first occurrence
        self.used: set[str] | None = None  # while a check is validated: the captures it reads
        for name, loc in saves_in(errs.data):
            self.all_saves.setdefault(name, loc)

    # -- kinds.Refs ---------------------------------------------------------------------------

    def error(self, loc: Loc, problem: str) -> TutorialError:
        return self.errs.error(loc, problem)

    def cluster(self, name: str | None, loc: Loc) -> None:
        if name is not None and name not in self.cluster_names:
            raise self.errs.error(loc, f"unknown cluster {name!r} (defined: {', '.join(self.cluster_names)})")

    def check_lines(self, names: Sequence[str], loc: Loc) -> None:
        for j, name in enumerate(names):
            if name not in self.lines:
                raise self.errs.error(loc + (j,), f"unknown line {name!r} (defined: {', '.join(self.lines)})")

    def split(self, text: str, loc: Loc) -> list[str]:
        try:
            words = shlex.split(text)
        except ValueError as exc:
            raise self.errs.error(loc, f"cannot split the command: {exc}") from None
        if not words:
            raise self.errs.error(loc, "empty command")
        return words

    def regex(self, pattern: str, loc: Loc) -> None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise self.errs.error(loc, f"invalid regular expression: {exc}") from None

    def save(self, name: str, loc: Loc) -> None:
        if not CAPTURE_NAME_RE.match(name):
            raise self.errs.error(loc, f"capture name {name!r} must be snake_case")
        if name in self._variable_names():
            raise self.errs.error(loc, f"{name!r} is already a variable")
        self.saves.setdefault(name, self.step_id)

    def capture(self, name: str, scope: Scope) -> None:
        base, _, at = name.partition("@")
        if self.used is not None:
            self.used.add(base)
        if base not in self.saves:
            raise self.errs.error(
                scope.loc,
                f"unknown capture {base!r} (saved earlier: {', '.join(sorted(self.saves)) or 'none'})",
            )
        if at:
            self.cluster(at, scope.loc)
        elif scope.cluster is None:
            raise self.errs.error(scope.loc, f"capture {name!r} needs a cluster: write {name}@CLUSTER")

    def variables(self, text: str, scope: Scope, extra: frozenset[str] = frozenset()) -> None:
        self._check_vars(text, scope.loc, scope.cluster, scope.lines, extra, 0)

    def manifests_in(self, text: str, scope: Scope) -> None:
        try:
            words = shlex.split(text)
        except ValueError:
            return
        for i, word in enumerate(words):
            if not word.startswith("{manifests}/"):
                continue
            flag = words[i - 1] if i else ""
            for line in scope.lines or list(self.lines):
                rel = word[len("{manifests}/") :].replace("{line}", line)
                if not variables_in(rel):
                    self._manifest_word(rel, flag, scope.loc)

    # -- helpers ------------------------------------------------------------------------------

    def _manifests_root(self, loc: Loc) -> None:
        """Never a silent fallback: a tutorial that names a manifest needs its manifests directory."""
        if not self.manifests.is_dir():
            raise self.errs.error(
                loc,
                f"no manifests directory for this tutorial (looked in {self.manifests}); "
                "put its manifests there",
            )

    def _manifest_word(self, rel: str, flag: str, loc: Loc) -> None:
        """A file after any flag; a directory after -k/--kustomize (with a kustomization) or -f."""
        self._manifests_root(loc)
        target = self.manifests / rel
        kustomize = flag in ("-k", "--kustomize")
        if target.is_dir():
            if kustomize and not any((target / k).is_file() for k in _KUSTOMIZATIONS):
                raise self.errs.error(loc, f"{rel} has no kustomization.yaml (kubectl apply -k needs one)")
            if not kustomize and flag not in ("-f", "--filename"):
                raise self.errs.error(loc, f"{rel} is a directory; use -k (kustomize) or -f with a file")
            return
        if kustomize:
            raise self.errs.error(loc, f"missing manifest directory {rel} (in {self.manifests})")
        if not target.is_file():
            raise self.errs.error(loc, f"missing manifest {rel} (in {self.manifests})")

    def manifest_path(self, rel: str, loc: Loc) -> None:
        self._manifests_root(loc)
        for line in self.lines:
            name = re.sub(r"\{line\}", line, rel)
            for var, _ in variables_in(name):
                value = self.value_of(var, line, None)
                if value is None:
                    raise self.errs.error(loc, f"undefined variable {{{var}}} for line {line}")
                name = name.replace(f"{{{var}}}", value)
            if not (self.manifests / name).is_file():
                raise self.errs.error(loc, f"missing manifest {name} (in {self.manifests})")

    def _variable_names(self) -> set[str]:
        names = set(self.top.vars) | set(GLOBAL_BUILTINS) | set(CLUSTER_BUILTINS)
        for line in self.lines.values():
            names |= set(line.vars)
            for o in line.overrides:
                names |= set(o.vars)
        for cvars in self.cluster_vars.values():
            names |= cvars
        return names

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
        cluster: str | None,
        line_names: Sequence[str] | None,
        extra: frozenset[str],
        depth: int,
    ) -> None:
        for name, at in variables_in(text):
            if at is not None:
                self.cluster(at, loc)
            ctx = at if at is not None else cluster
            if name in self.saves and name not in extra:
                if self.used is not None:
                    self.used.add(name)
                continue  # a capture saved earlier (resolved per cluster at run time)
            for line, names in self._defined(ctx, line_names):
                if name in names or name in extra:
                    value = self.value_of(name, line, ctx)
                    if value is not None and depth < 5:
                        self._check_vars(value, loc, ctx, [line], extra, depth + 1)
                    continue
                raise self._undefined(name, line, loc)

    def _undefined(self, name: str, line: str, loc: Loc) -> TutorialError:
        if name in CLUSTER_BUILTINS:
            return self.errs.error(
                loc,
                f"variable {{{name}}} needs a cluster: set `cluster:` or `each: true`, "
                f"or write {{{name}@CLUSTER}}",
            )
        where = self.all_saves.get(name)
        if where is not None:
            return self.errs.error(
                loc,
                f"undefined variable {{{name}}} (no earlier save; saved later at "
                f"{self.errs.path}:{self.errs.line_of(where)})",
            )
        return self.errs.error(
            loc, f"undefined variable {{{name}}}" + (f" for line {line}" if len(self.lines) > 1 else "")
        )

    def value_of(self, name: str, line: str, cluster: str | None) -> str | None:
        if cluster not in (None, "*") and name in self.cluster_vars.get(cluster or "", set()):
            spec = next(c for c in self.top.clusters if c.name == cluster)
            return spec.vars[name]
        for o in self.lines[line].overrides:
            if name in o.vars:
                return o.vars[name]
        if name in self.lines[line].vars:
            return self.lines[line].vars[name]
        return self.top.vars.get(name)

"""Tutorial name -> steps/<name>.yaml -> validated Tutorial; every error reads `FILE:LINE: field: problem`.

The YAML shapes are pydantic models: the top level in loader_models.py, each action and check kind
in its own module (verbs/, claims/), whose registries give the kind names. Cross-references
(variables, clusters, lines, manifests, captures) are checked by loader_refs.py; loader_build.py
assembles the Tutorial.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from liqo_tutor.durations import parse_duration
from liqo_tutor.errors import InputError, TutorialError
from liqo_tutor.patterns import parse_pattern

if TYPE_CHECKING:
    from liqo_tutor.loader_models import TopModel
    from liqo_tutor.loader_yaml import Errors
    from liqo_tutor.tutorial import Tutorial

# libyaml's parser when PyYAML was built with it (ten times faster than the pure-Python one).
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = [
    "find",
    "list_tutorials",
    "load",
    "manifests_dir",
    "parse_duration",
    "parse_pattern",
    "steps_dir",
    "validate",
]


def _package_dir(sub: str) -> Path:
    return Path(str(importlib.resources.files("liqo_tutor") / "data" / sub))


def steps_dir(override: Path | None = None) -> Path:
    return override if override is not None else _package_dir("steps")


def manifests_dir(tutorial_file: Path) -> Path:
    """`manifests/` next to the tutorial's steps directory (for a packaged tutorial: the packaged one).

    Never a silent fallback: a tutorial elsewhere without that directory gets an error when it
    names a manifest.
    """
    sibling = tutorial_file.resolve().parent.parent / "manifests"
    if sibling.is_dir():
        return sibling
    if tutorial_file.resolve().parent == _package_dir("steps").resolve():
        return _package_dir("manifests")
    return sibling


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


def _tutorial_manifests(path: Path, top: TopModel, errs: Errors) -> Path:
    """`{manifests}`: the manifests directory, or its `manifests:` folder (checked where used)."""
    root = manifests_dir(path)
    if top.manifests is None:
        return root
    sub = Path(top.manifests)
    if sub.is_absolute() or ".." in sub.parts or not top.manifests.strip():
        raise errs.error(("manifests",), f"must be a relative directory name (got {top.manifests!r})")
    if not (root / sub).is_dir():
        raise errs.error(("manifests",), f"no directory {top.manifests} in {root}")
    return root / sub


def validate(path: Path) -> Tutorial:
    """Parse, validate and build the Tutorial in `path`; raises TutorialError naming file, line and field."""
    # Imported here: listing or finding tutorials (and a cached load) needs none of the models.
    from liqo_tutor.loader_build import build
    from liqo_tutor.loader_models import TopModel
    from liqo_tutor.loader_yaml import Errors, parse_model, parse_yaml

    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read tutorial file {path}: {exc.strerror}") from None
    text = raw_bytes.decode("utf-8", errors="replace")
    try:
        root, data = parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise TutorialError(f"{path}:{line}:{col}: {problem}", hint="fix the YAML syntax") from None
    except yaml.YAMLError as exc:
        raise TutorialError(f"{path}:1:1: {exc}") from None
    errs = Errors(path, root, data)
    if not isinstance(data, dict):
        raise errs.error((), "the tutorial must be a mapping with name, title, clusters, lines and steps")
    top = parse_model(TopModel, data, errs, ())
    return build(path, raw_bytes, top, errs, _tutorial_manifests(path, top, errs))

"""Action kind name -> verb. The loader reads the kind names and models from here."""

from __future__ import annotations

from typing import Any

from liqo_tutor.verbs.base import Verb

__all__ = ["get", "names", "register", "unregister"]

_VERBS: dict[str, Verb[Any]] = {}


def register(verb: Verb[Any]) -> Verb[Any]:
    """Add a verb (its `name` is its YAML key); a second verb of the same name is a programming error."""
    if verb.name in _VERBS and type(_VERBS[verb.name]) is not type(verb):
        raise ValueError(f"action kind {verb.name!r} is already registered")
    _VERBS[verb.name] = verb
    return verb


def unregister(name: str) -> None:
    _VERBS.pop(name, None)


def get(name: str) -> Verb[Any]:
    return _VERBS[name]


def names() -> tuple[str, ...]:
    """Registered kinds, in registration order (the order messages list them in)."""
    return tuple(_VERBS)

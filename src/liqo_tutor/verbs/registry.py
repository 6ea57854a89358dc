"""Action kind name -> verb. The loader reads the kind names and models from here."""

from __future__ import annotations

from typing import Any

from liqo_tutor.kind_registry import KindRegistry
from liqo_tutor.verbs.base import Verb

__all__ = ["get", "names", "register", "unregister"]

_VERBS: KindRegistry[Verb[Any]] = KindRegistry("action kind")

register = _VERBS.register
unregister = _VERBS.unregister
get = _VERBS.get
names = _VERBS.names

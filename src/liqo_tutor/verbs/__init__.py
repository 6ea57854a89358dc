"""Action kinds ("verbs"): one module per YAML key, registered in verbs/registry.py.

Adding a kind = one module defining a `Verb` subclass that calls `register(...)`, named in BUILTIN
below (or, for a plug-in, imported before the tutorial is loaded), plus its tests.
"""

from __future__ import annotations

import importlib

from liqo_tutor.verbs.base import ActionModel, Verb, when_of
from liqo_tutor.verbs.registry import get, names, register, unregister

__all__ = ["BUILTIN", "ActionModel", "Verb", "get", "names", "register", "unregister", "when_of"]

# Modules of the built-in kinds, in the order messages list them.
BUILTIN = ("run", "create_cluster", "delete_cluster", "generated_command", "run_pod", "prefetch_images")

for _module in BUILTIN:
    importlib.import_module(f"liqo_tutor.verbs.{_module}")

"""Check kinds ("claims"): one module per YAML key, registered in claims/registry.py.

Adding a kind = one module defining a `Claim` subclass that calls `register(...)`, named in BUILTIN
below (or, for a plug-in, imported before the tutorial is loaded), plus its tests.
"""

from __future__ import annotations

import importlib

from liqo_tutor.claims.base import CheckModel, Claim, Outcome
from liqo_tutor.claims.registry import get, names, register, unregister
from liqo_tutor.claims.runner import run_check

__all__ = ["BUILTIN", "CheckModel", "Claim", "Outcome", "get", "names", "register", "run_check", "unregister"]

# Modules of the built-in kinds, in the order messages list them.
BUILTIN = ("command", "table", "json_list", "json_subset", "distinct", "cidr", "text", "json_doc")

for _module in BUILTIN:
    importlib.import_module(f"liqo_tutor.claims.{_module}")

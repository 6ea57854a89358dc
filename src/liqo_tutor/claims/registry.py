"""Check kind name -> claim. The loader reads the kind names and models from here."""

from __future__ import annotations

from typing import Any

from liqo_tutor.claims.base import Claim
from liqo_tutor.kind_registry import KindRegistry

__all__ = ["get", "names", "register", "unregister"]

_CLAIMS: KindRegistry[Claim[Any]] = KindRegistry("check kind")

register = _CLAIMS.register
unregister = _CLAIMS.unregister
get = _CLAIMS.get
names = _CLAIMS.names

"""Check kind name -> claim. The loader reads the kind names and models from here."""

from __future__ import annotations

from typing import Any

from liqo_tutor.claims.base import Claim

__all__ = ["get", "names", "register", "unregister"]

_CLAIMS: dict[str, Claim[Any]] = {}


def register(claim: Claim[Any]) -> Claim[Any]:
    if claim.name in _CLAIMS and type(_CLAIMS[claim.name]) is not type(claim):
        raise ValueError(f"check kind {claim.name!r} is already registered")
    _CLAIMS[claim.name] = claim
    return claim


def unregister(name: str) -> None:
    _CLAIMS.pop(name, None)


def get(name: str) -> Claim[Any]:
    return _CLAIMS[name]


def names() -> tuple[str, ...]:
    return tuple(_CLAIMS)

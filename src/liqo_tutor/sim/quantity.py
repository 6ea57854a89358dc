"""resource.Quantity as a float: the one parser of the scheduler, the virtual nodes and liqoctl status."""

from __future__ import annotations

from typing import Any

__all__ = ["quantity"]

_SUFFIX = {
    "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50,
}  # fmt: skip


def quantity(value: Any) -> float:
    """A resource.Quantity ("100m", "70Mi", "2", "1e3") as a float."""
    text = str(value).strip()
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * _SUFFIX[suffix]
            except ValueError:
                return 0.0
    try:
        return float(text)
    except ValueError:
        return 0.0

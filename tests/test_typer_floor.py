"""The typer lower bound of pyproject.toml installs and works: a fresh venv with exactly that typer.

cli.py uses typer's public API only (`typer.TyperException` is the base of every usage error since
typer 0.28, which vendors click as `typer._click`; older releases neither export it nor vendor click,
so the bound is 0.28). The venv gets `typer==<bound>`, the other dependencies, then this project with
--no-deps; `liqo-tutor --help`, `list` and a usage error must behave as with the newest typer.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _dependencies() -> list[str]:
    """[project] dependencies of pyproject.toml (a list of quoted strings; Python 3.10 has no tomllib)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S)
    assert block is not None
    return re.findall(r'"([^"]+)"', block.group(1))


def _typer_floor() -> str:
    deps = [d for d in _dependencies() if re.match(r"typer\b", d)]
    assert len(deps) == 1, deps
    m = re.fullmatch(r"typer>=([0-9.]+)", deps[0].replace(" ", ""))
    assert m is not None, f"typer needs a plain lower bound, got {deps[0]!r}"
    return m.group(1)


def _others() -> list[str]:
    return [d for d in _dependencies() if not re.match(r"typer\b", d)]


def _release(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def _pypi_reachable() -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return True
    except OSError:
        return False


@pytest.mark.timeout(900)
def test_the_declared_typer_floor_installs_and_runs_the_cli(tmp_path: Path) -> None:
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable from here")
    floor = _typer_floor()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, f"typer=={floor}", *_others()], check=True, timeout=600)
    subprocess.run([*pip, "--no-deps", str(ROOT)], check=True, timeout=600, cwd=tmp_path)
    version = subprocess.run([py, "-c", "import typer; print(typer.__version__)"], capture_output=True,
                             text=True, check=True, timeout=60).stdout.strip()
    assert _release(version) == _release(floor)  # 0.28 installs as 0.28.0
    cli = str(venv / "bin" / "liqo-tutor")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cli, *args], capture_output=True, text=True, timeout=60, env=env,
                              cwd=tmp_path, stdin=subprocess.DEVNULL)

    helped = run("--help")
    assert helped.returncode == 0, helped.stderr
    assert "run" in helped.stdout and "teardown" in helped.stdout
    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^service-offloading\s+\S", listed.stdout, re.M), listed.stdout
    bad = run("run", "--bogus")
    assert bad.returncode == 2
    assert bad.stdout == ""
    lines = bad.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No such option: --bogus"), bad.stderr
    assert lines[0].endswith("(see `liqo-tutor run --help`)")
    none = run()
    assert none.returncode == 2 and "Usage: liqo-tutor" in none.stdout + none.stderr

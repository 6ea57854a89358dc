"""A playground driven by hand for the stateful tests: simulated kind/liqoctl/helm, the REAL kubectl.

Commands are argv lists (shlex-split here, never given to a shell); `$VAR` words take the playground's
environment. `wait_until` polls a condition with a bound instead of sleeping a fixed time.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from liqo_tutor.sim import ensure_bin, sim_env, simdir_for
from liqo_tutor.sim.client import stop

T = TypeVar("T")


class Playground:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.simdir = simdir_for(workdir)
        ensure_bin(self.simdir)
        self.env = dict(os.environ)
        self.env.update(sim_env(self.simdir, workdir))
        self.env["KUBECONFIG"] = str(workdir / "liqo_kubeconf_turin")
        self.env["KUBECONFIG_LYON"] = str(workdir / "liqo_kubeconf_lyon")

    def __call__(
        self, cmd: str, *, ok: bool = True, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [re.sub(r"\$\{?(\w+)\}?", lambda m: self.env[m.group(1)], a) for a in shlex.split(cmd)]
        res = subprocess.run(
            argv,
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
        if ok:
            assert res.returncode == 0, f"{cmd}\nstdout: {res.stdout}\nstderr: {res.stderr}"
        return res

    def table(self, cmd: str) -> list[list[str]]:
        """A kubectl/helm table as rows of cells (columns split on runs of 2+ spaces or tabs)."""
        lines = self(cmd).stdout.splitlines()
        return [[c for c in re.split(r"\s{2,}|\t", line.rstrip()) if c] for line in lines if line.strip()]


def wait_until(check: Callable[[], T | None], timeout: float = 60.0, what: str = "condition") -> T:
    """Poll `check` (0.1 s apart) until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextmanager
def playground(tmp_path: Path) -> Iterator[Playground]:
    workdir = tmp_path / "stateful"
    workdir.mkdir()
    pg = Playground(workdir)
    try:
        yield pg
    finally:
        stop(pg.simdir)

"""On a failure, collect what an expert would look at into `.liqo-tutor/diagnostics/<step>-<time>/`.

What to collect is tutorial knowledge: the YAML's `diagnostics:` commands, run on every cluster whose
kubeconfig exists (concurrently, short timeouts, any exit code). Everything written is redacted.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from liqo_tutor import secrets
from liqo_tutor.constants import STATE_DIR_NAME
from liqo_tutor.errors import Interrupted, LiqoTutorError
from liqo_tutor.timeouts import DIAGNOSTICS, DIAGNOSTICS_MIN

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.results import StepResult
    from liqo_tutor.shell import ClusterShell

__all__ = ["DIAGNOSTICS_DIR", "collect", "folder_for"]

DIAGNOSTICS_DIR = "diagnostics"
_WORKERS = 4


def folder_for(workdir: Path, step_id: str, now: float | None = None) -> Path:
    """A new folder `<workdir>/.liqo-tutor/diagnostics/<step>-<YYYYmmdd-HHMMSS>[-N]/`."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = workdir / STATE_DIR_NAME / DIAGNOSTICS_DIR
    path = base / f"{step_id}-{stamp}"
    n = 2
    while path.exists():
        path = base / f"{step_id}-{stamp}-{n}"
        n += 1
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "command"


def _summary(result: StepResult) -> str:
    lines = [
        f"step: {result.step_id} ({result.title})",
        f"status: {result.status.value} after {result.duration:.1f}s",
        f"failed: {result.message}",
    ]
    if result.rerun:
        lines.append(f"rerun: {result.rerun}")
    if result.hint:
        lines.append(f"hint: {result.hint}")
    for check in result.checks:
        lines.append(
            f"check [{check.status.value}] {check.claim}: expected {check.expected}, saw {check.seen}"
        )
    for cmd in result.commands:
        lines += ["", f"$ {cmd.display}", f"exit {cmd.exit_code} after {cmd.duration:.1f}s"]
        for label, text in (("stdout", cmd.stdout), ("stderr", cmd.stderr)):
            if text.strip():
                lines += [f"--- {label}", text.rstrip("\n")]
    return "\n".join(lines) + "\n"


def _run_one(ctx: Context, shell: ClusterShell, cluster: str, command: str) -> str:
    try:
        timeout = max(DIAGNOSTICS_MIN, shell.scaled(DIAGNOSTICS))
        res = shell.run(ctx.argv(command, cluster), cluster=cluster, timeout=timeout, ok_codes=range(256))
    except Interrupted:
        raise
    except LiqoTutorError as exc:  # a timeout, unreadable output, a missing tool: noted in the file
        return f"$ {command}\n(not collected: {exc.message})\n"
    text = f"$ {res.display}\nexit {res.exit_code} after {res.duration:.1f}s\n"
    if res.stdout.strip():
        text += res.stdout if res.stdout.endswith("\n") else res.stdout + "\n"
    if res.stderr.strip():
        text += "--- stderr\n" + res.stderr + ("" if res.stderr.endswith("\n") else "\n")
    return text


def collect(ctx: Context, result: StepResult, shell: ClusterShell, now: float | None = None) -> Path | None:
    """Write the step's summary and every diagnostics command's output per cluster; the folder, or None
    when it cannot be written. Clusters whose kubeconfig does not exist (yet) are skipped. The
    commands run through `shell` hidden: the transcript records them, the screen does not."""
    shell = shell.hidden()
    folder = folder_for(ctx.workdir, result.step_id, now)
    try:
        folder.mkdir(parents=True)
        (folder / "summary.txt").write_text(secrets.redact(_summary(result)), encoding="utf-8")
    except OSError:
        return None
    jobs = [
        (cluster, i, command)
        for cluster, info in ctx.clusters.items()
        if info.kubeconfig.exists()
        for i, command in enumerate(ctx.tutorial.diagnostics, start=1)
    ]
    if not jobs:
        return folder
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="diagnostics") as pool:
        outputs = list(pool.map(lambda job: _run_one(ctx, shell, job[0], job[2]), jobs))
    for (cluster, i, command), text in zip(jobs, outputs, strict=True):
        path = folder / cluster / f"{i:02d}-{_slug(command)}.txt"
        try:
            path.parent.mkdir(exist_ok=True)
            path.write_text(secrets.redact(text), encoding="utf-8")
        except OSError:
            return folder
    return folder

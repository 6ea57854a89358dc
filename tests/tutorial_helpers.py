"""Shared by the tutorial tests (issue 14): a tutorial run through the CLI, its claims, wrong copies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from liqo_tutor import loader
from liqo_tutor.context import Context
from liqo_tutor.engine.model import ClusterRef, RunOptions
from liqo_tutor.engine.observe import NullReporter
from liqo_tutor.engine.resolve import applicable, make_context, make_shell, targets
from liqo_tutor.state import State
from liqo_tutor.tutorial import Tutorial
from reliability_helpers import REPO, assert_clean, stop_playground, tutor

__all__ = ["HOLD_SCALE", "claims_of", "context_for", "run_green", "run_wrong", "wrong_copy"]


def context_for(tut: Tutorial, line: str, workdir: Path, byo: bool = False) -> Context:
    """A Context as the engine resolves it for `line`, without running anything; every capture is set
    (a capture is a value such as a pod IP, never a flag or a claim's subject)."""
    clusters = {c.name: ClusterRef(kubeconfig=workdir / f"own-{c.name}", context=f"ctx-{c.name}")
                for c in tut.clusters} if byo else {}
    opts = RunOptions(workdir=workdir, env={}, line=line, clusters=clusters)
    state = State(path=workdir / "state.json")
    ctx = make_context(tut, opts, state, NullReporter(), make_shell(tut, opts), line,
                       tut.lines[line].fallback_version)
    for name in tut.saves:
        for cluster in (None, *(c.name for c in tut.clusters)):
            ctx.save(name, cluster, "10.200.1.7")
    return ctx


def claims_of(name: str, workdir: Path, line: str = "v1", steps_dir: Path | None = None) -> dict[str, list[str]]:
    """Step id -> the claims it states (`before:` an action, then its checks), as a run words them (per
    cluster for `each:`)."""
    tut = loader.load(name, steps_dir)
    ctx = context_for(tut, line, workdir)
    out: dict[str, list[str]] = {}
    for step in tut.steps:
        before = [(c, cl) for a in applicable(step.actions, line) for a_cl in targets(tut, a.each, a.cluster)
                  for c in applicable(a.before, line) for cl in targets(tut, c.each, c.cluster or a_cl)]
        after = [(c, cl) for c in applicable(step.checks, line) for cl in targets(tut, c.each, c.cluster)]
        out[step.id] = [ctx.text(c.claim, cl, extra={"timeout": ""}) for c, cl in before + after]
    return out


# `hold:` claims ("still Pending after 20 s") last their time even at speed 0: the tests halve it
# (--timeout-scale scales holds and deadlines alike; nothing in the playground waits at speed 0).
HOLD_SCALE = ("--timeout-scale", "0.5")


def run_green(name: str, workdir: Path, steps: Path | None = None, *args: str) -> str:
    """`liqo-tutor run NAME --simulate --teardown` in a fresh workdir (the shipped tutorial, or the copy
    in `steps`): exit 0, a ✓ line for every claim of every step (teardown included), no ✗, and nothing
    left behind. Returns the output."""
    workdir.mkdir(parents=True, exist_ok=True)
    where = ["--steps-dir", str(steps)] if steps is not None else []
    try:
        res = tutor(workdir, "run", name, "--simulate", "--teardown", *where, *args, timeout=400)
        out = res.stdout
        assert res.returncode == 0, out + res.stderr
        assert "Traceback" not in out + res.stderr
        passed = {line.strip()[2:] for line in out.splitlines() if line.strip().startswith("✓ ")}
        claims = claims_of(name, workdir.parent, steps_dir=steps)
        missing = [f"{step}: {c}" for step, cs in claims.items() for c in cs if c not in passed]
        assert not missing, "claims without a ✓ line:\n" + "\n".join(missing) + "\n" + out
        assert "✗" not in out, out
        assert "teardown complete" in out or "nothing left behind" in out, out
        assert_clean(workdir)
        return out
    finally:
        stop_playground(workdir)


def wrong_copy(root: Path, name: str, *, steps_edit: tuple[str, str] | None = None,
               manifest_edit: tuple[str, str, str] | None = None) -> Path:
    """A --steps-dir with a copy of tutorial `name` and its manifests beside it, with one fault: a text
    replacement in the steps file or in one manifest (the original text must be there)."""
    steps = root / "steps"
    steps.mkdir(parents=True)
    text = (REPO / "steps" / f"{name}.yaml").read_text()
    if steps_edit is not None:
        old, new = steps_edit
        assert old in text, f"steps/{name}.yaml no longer has {old!r}; update the test"
        text = text.replace(old, new)
    (steps / f"{name}.yaml").write_text(text)
    shutil.copytree(REPO / "manifests" / name, root / "manifests" / name)
    if manifest_edit is not None:
        rel, old, new = manifest_edit
        path = root / "manifests" / name / rel
        body = path.read_text()
        assert old in body, f"manifests/{name}/{rel} no longer has {old!r}; update the test"
        path.write_text(body.replace(old, new, 1))
    return steps


def run_wrong(name: str, workdir: Path, steps: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a wrong copy (exit 1 expected), torn down whatever happens; nothing is left behind."""
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        res = tutor(workdir, "run", name, "--simulate", "--teardown", "--steps-dir", str(steps), *args,
                    timeout=400)
        assert "Traceback" not in res.stdout + res.stderr
        assert_clean(workdir)
        return res
    finally:
        stop_playground(workdir)

"""A concurrent provisioning asks the provider for its clusters once per step (verbs/clusters.py,
Context.shared): every chain asks at once and looks only for its own name; a create or a delete makes
the next look ask again."""

from __future__ import annotations

import threading
from pathlib import Path

from kind_helpers import HEAD, context, load, run_action, step, step_yaml, write_tutorial
from liqo_tutor.tools import runner
from liqo_tutor.verbs.clusters import existing_clusters

FAKE_KIND = """#!/bin/sh
echo "$*" >> "{log}"
case "$1" in
  get) cat "{listed}" ;;
  create) echo "$4" >> "{listed}" ;;
esac
"""


def _setup(tmp_path: Path) -> tuple[object, Path, Path]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log, listed = tmp_path / "calls.log", tmp_path / "listed"
    listed.write_text("other\n")
    kind = bindir / "kind"
    kind.write_text(FAKE_KIND.format(log=log, listed=listed))
    kind.chmod(0o755)
    steps = step_yaml(actions="- create-cluster: kind create cluster --name {cluster}\n  each: true\n")
    tut = load(write_tutorial(tmp_path / "t", steps, head=HEAD))
    ctx = context(tut, tmp_path / "wd")
    ctx.env["PATH"] = f"{bindir}:/usr/bin:/bin"
    return ctx, log, listed


def test_two_chains_list_once_then_a_create_makes_the_next_look_ask_again(tmp_path: Path) -> None:
    ctx, log, listed = _setup(tmp_path)
    try:
        action = step(ctx.tutorial).actions[0]  # type: ignore[attr-defined]
        ctx.begin_step("s")  # type: ignore[attr-defined]
        gate = threading.Barrier(2)
        errors: list[BaseException] = []

        def chain(cluster: str) -> None:
            try:
                gate.wait(timeout=10)
                run_action(ctx, action, cluster)  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=chain, args=(c,)) for c in ("alpha", "beta")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        calls = log.read_text().splitlines()
        assert calls.count("get clusters") == 1, calls
        assert sorted(c for c in calls if c.startswith("create")) == [
            "create cluster --name alpha",
            "create cluster --name beta",
        ]
        # After the creates, the list is asked again and sees them.
        assert {"alpha", "beta"} <= set(existing_clusters(ctx))  # type: ignore[arg-type]
        assert log.read_text().splitlines().count("get clusters") == 2
        # A new step asks afresh too.
        ctx.begin_step("t")  # type: ignore[attr-defined]
        existing_clusters(ctx)  # type: ignore[arg-type]
        assert log.read_text().splitlines().count("get clusters") == 3
        assert "alpha" in listed.read_text()
    finally:
        runner.reset()

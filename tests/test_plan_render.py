"""`show` and `--dry-run` render a tutorial before anything ran (issue 14: each tutorial's plan renders).

A value a later step reads from an earlier one (quick-start curls the pod IP it read) is shown as the
doc's shell variable; a dry run resolves the plan, executes nothing and exits 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lines_cli import hermetic_env, tutor

TUTORIALS = ["service-offloading", "quick-start", "offloading-with-policies", "replicated-deployments",
             "stateful-applications"]


@pytest.mark.parametrize("name", TUTORIALS)
def test_dry_run_renders_and_exits_0(tmp_path: Path, name: str) -> None:
    env = hermetic_env(tmp_path / "home", "v1.2.0")
    res = tutor(tmp_path, env, "run", name, "--simulate", "--dry-run", "--no-color")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "nothing was executed" in res.stdout + res.stderr
    assert "!!" not in res.stdout + res.stderr and "pending" not in res.stdout + res.stderr
    assert "would run" in res.stdout + res.stderr
    assert not list(tmp_path.glob("liqo_kubeconf_*")), "a dry run created a cluster"


def test_show_names_a_later_value_by_the_docs_shell_variable(tmp_path: Path) -> None:
    env = hermetic_env(tmp_path / "home", "v1.2.0")
    res = tutor(tmp_path, env, "show", "quick-start", "--no-color")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "LOCAL_POD_IP=$(kubectl get pod nginx-local" in res.stdout
    assert "-- curl $LOCAL_POD_IP" in res.stdout  # unquoted: it pastes after the line above
    assert "is not set" not in res.stdout + res.stderr

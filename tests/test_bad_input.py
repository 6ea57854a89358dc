"""Bad input of every kind: exit code 2, one `error:` line (file:line for YAML) and a hint; nothing runs.

The real CLI and engine in-process (typer's CliRunner); none of these cases may start a child process,
which the `no_children` fixture enforces by making the runner's seam fail loudly.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from liqo_tutor import cli
from liqo_tutor.tools import runner

REPO = Path(__file__).resolve().parents[1]
BROKEN = sorted((REPO / "tests" / "data" / "broken").glob("*.yaml"))


@pytest.fixture
def wd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"bad input must not run anything: {args!r}")

    monkeypatch.setattr(runner, "run", refuse)
    return work


def invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli.app, list(args))
    return res.exit_code, res.stderr + res.stdout


def assert_usage_error(code: int, out: str, pattern: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out
    assert re.search(pattern, errors[0]), f"{pattern!r} not in {errors[0]!r}"


# ---- broken tutorial files: file:line and the field ------------------------------------------------


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_tutorial_files_point_at_file_and_line(wd: Path, path: Path) -> None:
    code, out = invoke("validate", str(path))
    assert_usage_error(code, out, rf"{re.escape(path.name)}:\d+(:\d+)?: ")


def test_broken_tutorials_are_enough() -> None:
    assert len(BROKEN) >= 20


def _steps_copy(tmp_path: Path, edit: Callable[[dict[str, object]], None]) -> Path:
    """A --steps-dir with an edited copy of the real tutorial (and the real manifests next to it)."""
    root = tmp_path / "tut"
    shutil.copytree(REPO / "steps", root / "steps")
    shutil.copytree(REPO / "manifests", root / "manifests")
    path = root / "steps" / "service-offloading.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "steps"


def _set_var(name: str, value: str) -> Callable[[dict[str, object]], None]:
    def edit(data: dict[str, object]) -> None:
        data["vars"][name] = value  # type: ignore[index]

    return edit


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("liqo-demo; rm -rf ~", ";"),
        ("$(whoami)", "$"),
        ("demo && echo pwned", "&"),
        ("`id`", "`"),
        ("demo | tee x", "|"),
        ("demo > /etc/passwd", ">"),
    ],
)
def test_shell_syntax_in_a_variable_is_refused_at_its_line(wd: Path, tmp_path: Path, value: str,
                                                            shown: str) -> None:
    steps = _steps_copy(tmp_path, _set_var("namespace", value))
    code, out = invoke("run", "--steps-dir", str(steps))
    assert_usage_error(code, out, r"service-offloading\.yaml:\d+: vars\.namespace: .*shell syntax")
    assert shown in out and "never go through a shell" in out


def test_missing_manifest_in_a_run_is_named(wd: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, object]) -> None:
        step = next(s for s in data["steps"] if s["id"] == "offload")  # type: ignore[attr-defined]
        for action in step["actions"]:
            if "apply" in str(action.get("run", "")):
                action["run"] = action["run"].replace("app.yaml", "no-such-app.yaml")

    code, out = invoke("run", "--steps-dir", str(_steps_copy(tmp_path, edit)))
    assert_usage_error(code, out, r"service-offloading\.yaml:\d+: .*missing manifest no-such-app\.yaml")


# ---- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["run", "no-such-tutorial"], r"unknown tutorial 'no-such-tutorial'"),
        (["step", "no-such-step"], r"unknown step 'no-such-step'.*provision"),
        (["run", "--from", "nope"], r"unknown step 'nope'"),
        (["run", "--to", "nope"], r"unknown step 'nope'"),
        (["run", "--bogus"], r"No such option: --bogus"),
        (["run", "--line", "v9"], r"--line"),
        (["run", "--timeout-scale", "0"], r"--timeout-scale must be positive"),
        (["run", "--timeout-scale", "-2"], r"--timeout-scale must be positive"),
        (["run", "--timeout-scale", "soon"], r"--timeout-scale"),
        (["run", "--cluster", "london"], r"expected NAME=KUBECONFIG"),
        (["run", "--cluster", "paris=/tmp/x.yaml"], r"unknown cluster 'paris'"),
        (["run", "--cluster", "london=/no/such/kubeconfig"], r"--cluster london: .*no such file"),
        (["run", "--steps-dir", "/no/such/dir"], r"unknown tutorial"),
        (["frobnicate"], r"No such command"),
        (["validate", "/no/such/tutorial.yaml"], r"no such file"),
    ],
)
def test_command_line_mistakes(wd: Path, args: list[str], pattern: str) -> None:
    code, out = invoke(*args)
    assert_usage_error(code, out, pattern)


def test_a_corrupt_kubeconfig_given_with_cluster(wd: Path) -> None:
    (wd / "london.yaml").write_text("apiVersion: v1\nclusters: [\n")
    code, out = invoke("run", "--cluster", "london=london.yaml")
    assert_usage_error(code, out, r"--cluster london: kubeconfig .*london\.yaml: not valid YAML at line \d+")
    assert "hint:" in out


def test_a_corrupt_kubeconfig_written_by_the_tutorial(wd: Path) -> None:
    (wd / "liqo_kubeconf_london").write_text("token: s3cr3t-v4lue-n0t-shown\n")
    code, out = invoke("run")
    assert_usage_error(code, out, r"kubeconfig of cluster london, .*liqo_kubeconf_london, is corrupt")
    assert "s3cr3t" not in out and "liqo-tutor teardown" in out


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("{not json", r"state file .* is corrupt"),
        ("[]", r"state file .* is corrupt \(unknown format\)"),
        ('{"format": 1, "steps": ["x"]}', r"state file .* is corrupt"),
        ("\x00\x01\x02", r"state file .* is corrupt"),
    ],
    ids=["syntax", "list", "wrong-shape", "binary"],
)
def test_a_corrupt_state_file(wd: Path, content: str, pattern: str) -> None:
    (wd / ".liqo-tutor").mkdir()
    (wd / ".liqo-tutor" / "state.json").write_text(content)
    code, out = invoke("run")
    assert_usage_error(code, out, pattern)
    assert "liqo-tutor teardown" in out


def test_missing_or_file_workdir(wd: Path) -> None:
    code, out = invoke("run", "--workdir", str(wd / "missing"))
    assert_usage_error(code, out, r"workdir .*missing does not exist")
    (wd / "a-file").write_text("")
    code, out = invoke("run", "--workdir", str(wd / "a-file"))
    assert_usage_error(code, out, r"is a file")


def test_unwritable_workdir(wd: Path) -> None:
    # Works as root too: the state directory cannot be created when a file has its name.
    blocked = wd / "blocked"
    blocked.mkdir()
    (blocked / ".liqo-tutor").write_text("")
    code, out = invoke("run", "--workdir", str(blocked))
    assert_usage_error(code, out, r"workdir .*blocked is not writable")
    if os.geteuid() != 0:
        ro = wd / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        try:
            code, out = invoke("teardown", "--workdir", str(ro))
            assert_usage_error(code, out, r"not writable")
        finally:
            ro.chmod(0o755)


def test_bad_fault_rule_is_named(tmp_path: Path) -> None:
    """The playground's own input: a wrong LIQO_TUTOR_SIM_FAULTS rule stops the simulated tool with 2."""
    import subprocess
    import sys

    env = dict(os.environ, LIQO_TUTOR_SIM_FAULTS="kind create:explode", LIQO_TUTOR_SIM_DIR=str(tmp_path))
    res = subprocess.run([sys.executable, "-m", "liqo_tutor.sim.tools", "kind", "get", "clusters"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "kind create:explode" in res.stderr and "unknown mode" in res.stderr

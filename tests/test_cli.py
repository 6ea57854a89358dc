"""cli.py through typer's CliRunner: the engine's entry points replaced (they return real RunResult,
StatusReport and Plan objects), a fake playground module in sys.modules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from liqo_tutor import cli, cli_options
from liqo_tutor import engine as real_engine
from liqo_tutor.engine import (
    ClusterRef,
    ClusterStatus,
    Plan,
    PlanCommand,
    PlanStep,
    RunOptions,
    StatusReport,
)
from liqo_tutor.errors import InputError, StepFailed
from liqo_tutor.results import CheckResult, Reporter, RunResult, Status, StepResult
from liqo_tutor.tools import runner as tool_runner


class FakeEngine:
    """Stands in for the engine's entry points (patched onto the real module): records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, RunOptions]] = []
        self.behaviour: Callable[[], None] | None = None
        self.result = RunResult("service-offloading", "v1", (
            StepResult("provision", "Provision", Status.PASSED, duration=1.0),
            StepResult("peer", "Peer", Status.PASSED, duration=2.0,
                       checks=(CheckResult("newyork is peered", Status.PASSED),)),
        ), 3.0)

    def _call(self, name: str, tutorial: str | None, opts: RunOptions, reporter: Reporter | None = None) -> RunResult:
        self.calls.append((name, tutorial, opts))
        if self.behaviour is not None:
            self.behaviour()
        if reporter is not None:
            reporter.run_started(self.result.tutorial, "Offloading a Service", self.result.line,
                                 [s.step_id for s in self.result.steps])
            for step in self.result.steps:
                reporter.step_started(step.step_id, step.title, "")
                reporter.step_finished(step)
            reporter.run_finished(self.result)
        return self.result

    def run(self, tutorial: str | None, opts: RunOptions, reporter: Reporter) -> RunResult:
        return self._call("run", tutorial, opts, reporter)

    def run_step(self, tutorial: str | None, step_id: str, opts: RunOptions, reporter: Reporter) -> RunResult:
        return self._call(f"step:{step_id}", tutorial, opts, reporter)

    def teardown(self, tutorial: str | None, opts: RunOptions, reporter: Reporter) -> RunResult:
        return self._call("teardown", tutorial, opts, reporter)

    def status(self, tutorial: str | None, opts: RunOptions) -> StatusReport:
        self._call("status", tutorial, opts)
        return StatusReport(tutorial="service-offloading", line="v1",
                            steps={"provision": "done", "peer": "pending"},
                            clusters=[ClusterStatus(name="london", exists=True, kubeconfig="",
                                                    created_by_us=True)])

    def plan(self, tutorial: str | None, opts: RunOptions) -> Plan:
        self._call("plan", tutorial, opts)
        peer = PlanStep(id="peer", title="Peer", explain="Peer them.", teardown=False,
                        commands=(PlanCommand("london", "liqoctl peer --remote-kubeconfig liqo_kubeconf_newyork"),),
                        checks=("newyork is peered",))
        return Plan(tutorial="service-offloading", title="Offloading a Service", line="v1",
                    liqo_version="v1.2.0", steps=(peer,), exports=())

    def env_exports(self, tutorial: str | None, opts: RunOptions) -> list[tuple[str, str]]:
        self._call("env", tutorial, opts)
        return [("KUBECONFIG", str(opts.workdir / "liqo_kubeconf_london")),
                ("KUBECONFIG_NEWYORK", str(opts.workdir / "liqo_kubeconf_newyork"))]


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    for name in ("run", "run_step", "teardown", "status", "plan", "env_exports"):
        monkeypatch.setattr(real_engine, name, getattr(fake, name))
    return fake


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    mod = types.ModuleType("liqo_tutor.sim")

    def simdir_for(workdir: Path) -> Path:
        return workdir / ".liqo-tutor" / "sim"

    def ensure_bin(simdir: Path) -> Path:
        (simdir / "bin").mkdir(parents=True, exist_ok=True)
        return simdir / "bin"

    def sim_env(simdir: Path, workdir: Path) -> dict[str, str]:
        return {"LIQO_TUTOR_SIM_DIR": str(simdir)}

    mod.simdir_for = simdir_for  # type: ignore[attr-defined]
    mod.ensure_bin = ensure_bin  # type: ignore[attr-defined]
    mod.sim_env = sim_env  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "liqo_tutor.sim", mod)
    return mod


@pytest.fixture
def wd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture(autouse=True)
def _runner_state() -> Any:
    tool_runner.reset()
    yield
    tool_runner.reset()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli.app, list(args))


def test_list_plain_and_json(engine: FakeEngine, wd: Path, tmp_path: Path) -> None:
    steps = tmp_path / "steps"
    steps.mkdir()
    (steps / "service-offloading.yaml").write_text("name: service-offloading\ntitle: Offloading a Service\n")
    res = invoke("list", "--steps-dir", str(steps))
    assert res.exit_code == 0
    assert res.stdout == "service-offloading  Offloading a Service\n"
    res = invoke("list", "--json", "--steps-dir", str(steps))
    assert json.loads(res.stdout) == [{"name": "service-offloading", "title": "Offloading a Service",
                                       "clusters": [], "lines": {}}]


def test_run_builds_run_options_from_the_flags(engine: FakeEngine, wd: Path, tmp_path: Path) -> None:
    kc = tmp_path / "london.yaml"
    res = invoke("run", "service-offloading", "--from", "peer", "--to", "offload", "--teardown", "--restart",
                 "--sequential", "--replace", "--line", "v0", "--timeout-scale", "2.5",
                 "--cluster", f"london={kc}@kind-london", "--cluster", "newyork=ny.yaml")
    assert res.exit_code == 0, res.output
    name, tutorial, opts = engine.calls[0]
    assert (name, tutorial) == ("run", "service-offloading")
    assert opts.workdir == wd.resolve()
    assert (opts.from_step, opts.to_step, opts.line, opts.timeout_scale) == ("peer", "offload", "v0", 2.5)
    assert opts.teardown_after and opts.restart and opts.sequential and opts.replace and not opts.dry_run
    assert opts.clusters == {"london": ClusterRef(kc, "kind-london"),
                             "newyork": ClusterRef(wd.resolve() / "ny.yaml", None)}
    assert opts.env["PATH"] == os.environ["PATH"]  # no --simulate: the environment as it is
    assert "== provision: Provision ==" in res.stdout and "Summary" in res.stdout
    assert (wd / ".liqo-tutor" / "transcript.jsonl").parent.is_dir()


def test_failed_step_exits_1_and_json_is_the_run_result(engine: FakeEngine, wd: Path) -> None:
    failed = StepResult("peer", "Peer", Status.FAILED, duration=2.0, message="peering not established",
                        checks=(CheckResult("newyork is peered", Status.FAILED, expected="Established",
                                            seen="Pending"),), rerun="kubectl get foreignclusters")
    engine.result = RunResult("service-offloading", "v1", (engine.result.steps[0], failed), 3.0)
    res = invoke("run", "--json")
    assert res.exit_code == 1
    data = json.loads(res.stdout)  # stdout holds only the JSON; progress went to stderr
    assert data["ok"] is False and data["tutorial"] == "service-offloading" and data["line"] == "v1"
    assert [(s["id"], s["status"]) for s in data["steps"]] == [("provision", "passed"), ("peer", "failed")]
    assert data["steps"][1]["checks"][0] == {"claim": "newyork is peered", "status": "failed",
                                             "expected": "Established", "seen": "Pending", "duration_s": 0.0,
                                             "message": "", "hint": None}
    # One JSON shape of a run: --json prints what --report writes (data/schemas/report.schema.json).
    import jsonschema

    from liqo_tutor.report import SCHEMA
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert "peering not established" in res.stderr


def test_errors_map_to_exit_codes_with_one_line(engine: FakeEngine, wd: Path) -> None:
    def bad_input() -> None:
        raise InputError("unknown step 'peer2'", hint="`liqo-tutor show` lists the steps")

    engine.behaviour = bad_input
    res = invoke("step", "peer2")
    assert res.exit_code == 2
    assert res.stderr == "error: unknown step 'peer2'\nhint: `liqo-tutor show` lists the steps\n"

    def not_ready() -> None:
        raise StepFailed("step peer needs provision first")

    engine.behaviour = not_ready
    res = invoke("step", "peer")
    assert res.exit_code == 1 and "provision" in res.stderr and "Traceback" not in res.output


def test_ctrl_c_stops_children_and_says_how_to_go_on(engine: FakeEngine, wd: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[float] = []
    monkeypatch.setattr(tool_runner, "terminate_all", lambda grace=3.0: stopped.append(grace))

    def interrupt() -> None:
        raise KeyboardInterrupt

    engine.behaviour = interrupt
    res = invoke("run")
    assert res.exit_code == 130
    assert stopped == [cli.TERMINATE_GRACE]
    assert "liqo-tutor run" in res.stderr and "liqo-tutor teardown" in res.stderr


def test_sigterm_is_handled_like_ctrl_c(engine: FakeEngine, wd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[float] = []
    monkeypatch.setattr(tool_runner, "terminate_all", lambda grace=3.0: stopped.append(grace))

    def sigterm() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # interrupted by the handler

    engine.behaviour = sigterm
    before = signal.getsignal(signal.SIGTERM)
    res = invoke("teardown")
    assert res.exit_code == 130 and stopped
    assert signal.getsignal(signal.SIGTERM) is before  # restored


def test_unexpected_error_exits_3_with_a_crash_log(engine: FakeEngine, wd: Path) -> None:
    def boom() -> None:
        raise RuntimeError("engine bug")

    engine.behaviour = boom
    res = invoke("run")
    assert res.exit_code == 3
    assert "Traceback" not in res.output
    log = wd / ".liqo-tutor" / "crash.log"
    assert str(log) in res.stderr and len(res.stderr.strip().splitlines()) == 1
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: engine bug" in text and "typer" in text


@pytest.mark.parametrize("args", [
    ["run", "--bogus"],
    ["run", "--line", "v9"],
    ["step"],
    ["nosuchcommand"],
    ["run", "--cluster", "london"],
    ["run", "--timeout-scale", "0"],
])
def test_usage_errors_exit_2_with_one_line(engine: FakeEngine, wd: Path, args: list[str]) -> None:
    res = invoke(*args)
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    lines = [line for line in res.stderr.splitlines() if not line.startswith("hint:")]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr


def test_workdir_must_exist_and_be_writable(engine: FakeEngine, wd: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    res = invoke("run", "--workdir", str(tmp_path / "missing"))
    assert res.exit_code == 2 and "does not exist" in res.stderr
    monkeypatch.setattr(cli_options.os, "access", lambda path, mode: False)
    res = invoke("run")
    assert res.exit_code == 2 and "not writable" in res.stderr and "--workdir" in res.stderr
    assert engine.calls == []


def test_env_lines_and_simulate_composition(engine: FakeEngine, sim: types.ModuleType, wd: Path) -> None:
    res = invoke("env")
    assert res.exit_code == 0
    work = wd.resolve()
    assert res.stdout.splitlines() == [f"export KUBECONFIG={work}/liqo_kubeconf_london",
                                       f"export KUBECONFIG_NEWYORK={work}/liqo_kubeconf_newyork"]
    res = invoke("env", "--simulate", "--json")
    data = json.loads(res.stdout)
    simdir = work / ".liqo-tutor" / "sim"
    assert data["LIQO_TUTOR_SIM_DIR"] == str(simdir)
    parts = data["PATH"].split(os.pathsep)
    original = [p for p in os.environ["PATH"].split(os.pathsep) if p]
    assert parts == [str(simdir / "bin"), *original, str(Path(sys.executable).parent)]

    res = invoke("run", "--simulate")
    assert res.exit_code == 0
    opts = engine.calls[-1][2]
    assert opts.env["PATH"] == data["PATH"] and opts.env["LIQO_TUTOR_SIM_DIR"] == str(simdir)
    assert opts.env["HOME"] == os.environ["HOME"]  # the rest of the environment is kept


def test_status_and_show(engine: FakeEngine, wd: Path) -> None:
    res = invoke("status", "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["steps"] == {"provision": "done", "peer": "pending"}
    assert data["clusters"] == [{"name": "london", "exists": True, "kubeconfig": "", "created_by_us": True}]
    res = invoke("status")
    assert "  provision  done" in res.stdout and "london  exists" in res.stdout
    res = invoke("show", "service-offloading")
    assert res.exit_code == 0 and "$ liqoctl peer --remote-kubeconfig liqo_kubeconf_newyork" in res.stdout
    assert engine.calls[-1][2].dry_run
    assert json.loads(invoke("show", "--json").stdout)["steps"][0]["id"] == "peer"


def test_version_and_help() -> None:
    res = invoke("--version")
    assert res.exit_code == 0 and res.stdout.startswith("liqo-tutor ")
    res = invoke("--help")
    assert res.exit_code == 0 and "run" in res.stdout and "teardown" in res.stdout


def test_python_m_and_lazy_imports() -> None:
    res = subprocess.run([sys.executable, "-m", "liqo_tutor", "--version"], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 0 and res.stdout.startswith("liqo-tutor")
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, liqo_tutor.cli; print(sorted(m for m in ('sh', 'rich', 'pydantic', "
         "'liqo_tutor.engine') if m in sys.modules))"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert probe.stdout.strip() == "[]", probe.stdout + probe.stderr

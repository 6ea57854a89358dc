"""Engine with fake kind/kubectl/liqoctl scripts on PATH: order, skip/resume, failures, teardown guards."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from liqo_tutor import engine
from liqo_tutor.errors import InputError, StepFailed, ToolNotFound
from liqo_tutor.results import CheckResult, CommandResult, RunResult, Status, StepResult
from liqo_tutor.tools import runner

DATA = Path(__file__).parent / "data"

# One fake for the three tools: state is files in $FAKE_STATE, every argv is logged.
FAKE = textwrap.dedent("""\
    import json, os, sys
    from pathlib import Path
    st = Path(os.environ["FAKE_STATE"]); tool = os.environ["FAKE_TOOL"]; args = sys.argv[1:]
    (st / "clusters").mkdir(parents=True, exist_ok=True)
    with open(st / "log", "a") as fh:
        fh.write(json.dumps([tool] + args) + "\\n")
    fail = os.environ.get("FAKE_FAIL", "")
    def opt(name):
        return args[args.index(name) + 1] if name in args else None
    def who():
        kc = opt("--kubeconfig")
        if kc is None or not Path(kc).exists():
            print("error: stat %s: no such file or directory" % kc, file=sys.stderr); sys.exit(1)
        return Path(kc).read_text().strip()
    if tool == "kind":
        if args[:2] == ["get", "clusters"]:
            for c in sorted(p.name for p in (st / "clusters").iterdir()): print(c)
        elif args[:2] == ["create", "cluster"]:
            (st / "clusters" / opt("--name")).touch(); Path(opt("--kubeconfig")).write_text(opt("--name"))
        elif args[:2] == ["delete", "cluster"]:
            p = st / "clusters" / opt("--name")
            if p.exists(): p.unlink()
        sys.exit(0)
    if tool == "liqoctl":
        if args[:2] == ["version", "--client"]:
            print("Client version: " + os.environ.get("FAKE_LIQO", "v1.2.0")); sys.exit(0)
        if args[0] == "generate":
            print(os.environ["FAKE_PEER_LINE"]); sys.exit(0)
        c = who()
        if args[0] in fail.split(","):
            print("ERRO: %s failed on purpose" % args[0], file=sys.stderr); sys.exit(1)
        if args[0] == "install": (st / ("installed-" + c)).touch(); (st / ("crds-" + c)).touch()
        if args[0] == "uninstall": (st / ("installed-" + c)).unlink()
        if args[0] == "peer": (st / "peered").touch()
        if args[0] == "unpeer": (st / "peered").unlink()
        sys.exit(0)
    if tool == "kubectl":
        c = who()
        if args[:2] == ["get", "crds"]:
            if not (st / ("crds-" + c)).exists(): sys.exit(1)
            print("crds"); sys.exit(0)
        if args[:2] == ["get", "ready"]:
            print("ready" if (st / ("installed-" + c)).exists() else "not ready"); sys.exit(0)
        if args[:2] == ["get", "foreignclusters"]:
            if not (st / "peered").exists():
                print("No resources found", file=sys.stderr)
                sys.exit(1 if len(args) > 2 and not args[2].startswith("-") else 0)
            print("NAME   ROLE       AGE"); print("beta   Provider   1s"); sys.exit(0)
        if args[:2] == ["get", "--raw"]:
            print(json.dumps([{"id": 1}] if c == "alpha" else [{"id": 1}, {"id": 2}])); sys.exit(0)
    print("fake: unhandled", args, file=sys.stderr); sys.exit(2)
""")


@dataclass
class Recorder:
    events: list[tuple[str, str]] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)

    def run_started(self, tutorial: str, title: str, line: str | None, steps: list[str]) -> None:
        self.events.append(("run", f"{tutorial} {line}"))

    def step_started(self, step_id: str, title: str, explain: str) -> None:
        self.events.append(("step", step_id))

    def command_started(self, display: str, cluster: str | None) -> None:
        self.events.append(("cmd", display))

    def command_finished(self, result: CommandResult) -> None:
        self.events.append(("done", result.display))

    def check_finished(self, step_id: str, check: CheckResult) -> None:
        self.events.append(("check", check.claim))

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        self.events.append(("output", label))

    def note(self, text: str) -> None:
        self.events.append(("note", text))

    def step_finished(self, result: StepResult) -> None:
        self.steps.append(result)

    def run_finished(self, result: RunResult) -> None:
        self.events.append(("end", str(result.ok)))


@dataclass
class World:
    workdir: Path
    state: Path
    env: dict[str, str]

    def opts(self, **kw: object) -> engine.RunOptions:
        return engine.RunOptions(workdir=self.workdir, env=self.env, steps_dir=DATA / "steps", **kw)  # type: ignore[arg-type]

    def log(self) -> list[list[str]]:
        path = self.state / "log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "fake.py"
    script.write_text(FAKE)
    for tool in ("kind", "kubectl", "liqoctl"):
        shim = bindir / tool
        shim.write_text(f'#!/bin/sh\nFAKE_TOOL={tool} exec {sys.executable} {script} "$@"\n')
        shim.chmod(0o755)
    workdir = tmp_path / "work"
    workdir.mkdir()
    state = tmp_path / "fakestate"
    (state / "clusters").mkdir(parents=True)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path), "FAKE_STATE": str(state)}
    yield World(workdir, state, env)
    runner.reset()


def statuses(result: RunResult) -> dict[str, Status]:
    return {s.step_id: s.status for s in result.steps}


def test_full_run_orders_per_cluster_and_records_state(world: World) -> None:
    rec = Recorder()
    result = engine.run("minimal", world.opts(), rec)
    assert result.ok, [s.message for s in result.steps]
    assert result.line == "v1"
    assert statuses(result) == {"provision": Status.PASSED, "peer": Status.PASSED, "consume": Status.PASSED}
    log = world.log()
    for c in ("alpha", "beta"):
        create = next(i for i, x in enumerate(log) if x[:3] == ["kind", "create", "cluster"] and c in x)
        install = next(i for i, x in enumerate(log) if x[:2] == ["liqoctl", "install"] and c in x)
        assert create < install
    install = next(x for x in log if x[:2] == ["liqoctl", "install"] and "beta" in x)
    assert "--cluster-id" in install and "--cluster-labels=zone=b" in install and "v1.2.0" in install
    assert str(world.workdir / "kc_beta") in install  # the cluster's kubeconfig is always explicit
    peer = next(x for x in log if x[:2] == ["liqoctl", "peer"])
    assert peer[peer.index("--remote-kubeconfig") + 1] == str(world.workdir / "kc_beta")
    assert peer[peer.index("--kubeconfig") + 1] == str(world.workdir / "kc_alpha")
    state = json.loads((world.workdir / ".liqo-tutor" / "state.json").read_text())
    assert state["steps"] == {"provision": "done", "peer": "done", "consume": "done"}
    assert sorted(state["clusters_created"]) == ["alpha", "beta"]
    assert ("run", "minimal v1") in rec.events


def test_rerun_skips_steps_that_hold_live(world: World) -> None:
    assert engine.run("minimal", world.opts(), Recorder()).ok
    before = len(world.log())
    again = engine.run("minimal", world.opts(), Recorder())
    assert statuses(again)["provision"] == Status.SKIPPED and statuses(again)["peer"] == Status.SKIPPED
    assert statuses(again)["consume"] == Status.PASSED  # its claims need fresh responses
    assert not any(x[:2] == ["kind", "create"] for x in world.log()[before:])
    # The clusters are the truth: a lost peering makes `peer` run again.
    (world.state / "peered").unlink()
    third = engine.run("minimal", world.opts(), Recorder())
    assert statuses(third)["peer"] == Status.PASSED


def test_failed_step_is_a_result_with_rerun_and_stops(world: World) -> None:
    world.env["FAKE_FAIL"] = "peer"
    result = engine.run("minimal", world.opts(), Recorder())
    assert not result.ok
    failed = result.steps[-1]
    assert failed.step_id == "peer" and failed.status == Status.FAILED
    assert failed.rerun is not None and failed.rerun.startswith("liqoctl peer --remote-kubeconfig")
    assert "failed on purpose" in failed.message
    assert "consume" not in statuses(result)
    state = json.loads((world.workdir / ".liqo-tutor" / "state.json").read_text())
    assert state["steps"]["peer"] == "failed"


def test_failed_check_reports_expected_and_seen(world: World) -> None:
    world.env["FAKE_FAIL"] = "install"
    result = engine.run("minimal", world.opts(), Recorder())
    prov = result.steps[0]
    assert prov.status == Status.FAILED and "install" in (prov.rerun or "")


def test_step_needs_earlier_steps(world: World) -> None:
    with pytest.raises(StepFailed) as info:
        engine.run_step("minimal", "peer", world.opts(), Recorder())
    assert "provision" in info.value.message and "liqo-tutor step provision" in (info.value.hint or "")


def test_teardown_from_partial_state_uses_guards_and_removes_files(world: World) -> None:
    assert engine.run("minimal", world.opts(to_step="provision"), Recorder()).ok
    (world.state / "clusters" / "other").touch()  # someone else's cluster
    rec = Recorder()
    result = engine.teardown("minimal", world.opts(), rec)
    assert result.ok, [s.message for s in result.steps]
    log = world.log()
    assert not any(x[:2] == ["liqoctl", "unpeer"] for x in log)  # guard: never peered
    assert {x[x.index("--name") + 1] for x in log if x[:3] == ["kind", "delete", "cluster"]} == {
        "alpha",
        "beta",
    }
    assert sorted(p.name for p in (world.state / "clusters").iterdir()) == ["other"]
    assert not (world.workdir / "kc_alpha").exists() and not (world.workdir / "kc_beta").exists()
    assert any(kind == "note" and "nothing left behind" in text for kind, text in rec.events)
    # A second teardown finds nothing and does not fail.
    assert engine.teardown("minimal", world.opts(), Recorder()).ok


def test_foreign_cluster_with_same_name_stops_provisioning(world: World) -> None:
    (world.state / "clusters" / "alpha").touch()
    result = engine.run("minimal", world.opts(sequential=True), Recorder())
    prov = result.steps[0]
    assert prov.status == Status.FAILED
    assert 'kind cluster named "alpha" already exists and was not created by liqo-tutor' in prov.message
    assert "--replace" in (prov.hint or "")
    replaced = engine.run("minimal", world.opts(replace=True), Recorder())
    assert replaced.ok


def test_missing_tools_stop_with_a_hint(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    world.env["PATH"] = str(empty)
    with pytest.raises(ToolNotFound) as info:
        engine.run("minimal", world.opts(), Recorder())
    assert "kubectl, liqoctl" in info.value.message and "--simulate" in (info.value.hint or "")


def test_v0_generated_peer_command_runs_on_the_consumer(world: World) -> None:
    token = "cd" * 64
    world.env["FAKE_LIQO"] = "v0.10.3"
    world.env["FAKE_PEER_LINE"] = (
        "liqoctl peer out-of-band beta --auth-url https://172.18.0.3:30001 "
        f"--cluster-id 3f0e1c2a-1b2c-4d3e-8f9a-0123456789ab --auth-token {token}"
    )
    rec = Recorder()
    result = engine.run("minimal", world.opts(), rec)
    assert result.line == "v0" and result.ok, [s.message for s in result.steps]
    peer = next(x for x in world.log() if x[:3] == ["liqoctl", "peer", "out-of-band"])
    assert peer[peer.index("--kubeconfig") + 1] == str(world.workdir / "kc_alpha")
    shown = " ".join(text for _, text in rec.events) + json.dumps(
        [s.commands[0].stdout for s in result.steps if s.commands]
    )
    assert token not in shown
    assert "--cluster-name" in next(x for x in world.log() if x[:2] == ["liqoctl", "install"])


def test_refused_generated_command_fails_the_step(world: World) -> None:
    world.env["FAKE_LIQO"] = "v0.10.3"
    world.env["FAKE_PEER_LINE"] = "liqoctl peer out-of-band beta; rm -rf ~"
    result = engine.run("minimal", world.opts(), Recorder())
    assert statuses(result)["peer"] == Status.FAILED
    assert "shell syntax" in result.steps[-1].message


def test_plan_and_exports_without_running(world: World) -> None:
    p = engine.plan("minimal", world.opts(line="v1"))
    peer = next(s for s in p.steps if s.id == "peer")
    assert any("liqoctl peer --remote-kubeconfig" in c.display for c in peer.commands)
    assert p.to_json()["line"] == "v1"
    assert engine.env_exports("minimal", world.opts()) == [
        ("KUBECONFIG", str(world.workdir / "kc_alpha")),
        ("KUBECONFIG_BETA", str(world.workdir / "kc_beta")),
    ]
    assert not world.log() or all(x[:2] == ["liqoctl", "version"] for x in world.log())


def test_status_and_corrupt_state(world: World) -> None:
    assert engine.run("minimal", world.opts(to_step="provision"), Recorder()).ok
    report = engine.status(None, world.opts()).to_json()
    assert report["tutorial"] == "minimal" and report["steps"]["provision"] == "done"
    assert [(c["name"], c["exists"]) for c in report["clusters"]] == [("alpha", True), ("beta", True)]
    (world.workdir / ".liqo-tutor" / "state.json").write_text("{not json")
    from liqo_tutor.errors import InputError

    with pytest.raises(InputError, match="corrupt") as info:
        engine.status(None, world.opts())
    assert "teardown" in (info.value.hint or "")


def test_another_tutorial_in_progress_stops_at_once(world: World, tmp_path: Path) -> None:
    """A workdir holds one tutorial's progress (issue 14): another one stops before running anything,
    saying what to do; once the first is torn down, the other runs there."""
    assert engine.run("minimal", world.opts(to_step="provision"), Recorder()).ok
    data = tmp_path / "data2"
    shutil.copytree(DATA, data)
    text = (data / "steps" / "minimal.yaml").read_text()
    (data / "steps" / "other.yaml").write_text(text.replace("name: minimal", "name: other", 1))
    opts = dataclasses.replace(world.opts(), steps_dir=data / "steps")
    before = len(world.log())
    calls = {
        "run": lambda: engine.run("other", opts, Recorder()),
        "step": lambda: engine.run_step("other", "peer", opts, Recorder()),
        "teardown": lambda: engine.teardown("other", opts, Recorder()),
        "status": lambda: engine.status("other", opts),
    }
    for name, call in calls.items():
        with pytest.raises(InputError) as info:
            call()
        assert "minimal" in info.value.message and "other" in info.value.message, name
        assert "liqo-tutor teardown minimal" in (info.value.hint or "") and "--workdir" in (info.value.hint or "")
    assert len(world.log()) == before  # nothing ran, not even a version probe
    state = json.loads((world.workdir / ".liqo-tutor" / "state.json").read_text())
    assert state["tutorial"] == "minimal" and state["steps"]["provision"] == "done"
    assert engine.plan("other", opts).tutorial == "other"  # reading a plan is fine
    assert engine.teardown("minimal", world.opts(), Recorder()).ok
    assert engine.run("other", opts, Recorder()).ok


def test_a_background_command_left_by_a_crashed_run_is_stopped_and_said(world: World) -> None:
    """background.py records each background command; the next run or teardown stops one still running."""
    import subprocess
    import time

    from liqo_tutor.background import background_dir

    # Stands in for a port-forward a killed run left behind (its own process group, as background.py starts it).
    sleeper = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        record = background_dir(world.workdir) / f"{sleeper.pid}.json"
        record.parent.mkdir(parents=True)
        record.write_text(json.dumps({"pid": sleeper.pid, "argv": ["sleep", "120"]}))
        rec = Recorder()
        assert engine.teardown("minimal", world.opts(), rec).ok
        deadline = time.monotonic() + 30
        while sleeper.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sleeper.poll() is not None
        assert any(kind == "note" and "left running: sleep 120" in text for kind, text in rec.events)
        assert not record.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("partial", ["kubeconfig gone", "never installed"])
def test_teardown_verifies_nothing_where_nothing_was_undone(world: World, tmp_path: Path, partial: str) -> None:
    """Teardown from a partial state: on beta nothing is undone (its kubeconfig is gone, or Liqo never got
    installed there), so its `each:` claims have nothing to ask (one of them would fail there); alpha's
    claims are still verified."""
    data = tmp_path / "data2"
    shutil.copytree(DATA, data)
    path = data / "steps" / "minimal.yaml"
    uninstall = textwrap.dedent("""\
          - id: uninstall
            title: Uninstall
            teardown: true
            explain: Uninstall.
            actions:
              - run: liqoctl uninstall
                each: true
                guards:
                  - claim: Liqo is installed in {cluster}
                    command: kubectl get ready
                    stdout: ready
            checks:
              - claim: Liqo is gone from {cluster}
                command: kubectl get ready
                each: true
                stdout: not ready
                timeout: 1s
              - claim: its CRDs stay in {cluster}
                command: kubectl get crds
                each: true
                stdout: crds
                timeout: 1s
        """)
    text = path.read_text()
    path.write_text(text.replace("  - id: delete-clusters\n", textwrap.indent(uninstall, "  ") + "  - id: delete-clusters\n", 1))
    opts = dataclasses.replace(world.opts(), steps_dir=data / "steps")
    assert engine.run("minimal", dataclasses.replace(opts, to_step="provision"), Recorder()).ok
    if partial == "kubeconfig gone":
        (world.workdir / "kc_beta").unlink()
    else:
        (world.state / "installed-beta").unlink()
        (world.state / "crds-beta").unlink()
    result = engine.teardown("minimal", opts, Recorder())
    assert result.ok, [s.message for s in result.steps]
    step = next(s for s in result.steps if s.step_id == "uninstall")
    assert [c.claim for c in step.checks] == ["Liqo is gone from alpha", "its CRDs stay in alpha"]
    assert [x for x in world.log() if x[:2] == ["liqoctl", "uninstall"]] == [
        ["liqoctl", "uninstall", "--kubeconfig", str(world.workdir / "kc_alpha")]]

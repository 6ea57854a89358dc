"""ui.py: plain output golden fragments, the live reporter on a recording console, and no secret ever shown."""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Iterator

import pytest

from liqo_tutor import ui
from liqo_tutor.engine import ClusterStatus, Plan, PlanCommand, PlanStep, StatusReport
from liqo_tutor.errors import InputError
from liqo_tutor.results import CheckResult, CommandResult, RunResult, Status, StepResult

TOKEN = "6a1fdeadbeefcafe0123"
PEER = f"liqoctl peer out-of-band newyork --auth-url https://172.18.0.4:31753 --cluster-id 3f0e --auth-token {TOKEN}"


@pytest.fixture(autouse=True)
def _plain() -> Iterator[None]:
    ui.configure(plain=True)
    yield
    ui.configure()


def _cmd(display: str, code: int = 0, stdout: str = "", cluster: str | None = "london") -> CommandResult:
    return CommandResult(tuple(display.split()), code, stdout, "", 0.0, 1.25, display, cluster)


def _drive(rep: ui.PlainReporter | ui.LiveReporter) -> None:
    """A short run: one passing step with outputs, one failing step."""
    rep.run_started("service-offloading", "Offloading a Service", "v1", ["peer", "offload"])
    rep.step_started("peer", "Peer the clusters", "Establish an out-of-band peering.")
    rep.command_started(PEER, "london")
    rep.command_finished(_cmd(PEER, stdout=f"token: {TOKEN}\n"))
    rep.check_finished("peer", CheckResult("newyork is peered", Status.PASSED))
    rep.output_shown("peer", "london", '{"schedule": []}')
    rep.output_shown("peer", "newyork", f'{{"auth-token": "{TOKEN}"}}')
    rep.step_finished(StepResult("peer", "Peer the clusters", Status.PASSED, duration=2.0))
    rep.step_started("offload", "Offload a service", "")
    rep.check_finished("offload", CheckResult("no pod runs in newyork", Status.FAILED,
                                              expected="no pods", seen="1 pod (flights-service-x)"))
    failed = StepResult("offload", "Offload a service", Status.FAILED, duration=3.5,
                        checks=(CheckResult("no pod runs in newyork", Status.FAILED, expected="no pods",
                                            seen="1 pod (flights-service-x)"),),
                        message="a claim of the tutorial does not hold",
                        rerun="kubectl get pods -n liqo-demo --kubeconfig liqo_kubeconf_newyork",
                        hint="check the pod offloading strategy", diagnostics=".liqo-tutor/diagnostics/offload")
    rep.step_finished(failed)
    rep.run_finished(RunResult("service-offloading", "v1",
                               (StepResult("peer", "Peer", Status.PASSED, duration=2.0), failed), 5.5))


def test_plain_reporter_golden_fragments() -> None:
    out = io.StringIO()
    _drive(ui.PlainReporter(out))
    text = out.getvalue()
    assert "\x1b[" not in text
    assert "# Offloading a Service (service-offloading), Liqo line v1" in text
    assert "== peer: Peer the clusters ==\nEstablish an out-of-band peering.\n" in text
    assert "$ liqoctl peer out-of-band newyork --auth-url https://172.18.0.4:31753 --cluster-id 3f0e" in text
    assert "  ✓ newyork is peered\n" in text
    assert "  ✗ no pod runs in newyork — expected no pods, saw 1 pod (flights-service-x)\n" in text
    assert "  --- london ---\n  {\"schedule\": []}\n" in text
    assert "-> peer: passed (2.0s)" in text
    # The failure block: what, expected, seen, rerun, hint, diagnostics.
    block = text[text.index("!! offload failed"):]
    for fragment in ("failed:      a claim of the tutorial does not hold", "expected:    no pods",
                     "seen:        1 pod (flights-service-x)",
                     "rerun:       $ kubectl get pods -n liqo-demo --kubeconfig liqo_kubeconf_newyork",
                     "hint:        check the pod offloading strategy",
                     "diagnostics: .liqo-tutor/diagnostics/offload"):
        assert fragment in block
    assert "  step     status  duration\n  peer     passed  2.0s\n  offload  failed  3.5s\n" in text
    assert text.rstrip().endswith("service-offloading: step offload failed")


def test_no_secret_reaches_the_output_in_any_mode() -> None:
    plain = io.StringIO()
    _drive(ui.PlainReporter(plain, verbose=True))
    assert TOKEN not in plain.getvalue()
    assert "--auth-token ***" in plain.getvalue()

    from rich.console import Console

    console = Console(file=io.StringIO(), width=100, record=True, force_terminal=False, color_system=None)
    _drive(ui.LiveReporter(console, verbose=True))
    rendered = console.export_text()
    assert TOKEN not in rendered
    assert "Peer the clusters" in rendered
    assert "✓ newyork is peered" in rendered
    assert "expected" in rendered and "rerun" in rendered and "diagnostics" in rendered
    assert "offload" in rendered and "failed" in rendered


def test_live_reporter_shows_running_commands_together() -> None:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, record=True, force_terminal=False, color_system=None)
    rep = ui.LiveReporter(console)
    rep.command_started("kind create cluster --name london", "london")
    rep.command_started("kind create cluster --name newyork", "newyork")
    console.print(rep._running.render())
    rep.command_finished(_cmd("kind create cluster --name london"))
    rep.close()
    text = console.export_text()
    assert "$ kind create cluster --name london" in text and "$ kind create cluster --name newyork" in text
    assert [d for d, _, _ in rep._running.items] == ["kind create cluster --name newyork"]


def test_print_error_is_one_line_and_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    ui.print_error(InputError(f"unknown step 'peer2' near {PEER}", hint="see `liqo-tutor show`"))
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0].startswith("error: unknown step 'peer2'") and TOKEN not in captured.err
    assert lines[1] == "hint: see `liqo-tutor show`"
    assert len(lines) == 2


def test_print_env_lines_are_shell_quoted(capsys: pytest.CaptureFixture[str]) -> None:
    ui.print_env([("KUBECONFIG", "/tmp/my dir/liqo_kubeconf_london"), ("KUBECONFIG_NEWYORK", "/tmp/x;y")])
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["export KUBECONFIG='/tmp/my dir/liqo_kubeconf_london'", "export KUBECONFIG_NEWYORK='/tmp/x;y'"]
    assert shlex.split(lines[0].partition("=")[2]) == ["/tmp/my dir/liqo_kubeconf_london"]


def test_print_json_status_plan_tutorials(capsys: pytest.CaptureFixture[str]) -> None:
    ui.print_json({"steps": {"peer": "done"}, "token": TOKEN})
    data = json.loads(capsys.readouterr().out)
    assert data == {"steps": {"peer": "done"}, "token": "***"}

    ui.print_status(StatusReport(
        tutorial="service-offloading", line="v1", steps={"provision": "done", "peer": "pending"},
        clusters=[ClusterStatus("london", True, "/w/liqo_kubeconf_london", True),
                  ClusterStatus("newyork", True, "/w/liqo_kubeconf_newyork", False),
                  ClusterStatus("paris", False, "/w/liqo_kubeconf_paris", False)]))
    status = capsys.readouterr().out
    assert "tutorial: service-offloading (Liqo line v1)" in status
    assert "  provision  done\n  peer       pending\n" in status
    assert "  london  exists  (kubeconfig /w/liqo_kubeconf_london)\n" in status
    assert "  newyork  exists  (kubeconfig /w/liqo_kubeconf_newyork, not created by liqo-tutor)\n" in status
    assert "  paris  absent  (kubeconfig /w/liqo_kubeconf_paris)\n" in status

    offload = PlanStep(id="offload", title="Offload a service", explain="Make the Service visible.",
                       teardown=False,
                       commands=(PlanCommand("london", "liqoctl offload namespace liqo-demo"),
                                 PlanCommand("newyork", "kubectl get pods -n liqo-demo", "unless already done")),
                       checks=("the Service is in newyork",))
    cleanup = PlanStep(id="unoffload", title="Unoffload", explain="", teardown=True, commands=(), checks=())
    ui.print_plan(Plan(tutorial="service-offloading", title="Offloading a Service", line="v1",
                       liqo_version="v1.2.0", steps=(offload, cleanup), exports=()))
    plan = capsys.readouterr().out
    assert plan.startswith("# Offloading a Service\nLiqo line: v1\n\n1. Offload a service [offload]\n"
                           "   Make the Service visible.\n")
    assert ("   $ liqoctl offload namespace liqo-demo\n"
            "   $ kubectl get pods -n liqo-demo   (unless already done)\n"
            "   verify: the Service is in newyork\n") in plan
    assert plan.endswith("\n2. Unoffload [unoffload] (teardown)\n")

    ui.print_step_preview(offload, skippable=False)
    preview = capsys.readouterr().out
    assert "next: Offload a service [offload]\n  Make the Service visible.\n  it will run:\n" in preview
    assert "    $ kubectl get pods -n liqo-demo   [newyork]   (unless already done)\n" in preview
    assert "  then verify: the Service is in newyork\n  (later steps need this one: it cannot be skipped)" in preview

    ui.print_tutorials([("service-offloading", "Offloading a Service")])
    assert capsys.readouterr().out == "service-offloading  Offloading a Service\n"


def test_plain_is_chosen_without_a_terminal_or_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    ui.configure()
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert ui.is_plain(io.StringIO())
    assert isinstance(ui.make_reporter(), ui.PlainReporter)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not ui.is_plain(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert ui.is_plain(Tty())
    monkeypatch.delenv("NO_COLOR")
    ui.configure(no_color=True)
    assert ui.is_plain(Tty())

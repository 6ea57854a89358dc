"""The JSON report validates against the shipped schema; the JUnit file parses with a JUnit reader."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

from liqo_tutor import report, secrets
from liqo_tutor.results import CheckResult, CommandResult, RunResult, Status, StepResult

TOKEN = "ab" * 64


def _result() -> RunResult:
    secrets.register(TOKEN)
    cmd = CommandResult(
        argv=("liqoctl", "peer", "out-of-band", "newyork", "--auth-token", TOKEN),
        exit_code=1,
        stdout="",
        stderr="boom",
        started=0.0,
        duration=1.25,
        display=f"liqoctl peer out-of-band newyork --auth-token {TOKEN}",
        cluster="london",
    )
    return RunResult(
        tutorial="service-offloading",
        line="v0",
        duration=12.5,
        steps=(
            StepResult("provision", "Provision", Status.SKIPPED, 0.1, message="already done"),
            StepResult(
                "peer",
                "Peer",
                Status.FAILED,
                3.0,
                checks=(
                    CheckResult(
                        "peering Established",
                        Status.FAILED,
                        expected="Established",
                        seen=f"None {TOKEN}",
                        duration=2.0,
                        message="not established",
                    ),
                ),
                commands=(cmd,),
                message=f"`liqoctl ... {TOKEN}` exited 1",
                rerun=cmd.display,
            ),
            StepResult("offload", "Offload", Status.PENDING),
        ),
    )


def test_json_report_matches_schema_and_hides_the_token(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    report.write_json(_result(), path)
    data = json.loads(path.read_text())
    jsonschema.validate(data, json.loads(report.SCHEMA.read_text()))
    assert data["ok"] is False and data["line"] == "v0"
    assert [s["status"] for s in data["steps"]] == ["skipped", "failed", "pending"]
    assert TOKEN not in path.read_text()


def test_schema_rejects_a_report_missing_steps() -> None:
    data = report.to_json(_result())
    del data["steps"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(report.SCHEMA.read_text()))


def test_junit_parses_with_one_case_per_step(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    report.write_junit(_result(), path)
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in ([xml] if xml._tag == "testsuite" else xml) for case in suite}
    assert set(cases) == {"provision", "peer", "offload"}
    failure = [r for r in cases["peer"].result if isinstance(r, Failure)]
    assert failure and "expected: Established" in (failure[0].text or "")
    assert any(isinstance(r, Skipped) for r in cases["provision"].result)
    assert TOKEN not in path.read_text()

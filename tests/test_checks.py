"""Pure check helpers: kubectl table parsing, JSON list/subset, CIDR, command expectations, polling."""

from __future__ import annotations

import pytest

from liqo_tutor.claims.base import Outcome
from liqo_tutor.claims.cidr import in_cidr
from liqo_tutor.claims.command import evaluate_command
from liqo_tutor.claims.json_list import json_list
from liqo_tutor.claims.json_subset import json_subset
from liqo_tutor.claims.polling import poll
from liqo_tutor.claims.table_rows import parse_table
from liqo_tutor.results import CommandResult

V0_TABLE = """\
NAME      TYPE        OUTGOING PEERING   INCOMING PEERING   NETWORKING    AUTHENTICATION   AGE
newyork   OutOfBand   Established        None               Established   Established      61s
"""
SVC_TABLE = """\
NAME              TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)    AGE
flights-service   ClusterIP   10.95.177.4   <none>        7999/TCP   14s
"""


def result(stdout: str = "", stderr: str = "", code: int = 0) -> CommandResult:
    return CommandResult(("kubectl",), code, stdout, stderr, 0.0, 0.0, "kubectl")


def test_table_with_multi_word_headers() -> None:
    rows = parse_table(V0_TABLE)
    assert rows == [
        {
            "NAME": "newyork",
            "TYPE": "OutOfBand",
            "OUTGOING PEERING": "Established",
            "INCOMING PEERING": "None",
            "NETWORKING": "Established",
            "AUTHENTICATION": "Established",
            "AGE": "61s",
        }
    ]


def test_service_table() -> None:
    assert parse_table(SVC_TABLE)[0]["CLUSTER-IP"] == "10.95.177.4"
    assert parse_table("NAME   ROLE       AGE\nnewyork   Provider   3m\n")[0]["NAME"] != ""
    assert parse_table("") == []


def test_json_list() -> None:
    assert json_list("[]") == []
    assert json_list('[{"id": 1}]\n') == [{"id": 1}]
    with pytest.raises(ValueError, match="not a list"):
        json_list('{"id": 1}')
    with pytest.raises(ValueError, match="not JSON"):
        json_list('[{"id": 1}]\npod "consumer" deleted')


def test_json_subset() -> None:
    a, b = [{"id": 1}], [{"id": 1}, {"id": 2}]
    assert json_subset(a, b)[0] and json_subset(b, a)[0]
    assert json_subset([], b)[0]
    ok, detail = json_subset([{"id": 3}], b)
    assert not ok and "1 of 1" in detail


def test_cidr() -> None:
    assert in_cidr("10.95.177.4", "10.90.0.0/12")  # upstream's non-canonical network
    assert in_cidr("10.60.3.4", "10.60.0.0/16")
    assert not in_cidr("10.96.0.1", "10.60.0.0/16")
    assert not in_cidr("garbage", "10.60.0.0/16")


def test_evaluate_no_pods() -> None:
    expect = {"exit_code": 0, "stdout": "", "stderr": "No resources found in liqo-demo namespace."}
    assert evaluate_command(result(stderr="No resources found in liqo-demo namespace.\n"), expect).ok
    bad = evaluate_command(result(stdout="NAME   READY\nflights   1/1\n"), expect)
    assert not bad.ok and "flights" in bad.seen
    assert not evaluate_command(result(code=1, stderr="Error from server (NotFound)"), expect).ok


def test_evaluate_line_and_regex() -> None:
    assert evaluate_command(result("london\nnewyork\n"), {"exit_code": 0, "stdout_line": "london"}).ok
    assert not evaluate_command(result("london2\n"), {"exit_code": 0, "stdout_line": "london"}).ok
    assert evaluate_command(result("Provider"), {"exit_code": None, "stdout_regex": "Provider"}).ok


def test_poll_retries_until_ok_and_stops_on_final() -> None:
    calls: list[float] = []

    def attempt(remaining: float) -> Outcome:
        calls.append(remaining)
        return Outcome(len(calls) >= 3, "x", "y")

    assert poll(attempt, timeout=10, interval=0.01, sleep=lambda s: None).ok
    assert len(calls) == 3
    final = poll(
        lambda r: Outcome(False, "x", "y", final=True), timeout=10, interval=0.01, sleep=lambda s: None
    )
    assert not final.ok

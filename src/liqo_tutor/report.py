"""Machine-readable verdicts for CI: a JSON report (schema shipped in data/schemas) and JUnit XML.

The JSON report is THE JSON shape of a run: `--report FILE` writes it, `--json` prints it.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from liqo_tutor import __version__
from liqo_tutor.results import RunResult, Status, StepResult
from liqo_tutor.secrets import redact

__all__ = ["SCHEMA", "to_json", "to_junit", "write_json", "write_junit"]

SCHEMA = Path(__file__).parent / "data" / "schemas" / "report.schema.json"


def _round(seconds: float) -> float:
    return round(max(seconds, 0.0), 3)


def _step(step: StepResult) -> dict[str, Any]:
    return {
        "id": step.step_id,
        "title": step.title,
        "status": step.status.value,
        "duration_s": _round(step.duration),
        "message": redact(step.message),
        "rerun": redact(step.rerun) if step.rerun else None,
        "hint": step.hint,
        "diagnostics": step.diagnostics,
        "checks": [
            {
                "claim": c.claim,
                "status": c.status.value,
                "duration_s": _round(c.duration),
                "message": redact(c.message),
                "expected": redact(c.expected),
                "seen": redact(c.seen),
                "hint": c.hint,
            }
            for c in step.checks
        ],
        "commands": [
            {
                "command": redact(c.display),
                "cluster": c.cluster,
                "exit_code": c.exit_code,
                "duration_s": _round(c.duration),
            }
            for c in step.commands
        ],
        "outputs": {label: redact(text) for label, text in step.outputs.items()},
    }


def to_json(result: RunResult, *, started: float | None = None) -> dict[str, Any]:
    begin = started if started is not None else time.time() - result.duration
    return {
        "schema_version": 1,
        "tool_version": __version__,
        "tutorial": result.tutorial,
        "line": result.line,
        "ok": result.ok,
        "duration_s": _round(result.duration),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(begin)),
        "steps": [_step(s) for s in result.steps],
    }


def to_junit(result: RunResult) -> ET.ElementTree:
    """One <testsuite> for the tutorial, one <testcase> per step; failures carry expected and seen."""
    failures = sum(
        1 for s in result.steps if s.status in (Status.FAILED, Status.TIMED_OUT, Status.INTERRUPTED)
    )
    skipped = sum(1 for s in result.steps if s.status in (Status.SKIPPED, Status.PENDING))
    suite = ET.Element(
        "testsuite",
        {
            "name": f"liqo-tutor.{result.tutorial}",
            "tests": str(len(result.steps)),
            "failures": str(failures),
            "errors": "0",
            "skipped": str(skipped),
            "time": f"{result.duration:.3f}",
        },
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "liqo_line", "value": result.line or ""})
    for step in result.steps:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": f"{result.tutorial}",
                "name": step.step_id,
                "time": f"{step.duration:.3f}",
            },
        )
        lines = [f"{'PASS' if c.status.ok else 'FAIL'} {c.claim}" for c in step.checks]
        if step.status in (Status.FAILED, Status.TIMED_OUT, Status.INTERRUPTED):
            bad = next((c for c in step.checks if not c.status.ok), None)
            text = [redact(step.message)]
            if bad is not None:
                text += [
                    f"claim: {bad.claim}",
                    f"expected: {redact(bad.expected)}",
                    f"seen: {redact(bad.seen)}",
                ]
            if step.rerun:
                text.append(f"rerun: {redact(step.rerun)}")
            failure = ET.SubElement(
                case,
                "failure",
                {"message": redact(step.message) or step.status.value, "type": step.status.value},
            )
            failure.text = "\n".join(text)
        elif step.status in (Status.SKIPPED, Status.PENDING):
            ET.SubElement(case, "skipped", {"message": step.message or step.status.value})
        if lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    return ET.ElementTree(suite)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(result: RunResult, path: Path) -> None:
    _atomic_write(path, (json.dumps(to_json(result), indent=2) + "\n").encode())


def write_junit(result: RunResult, path: Path) -> None:
    root = to_junit(result).getroot()
    assert root is not None
    ET.indent(root)
    _atomic_write(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))

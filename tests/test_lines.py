"""Liqo line detection from `liqoctl version --client` and the version ranges in the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from liqo_tutor import loader
from liqo_tutor.errors import InputError, TutorialError
from liqo_tutor.lines import (
    choose_line,
    forced_note,
    in_range,
    judge_servers,
    line_of,
    line_vars,
    parse_version,
    server_version_from_output,
    version_from_output,
)
from liqo_tutor.tutorial import Line, LineDetect, Override

DETECT = LineDetect(
    command="liqoctl version --client", pattern=r"^Client version: (?P<version>\S+)\s*$", default="v1"
)
LINES = {
    "v1": Line(name="v1", range=">=1.0.0,<2.0.0", fallback_version="v1.2.0", vars={"f": "--cluster-id"}),
    "v0": Line(
        name="v0",
        range=">=0.7.0,<0.11.0",
        fallback_version="v0.10.3",
        vars={"skip": ""},
        overrides=(Override(range=">=0.9.0,<0.11.0", vars={"skip": "--skip-confirm"}),),
    ),
}


@pytest.mark.parametrize(
    ("out", "version"),
    [
        ("Client version: v1.2.0\n", "v1.2.0"),
        ("Client version: v0.10.3\n", "v0.10.3"),
        ("noise\nClient version: v1.0.1\n", "v1.0.1"),
        ("Client version: 3f2a1bc\n", "3f2a1bc"),
        ("something else\n", None),
    ],
)
def test_version_from_output(out: str, version: str | None) -> None:
    assert version_from_output(DETECT, out) == version


@pytest.mark.parametrize(
    ("version", "line"), [("v1.2.0", "v1"), ("v1.0.0", "v1"), ("v0.10.3", "v0"), ("v0.7.0", "v0")]
)
def test_detected_line(version: str, line: str) -> None:
    assert choose_line(LINES, detected=version, forced=None) == (line, version)


@pytest.mark.parametrize("version", ["v0.6.1", "v2.0.0", "v0.11.0"])
def test_unsupported_version_names_the_ranges(version: str) -> None:
    with pytest.raises(InputError) as info:
        choose_line(LINES, detected=version, forced=None)
    assert "v1: >=1.0.0,<2.0.0" in info.value.message and "v0: >=0.7.0,<0.11.0" in info.value.message


@pytest.mark.parametrize("detected", [None, "3f2a1bc", "unknown"])
def test_unparsable_version_is_an_input_error(detected: str | None) -> None:
    with pytest.raises(InputError, match=">=1.0.0,<2.0.0"):
        choose_line(LINES, detected=detected, forced=None, raw_output="Client version: unknown")


def test_forced_line_uses_detected_version_only_if_it_belongs() -> None:
    assert choose_line(LINES, detected="v0.10.3", forced="v0") == ("v0", "v0.10.3")
    assert choose_line(LINES, detected="v1.2.0", forced="v0") == ("v0", "v0.10.3")
    assert choose_line(LINES, detected=None, forced="v1") == ("v1", "v1.2.0")
    with pytest.raises(InputError, match="unknown Liqo line 'v9'"):
        choose_line(LINES, detected=None, forced="v9")


def test_overrides_by_version() -> None:
    assert line_vars(LINES["v0"], "v0.8.0")["skip"] == ""
    assert line_vars(LINES["v0"], "v0.9.1")["skip"] == "--skip-confirm"


def test_ranges() -> None:
    assert parse_version("v0.10.3-rc.1") == (0, 10, 3)
    assert in_range((1, 0, 0), ">=1.0.0,<2.0.0") and not in_range((2, 0, 0), ">=1.0.0,<2.0.0")
    with pytest.raises(ValueError):
        parse_version("main")


# -- server side: the Liqo already running in the clusters -------------------------------------


def test_server_version_from_output_needs_a_server_probe() -> None:
    probe = LineDetect(
        command="liqoctl version --client",
        pattern=DETECT.pattern,
        default="v1",
        server_command="liqoctl version",
        server_pattern=r"^Server version: (?P<version>v\d+\.\d+\.\d+)\s*$",
    )
    out = "Client version: v1.2.0\nServer version: v0.10.3\n"
    assert server_version_from_output(probe, out) == "v0.10.3"
    assert server_version_from_output(probe, "Client version: v1.2.0\nServer version: Unknown\n") is None
    assert server_version_from_output(DETECT, out) is None


def test_same_line_and_version_is_only_noted() -> None:
    verdict = judge_servers(LINES, line="v1", version="v1.2.0", servers={"a": "v1.2.0"})
    assert verdict.notes == ("Liqo v1.2.0 runs in a",) and not verdict.warnings and verdict.error is None


def test_same_line_other_version_is_a_warning() -> None:
    verdict = judge_servers(LINES, line="v1", version="v1.1.0", servers={"a": "v1.2.0", "b": "v1.1.0"})
    assert verdict.error is None
    assert verdict.warnings == (
        "liqoctl v1.1.0 differs from the Liqo v1.2.0 running in a (both line v1); "
        "Liqo supports only matching versions",
    )


def test_other_line_is_an_error_naming_both_sides() -> None:
    verdict = judge_servers(LINES, line="v1", version="v1.2.0", servers={"a": "v0.10.3", "b": "v0.10.3"})
    assert verdict.error is not None
    assert "a, b is v0.10.3 (line v0)" in verdict.error and "line v1 (liqoctl v1.2.0)" in verdict.error
    assert verdict.hint is not None and "liqoctl of line v0 (v0.10.3)" in verdict.hint


def test_unsupported_server_is_an_error_naming_the_ranges() -> None:
    verdict = judge_servers(LINES, line="v0", version="v0.10.3", servers={"a": "v0.5.0"})
    assert verdict.error is not None and ">=0.7.0,<0.11.0" in verdict.error


def test_forced_line_against_the_installed_liqoctl_is_noted() -> None:
    note = forced_note(LINES, forced="v0", detected="v1.2.0")
    assert note is not None and "line v1" in note
    assert forced_note(LINES, forced="v1", detected="v1.2.0") is None
    assert forced_note(LINES, forced=None, detected="v1.2.0") is None
    assert line_of(LINES, "v0.8.0") == "v0" and line_of(LINES, "v0.6.0") is None and line_of(LINES, "x") is None


def test_the_tutorial_declares_its_server_probe_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    tut = loader.load("service-offloading")
    assert tut.detect.server_command == "liqoctl version"
    assert server_version_from_output(tut.detect, "Server version: v0.10.3\n") == "v0.10.3"
    assert line_vars(tut.lines["v0"], "v0.6.1")["kind_manifest"] == "kind-v0.6.yaml"
    assert line_vars(tut.lines["v0"], "v0.6.1")["skip_confirm"] == ""
    assert line_vars(tut.lines["v0"], "v0.9.0")["skip_confirm"] == "--skip-confirm"
    text = Path(tut.path).read_text()
    bad = tmp_path / "steps" / "service-offloading.yaml"
    bad.parent.mkdir()
    marker = "      pattern: '^Server version: (?P<version>"
    assert marker in text
    bad.write_text(text.replace(marker, "      pattern: '^Server version: (?P<release>"))
    with pytest.raises(TutorialError) as info:
        loader.load("service-offloading", bad.parent)
    assert "lines.detect.server.pattern" in info.value.message and "named group" in info.value.message

"""Liqo line detection from `liqoctl version --client` and the version ranges in the YAML."""

from __future__ import annotations

import pytest

from liqo_tutor.errors import InputError
from liqo_tutor.lines import choose_line, in_range, line_vars, parse_version, version_from_output
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

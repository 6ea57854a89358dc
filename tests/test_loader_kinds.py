"""Bad input for each new verb and claim: one `FILE:LINE: breadcrumb: problem` error, on the line of
the offending key. Also: per-tutorial manifest folders (never a silent fallback), manifest
directories for `kubectl apply -k`, and the editor schema equal to the one generated from the models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from kind_helpers import HEAD, load, step_yaml, write_tutorial
from liqo_tutor import schema
from liqo_tutor.errors import TutorialError

REPO = Path(__file__).resolve().parents[1]

CASES = {
    "save stream": (
        "- run: printf x\n  cluster: alpha\n  save: {out: x}\n",
        "",
        "actions[0].save.out: unknown stream 'out' (use stdout, stderr or output)",
    ),
    "shell_var case": (
        "- run: printf x\n  cluster: alpha\n  save: x\n  shell_var: local\n",
        "",
        "actions[0].shell_var: 'local' must be an upper-case shell name (e.g. LOCAL_POD_IP)",
    ),
    "shell_var without save": ("- run: printf x\n  shell_var: LOCAL\n", "", "actions[0].shell_var: needs save:"),
    "save shadows a var": ("- run: printf x\n  save: namespace\n", "", "actions[0].save: 'namespace' is already a variable"),
    "capture used before saved": (
        "- run: printf {ip}\n  cluster: alpha\n- run: printf x\n  cluster: alpha\n  save: ip\n",
        "",
        "actions[0].run: undefined variable {ip} (no earlier save; saved later at FILE:",
    ),
    "ready without background": ("- run: printf x\n  ready: x\n", "", "actions[0].ready: needs background: true"),
    "background with save": (
        "- run: printf x\n  background: true\n  save: y\n", "", "actions[0].background: cannot be combined with save"
    ),
    "background bad regex": ("- run: printf x\n  background: true\n  ready: '('\n", "", "actions[0].ready: invalid regular expression"),
    "empty stdin": (
        "- run-pod: cat\n  cluster: alpha\n  image: busybox\n  stdin: ' '\n", "", "actions[0].stdin: empty"
    ),
    "stdin on run": ("- run: cat\n  stdin: x\n", "", "actions[0].stdin: unknown field"),
    "text without matcher": ("", "- claim: c\n  text: x@alpha\n", "checks[0]: a text check needs one of contains"),
    "text unknown capture": (
        "", "- claim: c\n  text: nope@alpha\n  contains: a\n", "checks[0].text: unknown capture 'nope' (saved earlier: none)"
    ),
    "text bad regex": (
        "- run: printf x\n  cluster: alpha\n  save: x\n",
        "- claim: c\n  text: x@alpha\n  regex: ['ok', '(']\n",
        "checks[0].regex[1]: invalid regular expression",
    ),
    "json two matchers": (
        "- run: printf x\n  cluster: alpha\n  save: x\n",
        "- claim: c\n  json: x@alpha\n  assert:\n  - {path: [a], equals: b, exists: true}\n",
        "checks[0].assert[0]: give exactly one of equals, contains, regex, in, exists, length",
    ),
    "json empty path": (
        "- run: printf x\n  cluster: alpha\n  save: x\n",
        "- claim: c\n  json: x@alpha\n  assert:\n  - {path: [], equals: b}\n",
        "checks[0].assert[0].path: must be a non-empty list",
    ),
    "stdout_json on table": (
        "", "- claim: c\n  table: printf x\n  cluster: alpha\n  row: a\n  stdout_json: []\n", "checks[0].stdout_json: unknown field"
    ),
    "rows and row": (
        "", "- claim: c\n  table: printf x\n  cluster: alpha\n  row: a\n  rows: {prefix: a}\n", "checks[0]: use either row: or rows:"
    ),
    "two row choices": (
        "", "- claim: c\n  table: printf x\n  cluster: alpha\n  rows: {prefix: a, all: true}\n",
        "checks[0].rows: give exactly one of name, names, prefix, prefixes, selector, all",
    ),
    "column matcher": (
        "", "- claim: c\n  table: printf x\n  cluster: alpha\n  row: a\n  columns: {NODE: {in: [a], regex: b}}\n",
        "checks[0].columns.NODE: give exactly one of contains, regex, in, not",
    ),
    "negative count": (
        "", "- claim: c\n  table: printf x\n  cluster: alpha\n  rows: {all: true}\n  count: -1\n",
        "checks[0].count: input should be greater than or equal to 0",
    ),
    "save from many rows": (
        "", "- claim: c\n  table: printf x\n  cluster: alpha\n  rows: {all: true}\n  save: {NAME: n}\n",
        "checks[0].save: a table check can only save from a single row",
    ),
    "hold duration": (
        "", "- claim: c\n  command: printf x\n  cluster: alpha\n  hold: soon\n", "checks[0].hold: invalid duration 'soon'"
    ),
    "hold too long": ("", "- claim: c\n  command: printf x\n  cluster: alpha\n  hold: 10m\n", "checks[0].hold: must be shorter than 10m"),
    "hold on a capture claim": (
        "- run: printf x\n  cluster: alpha\n  save: x\n", "- claim: c\n  text: x@alpha\n  contains: a\n  hold: 5s\n",
        "checks[0].hold: unknown field",
    ),
}


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_new_key_reports_file_line_and_field(tmp_path: Path, case: str) -> None:
    actions, checks, expected = CASES[case]
    path = write_tutorial(tmp_path, step_yaml(actions=actions, checks=checks))
    with pytest.raises(TutorialError) as info:
        load(path)
    message = info.value.message
    expected = expected.replace("FILE", str(path))
    assert message.startswith(f"{path}:"), message
    assert f"steps[s].{expected}" in message, message
    line = int(message[len(str(path)) + 1 :].split(":", 1)[0])
    # the error points at the offending key's line (or its item's, for item-level problems)
    key = expected.split(":", 1)[0].rsplit(".", 1)[-1].split("[")[0]
    text = path.read_text()
    assert key in text.splitlines()[line - 1] or text.splitlines()[line - 1].lstrip().startswith("- "), (line, message)


def test_manifests_folder_of_a_tutorial(tmp_path: Path) -> None:
    head = HEAD.replace("name: kinds\n", "name: kinds\nmanifests: kinds\n")
    steps = step_yaml(actions="- run: kubectl apply -k {manifests}/demo -f {manifests}/app.yaml\n  cluster: alpha\n")
    files = {"kinds/demo/kustomization.yaml": "resources: []\n", "kinds/app.yaml": "kind: List\n"}
    tut = load(write_tutorial(tmp_path, steps, head=head, manifests=files))
    assert tut.manifests == str(tmp_path / "manifests" / "kinds")


@pytest.mark.parametrize(
    ("manifests_key", "command", "files", "expected"),
    [
        ("nope", "printf x", {}, ":2: manifests: no directory nope in {root}"),
        ("../x", "printf x", {}, ":2: manifests: must be a relative directory name (got '../x')"),
        (None, "kubectl apply -k {manifests}/demo", {"demo/x.yaml": ""},
         "demo has no kustomization.yaml (kubectl apply -k needs one)"),
        (None, "kubectl apply -k {manifests}/demo", {}, "missing manifest directory demo (in {root})"),
        (None, "kubectl apply {manifests}/demo", {"demo/kustomization.yaml": ""},
         "demo is a directory; use -k (kustomize) or -f with a file"),
    ],
)
def test_manifest_errors(
    tmp_path: Path, manifests_key: str | None, command: str, files: dict[str, str], expected: str
) -> None:
    head = HEAD if manifests_key is None else HEAD.replace("name: kinds\n", f"name: kinds\nmanifests: {manifests_key}\n")
    path = write_tutorial(tmp_path, step_yaml(actions=f"- run: {command}\n  cluster: alpha\n"), head=head, manifests=files)
    with pytest.raises(TutorialError) as info:
        load(path)
    assert expected.replace("{root}", str(tmp_path / "manifests")) in info.value.message
    assert info.value.message.startswith(f"{path}:")


def test_no_silent_fallback_to_the_packaged_manifests(tmp_path: Path) -> None:
    """A tutorial outside the package that names a manifest needs its own manifests/ directory."""
    path = write_tutorial(tmp_path, step_yaml(actions="- run: kubectl apply -f {manifests}/app.yaml\n  cluster: alpha\n"))
    (tmp_path / "manifests").rmdir()
    with pytest.raises(TutorialError) as info:
        load(path)
    assert info.value.message == (
        f"{path}:28: steps[s].actions[0].run: no manifests directory for this tutorial "
        f"(looked in {tmp_path / 'manifests'}); put its manifests there"
    )


def test_the_shipped_editor_schema_is_the_generated_one() -> None:
    """`python -m liqo_tutor.schema --write` regenerates it from the pydantic models."""
    assert schema.SCHEMA_FILE.read_text() == schema.render()


def test_the_schema_accepts_every_shipped_tutorial_and_refuses_an_unknown_key() -> None:
    spec = json.loads(schema.SCHEMA_FILE.read_text())
    for path in sorted((REPO / "steps").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), spec)
    data = yaml.safe_load((REPO / "steps" / "service-offloading.yaml").read_text())
    data["steps"][0]["checks"][0]["stdout_regexp"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, spec)


def test_package_data_ships_every_manifest_and_schema() -> None:
    """pyproject's package-data globs (setuptools >= 62.3 expands `**`) cover each tutorial's folder."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "liqo_tutor"
    ]
    package = REPO / "src" / "liqo_tutor"
    shipped = {p.resolve() for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    wanted = [p for p in (REPO / "manifests").rglob("*") if p.is_file()]
    wanted += [schema.SCHEMA_FILE]
    assert any(p.parent != REPO / "manifests" for p in wanted)  # there are subfolders to ship
    assert [p for p in wanted if p.resolve() not in shipped] == []

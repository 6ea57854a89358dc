"""Loader: the packaged tutorial and a good file load; each broken file fails with its exact message."""

from __future__ import annotations

from pathlib import Path

import pytest

from liqo_tutor import loader
from liqo_tutor.errors import InputError, TutorialError

DATA = Path(__file__).parent / "data"
MANIFESTS = DATA / "manifests"

BROKEN = {
    "yaml-syntax": "4:9: while parsing a flow sequence expected ',' or ']', but got ':'",
    "missing-title": "2: missing required field `title`",
    "unknown-top-field": "4: colour: unknown field",
    "duplicate-step": "60: steps[provision].id: duplicate step id 'provision'",
    "bad-step-id": "60: steps[Peer_Step].id: step id 'Peer_Step' must be kebab-case (e.g. delete-clusters)",
    "unknown-action": "64: steps[peer].actions[0].exec: unknown action kind `exec` "
    "(known: run, create-cluster, delete-cluster, generated-command, run-pod, prefetch-images)",
    "unknown-check": "74: steps[peer].checks[0].tabel: unknown check kind `tabel` "
    "(known: command, table, json-list, json-subset, distinct, cidr, text, json)",
    "bad-timeout": "78: steps[peer].checks[0].timeout: invalid duration 'soon' (use e.g. 30s, 5m)",
    "unknown-cluster": "65: steps[peer].actions[0].cluster: unknown cluster 'gamma' (defined: alpha, beta)",
    "unknown-remote-cluster": "64: steps[peer].actions[0].run: unknown cluster 'gamma' (defined: alpha, beta)",
    "undefined-variable": "84: steps[consume].actions[0].run: undefined variable {namespaces} for line v1",
    "cluster-var-without-cluster": "64: steps[peer].actions[0].run: variable {kubeconfig} needs a cluster: "
    "set `cluster:` or `each: true`, or write {kubeconfig@CLUSTER}",
    "missing-manifest": f"8: clusters[alpha].kind_config: missing manifest kind-v1-missing.yaml (in {MANIFESTS})",
    "unknown-line": "66: steps[peer].actions[0].lines[0]: unknown line 'v2' (defined: v1, v0)",
    "bad-pattern-type": "71: steps[peer].actions[1].pattern: unknown placeholder type 'guid' "
    "(known: dns-label, https-url, uuid, hex128, word)",
    "unknown-capture": "89: steps[consume].checks[0].json-list: unknown capture 'reply' (saved earlier: response)",
    "bad-range": "31: lines.v1.range: invalid version range '1.x' (use e.g. >=1.0.0,<2.0.0)",
    "unclosed-quote": "84: steps[consume].actions[0].run: cannot split the command: No closing quotation",
    "missing-claim": "91: steps[consume].checks[1]: missing required field `claim`",
    "bad-regex": "57: steps[provision].checks[0].stdout_regex: invalid regular expression: "
    "missing ), unterminated subpattern at position 0",
    "default-line-unknown": "29: lines.detect.default: unknown line 'v3' (defined: v1, v0)",
    # new verbs and claims (issue 14)
    "capture-used-before-saved": "84: steps[consume].actions[0].run: undefined variable {response} "
    "(no earlier save; saved later at {path}:88)",
    "text-check-without-matcher": "93: steps[consume].checks[2]: a text check needs one of contains, "
    "not_contains, regex, equals, line",
    "table-two-row-choices": "76: steps[peer].checks[0].rows: give exactly one of name, names, prefix, "
    "prefixes, selector, all",
    "background-with-save": "87: steps[consume].actions[0].background: cannot be combined with save",
    # engine/parallel.py runs a concurrent step's one-off actions before its per-cluster chains
    "one-off-after-each-in-concurrent-step": "53: steps[provision].actions[2]: in a concurrent step, actions "
    "without `each: true` run before the per-cluster ones; move it before them or drop `concurrent: true`",
}


def test_packaged_tutorial_loads_from_any_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    tut = loader.load("service-offloading")
    assert [s.id for s in tut.main_steps] == ["provision", "peer", "offload", "consume"]
    assert [s.id for s in tut.teardown_steps] == ["unoffload", "unpeer", "uninstall", "delete-clusters"]
    assert [(c.name, c.env, c.kubeconfig) for c in tut.clusters] == [
        ("london", "KUBECONFIG", "liqo_kubeconf_london"),
        ("newyork", "KUBECONFIG_NEWYORK", "liqo_kubeconf_newyork"),
    ]
    assert set(tut.lines) == {"v0", "v1"}
    assert (Path(tut.manifests) / "app.yaml").is_file()
    assert ("service-offloading", "Offloading a Service") in loader.list_tutorials()


def test_good_file() -> None:
    tut = loader.validate(DATA / "steps" / "minimal.yaml")
    assert tut.name == "minimal"
    peer = tut.step("peer")
    assert peer is not None
    assert [a.kind for a in peer.actions] == ["run", "generated-command"]
    assert peer.checks[0].where == "steps[peer].checks[0]"
    assert peer.checks[0].timeout == 2.0
    assert tut.step("provision").actions[0].timeout == 60.0  # type: ignore[union-attr]
    assert len(tut.digest) == 64


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file(name: str) -> None:
    path = DATA / "broken" / f"{name}.yaml"
    with pytest.raises(TutorialError) as info:
        loader.validate(path)
    assert info.value.message == f"{path}:{BROKEN[name]}".replace("{path}", str(path))


def test_every_broken_file_is_covered() -> None:
    assert {p.stem for p in (DATA / "broken").glob("*.yaml")} == set(BROKEN)


def test_unknown_tutorial_names_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown tutorial 'nope'.*minimal"):
        loader.load("nope", DATA / "steps")


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30.0), ("5m", 300.0), ("1m30s", 90.0), (2, 2.0)])
def test_durations(text: str | int, seconds: float) -> None:
    assert loader.parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "5", "m", "-1s", 0, True])
def test_bad_durations(bad: str | int) -> None:
    with pytest.raises(ValueError):
        loader.parse_duration(bad)

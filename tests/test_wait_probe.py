"""The quiet first look of `kubectl wait --for=condition=` claims (claims/wait_probe.py): the shapes it
reads, kubectl's judgement of a condition (staging/src/k8s.io/kubectl/pkg/cmd/wait/condition.go,
ConditionalWait.checkCondition), and agreement with the REAL kubectl wait on the same objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liqo_tutor.claims.command import CommandClaim, CommandModel
from liqo_tutor.claims.wait_probe import condition_met, met_lines, probe_of
from liqo_tutor.results import CommandResult
from liqo_tutor.tutorial import Check
from sim_world import Playground, playground, poll


@pytest.mark.parametrize(
    ("argv", "get"),
    [
        (
            "kubectl wait --for=condition=Available deployment --all -n liqo --timeout=299s",
            "kubectl get deployment --namespace=liqo -o json",
        ),
        ("kubectl wait --for=condition=Ready node/newyork --timeout=10s", "kubectl get node/newyork -o json"),
        (
            "kubectl wait --for condition=Ready pods -l app=x --namespace demo --context kind-a",
            "kubectl get pods --namespace=demo --selector=app=x --context=kind-a -o json",
        ),
        ("kubectl wait --for=condition=Ready nodes --all -A", "kubectl get nodes --all-namespaces -o json"),
    ],
)
def test_the_shapes_it_reads_become_one_get(argv: str, get: str) -> None:
    probe = probe_of(argv.split())
    assert probe is not None and " ".join(probe.get_argv) == get


@pytest.mark.parametrize(
    "argv",
    [
        "kubectl wait pod/p --for=jsonpath={.status.phase}=Succeeded",  # not a condition
        "kubectl wait --for=delete pod/p",
        "kubectl wait --for=condition=Ready deployment",  # a type without --all or -l: kubectl refuses it
        "kubectl wait --for=condition=Ready -f app.yaml",  # a flag the probe does not read
        "kubectl wait --for=condition=Ready pods --all --field-selector=x=y",
        "kubectl wait --for=condition= node/a",
        "kubectl get nodes",
        "kubectl wait --for=condition=Ready node/a -n",  # a value flag at the end
    ],
)
def test_other_shapes_run_as_they_are(argv: str) -> None:
    assert probe_of(argv.split()) is None


def _obj(conds: list[Any], generation: int | None = None, observed: int | None = None) -> dict:
    meta: dict[str, object] = {"name": "x"}
    if generation is not None:
        meta["generation"] = generation
    status: dict[str, object] = {"conditions": conds}
    if observed is not None:
        status["observedGeneration"] = observed
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "status": status}


def test_condition_judged_as_kubectl_does() -> None:
    ready = [{"type": "Available", "status": "True"}]
    assert condition_met(_obj(ready), "available", "TRUE")  # both case-folded
    assert not condition_met(_obj(ready), "Available", "false")
    assert not condition_met(_obj([{"type": "Progressing", "status": "True"}]), "Available", "true")
    assert not condition_met(_obj([{"type": "Available"}]), "Available", "true")  # no status: skipped
    # The first condition of that type decides.
    assert not condition_met(_obj([{"type": "Available", "status": "False"}, *ready]), "Available", "true")
    # A status behind the object's generation is not met yet (the condition's own field first).
    assert not condition_met(_obj(ready, generation=3, observed=2), "Available", "true")
    assert condition_met(_obj(ready, generation=3, observed=3), "Available", "true")
    behind = [{"type": "Available", "status": "True", "observedGeneration": 1}]
    assert not condition_met(_obj(behind, generation=2, observed=2), "Available", "true")


def test_every_object_must_hold_and_an_empty_list_never_does() -> None:
    probe = probe_of("kubectl wait --for=condition=Available deployment --all".split())
    assert probe is not None
    good = _obj([{"type": "Available", "status": "True"}])
    bad = _obj([{"type": "Available", "status": "False"}])
    assert (
        met_lines(json.dumps({"kind": "List", "items": [good]}), probe) == "deployment.apps/x condition met\n"
    )
    assert met_lines(json.dumps({"kind": "List", "items": [good, bad]}), probe) is None
    assert (
        met_lines(json.dumps({"kind": "List", "items": []}), probe) is None
    )  # kubectl: no matching resources
    assert met_lines("not json", probe) is None
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    node_probe = probe_of("kubectl wait --for=condition=Ready node/n".split())
    assert node_probe is not None and met_lines(json.dumps(node), node_probe) == "node/n condition met\n"


@pytest.fixture
def pg(kubectl_bin: str, tmp_path: Path) -> Iterator[Playground]:
    with playground(kubectl_bin, tmp_path) as p:
        yield p


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: c, image: {image}}}]}}
"""


def test_the_probe_agrees_with_the_real_kubectl_wait(pg: Playground) -> None:
    """For each wait, the real `kubectl wait --timeout=0s` (check once) and the probe's judgement of
    the real `kubectl get -o json` say the same thing, both when it holds and when it does not."""
    kube = pg.add("c1")
    kube.ok("apply", "-f", "-", stdin=DEPLOY.format(name="good", image="nginx"))
    kube.ok("apply", "-f", "-", stdin=DEPLOY.format(name="bad", image="example.invalid/nothing:1"))
    poll(
        lambda: (
            "Available" in kube.ok("get", "deployment/good", "-o", "jsonpath={.status.conditions[*].type}")
            and kube("wait", "--for=condition=Available", "deployment/good", "--timeout=0s").returncode == 0
        )
    )
    waits = [
        "--for=condition=Available deployment/good",
        "--for=condition=Available deployment/bad",
        "--for=condition=Available deployment --all",
        "--for=condition=available=TRUE deployment/good",
        "--for=condition=Ready nodes --all",
        "--for=condition=Ready=false nodes --all",
        "--for=condition=Available deployment/missing",
    ]
    verdicts = {}
    for words in waits:
        probe = probe_of(["kubectl", "wait", *words.split()])
        assert probe is not None, words
        got = kube(*probe.get_argv[1:])
        probed = got.returncode == 0 and met_lines(got.stdout, probe) is not None
        real = kube("wait", *words.split(), "--timeout=0s").returncode == 0
        assert probed == real, (words, got.stdout[-300:])
        verdicts[words] = real
    # Both outcomes were exercised.
    assert set(verdicts.values()) == {True, False}, verdicts


class _Shell:
    def __init__(self) -> None:
        self.shown: list[tuple[str, int | None]] = []

    def announce(self, display: str, cluster: str | None) -> None:
        self.shown.append((display, None))

    def announce_finished(self, result: CommandResult) -> None:
        self.shown.append((result.display, result.exit_code))


class _Ctx:
    """What `polled` asks of a Context; `answers` maps a command's first words to (code, stdout)."""

    def __init__(self, command: str, answers: dict[str, tuple[int, str]]) -> None:
        self.command, self.answers, self.shell = command, answers, _Shell()
        self.ran: list[tuple[str, bool]] = []

    def argv(self, command: str, cluster: str | None, extra: dict[str, str]) -> list[str]:
        return command.replace("{timeout}", extra["timeout"]).split()

    def text(self, text: str, cluster: str | None) -> str:
        return text

    def scaled(self, seconds: float) -> float:
        return seconds

    def display(self, argv: list[str], cluster: str | None) -> str:
        return " ".join(argv)

    def with_kubeconfig(self, argv: list[str], cluster: str | None) -> list[str]:
        return argv

    def run(
        self, argv: list[str], *, cluster: str | None, timeout: float, ok_codes: object, quiet: bool
    ) -> CommandResult:
        line = " ".join(argv)
        self.ran.append((line, quiet))
        code, out = next(v for k, v in self.answers.items() if line.startswith(k))
        return CommandResult(tuple(argv), code, out, "", 0.0, 0.0, line, cluster)


def _check(command: str, **keys: object) -> Check:
    spec = CommandModel(claim="c", command=command, cluster="a", **keys)  # type: ignore[arg-type]
    return Check(kind="command", claim="c", where="test", spec=spec, cluster="a", timeout=5.0)


WAIT = "kubectl wait --for=condition=Available deployment --all -n liqo --timeout={timeout}"
LISTED = {"kind": "List", "items": [_obj([{"type": "Available", "status": "True"}])]}


def test_a_claim_already_true_shows_the_wait_and_runs_one_quiet_get() -> None:
    ctx = _Ctx(WAIT, {"kubectl get": (0, json.dumps(LISTED))})
    outcome = CommandClaim().evaluate(ctx, _check(WAIT), "a", quick=False)  # type: ignore[arg-type]
    assert outcome.ok and outcome.seen == "deployment.apps/x condition met"
    assert ctx.ran == [("kubectl get deployment --namespace=liqo -o json", True)]
    shown = WAIT.split("{timeout}")[0]
    assert [d.startswith(shown) for d, _ in ctx.shell.shown] == [True, True] and ctx.shell.shown[1][1] == 0


def test_a_claim_not_true_yet_runs_the_real_wait_shown_once() -> None:
    listed = {"kind": "List", "items": [_obj([{"type": "Available", "status": "False"}])]}
    ctx = _Ctx(
        WAIT,
        {"kubectl get": (0, json.dumps(listed)), "kubectl wait": (0, "deployment.apps/x condition met\n")},
    )
    outcome = CommandClaim().evaluate(ctx, _check(WAIT), "a", quick=False)  # type: ignore[arg-type]
    assert outcome.ok
    # The claim's command is shown once, started then ended (its last try's exit code); the probe
    # and every try of the wait are plumbing.
    assert [(d.split()[:2], code) for d, code in ctx.shell.shown] == [
        (["kubectl", "wait"], None),
        (["kubectl", "wait"], 0),
    ]
    assert [quiet for _, quiet in ctx.ran] == [True, True] and ctx.ran[1][0].startswith("kubectl wait")


def test_a_claim_that_reads_the_output_is_never_probed() -> None:
    check = _check(WAIT, stdout_contains="liqo-proxy")
    ctx = _Ctx(WAIT, {"kubectl wait": (0, "deployment.apps/liqo-proxy condition met\n")})
    assert CommandClaim().evaluate(ctx, check, "a", quick=False).ok  # type: ignore[arg-type]
    assert [line.split()[1] for line, _ in ctx.ran] == ["wait"]


class _Sequence(_Ctx):
    """Answers each command from a list, in order (the first try fails, the next one holds)."""

    def __init__(self, command: str, answers: list[tuple[int, str]]) -> None:
        super().__init__(command, {})
        self.queue = list(answers)

    def run(
        self, argv: list[str], *, cluster: str | None, timeout: float, ok_codes: object, quiet: bool
    ) -> CommandResult:
        line = " ".join(argv)
        self.ran.append((line, quiet))
        code, out = self.queue.pop(0)
        return CommandResult(tuple(argv), code, out, "", 0.0, 0.0, line, cluster)


def test_a_polled_claim_shows_its_command_once_with_how_its_last_try_ended() -> None:
    """claims/polling.py: a learner sees the claim's command once (not the failed first try, not the
    polls); the tries are plumbing, in the transcript and with --verbose."""
    command = "kubectl get namespace demo"
    ctx = _Sequence(command, [(1, ""), (1, ""), (0, "demo Active\n")])
    outcome = CommandClaim().evaluate(ctx, _check(command), "a", quick=False)  # type: ignore[arg-type]
    assert outcome.ok
    assert ctx.shell.shown == [(command, None), (command, 0)]
    assert [quiet for _, quiet in ctx.ran] == [True, True, True]

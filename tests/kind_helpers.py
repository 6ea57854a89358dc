"""A small tutorial written into a temporary directory, and a Context to run its verbs and claims
against host programs (printf, sh, sleep): no cluster is involved, so these tests are fast."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liqo_tutor import claims, loader, verbs
from liqo_tutor.context import ClusterInfo, Context
from liqo_tutor.results import CheckResult, CommandResult
from liqo_tutor.shell import ClusterShell, CommandEvent
from liqo_tutor.state import State
from liqo_tutor.tutorial import Action, Check, Step, Tutorial

HEAD = """\
name: kinds
title: Kinds under test
clusters:
  - name: alpha
    kubeconfig: kc_alpha
    env: KUBECONFIG
  - name: beta
    kubeconfig: kc_beta
    env: KUBECONFIG_BETA
provider:
  list: kind get clusters
  delete: kind delete cluster --name {cluster}
lines:
  detect:
    command: liqoctl version --client
    pattern: '^Client version: (?P<version>v\\d+\\.\\d+\\.\\d+)'
    default: v1
  v1:
    range: ">=1.0.0,<2.0.0"
    fallback_version: v1.2.0
vars:
  namespace: demo
steps:
"""


def write_tutorial(tmp: Path, steps: str, head: str = HEAD, manifests: dict[str, str] | None = None) -> Path:
    """`tmp/steps/kinds.yaml` with the given steps (YAML text, indented as list items), and a
    sibling `manifests/` holding `manifests` (relative path -> text)."""
    (tmp / "steps").mkdir(parents=True, exist_ok=True)
    (tmp / "manifests").mkdir(exist_ok=True)
    for rel, text in (manifests or {}).items():
        (tmp / "manifests" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "manifests" / rel).write_text(text)
    path = tmp / "steps" / "kinds.yaml"
    path.write_text(head + textwrap.indent(textwrap.dedent(steps), "  "))
    return path


def step_yaml(actions: str = "", checks: str = "", step_id: str = "s") -> str:
    """One step with these actions and checks (YAML list items, dedented)."""
    body = f"- id: {step_id}\n  title: T\n  explain: E.\n"
    body += "  actions:\n" + textwrap.indent(textwrap.dedent(actions), "    ") if actions else "  actions: []\n"
    body += "  checks:\n" + textwrap.indent(textwrap.dedent(checks), "    ") if checks else "  checks: []\n"
    return body


@dataclass
class Recorder:
    """A Reporter that keeps what it is told."""

    notes: list[str] = field(default_factory=list)
    shown: list[tuple[str, str]] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    finished: list[CommandResult] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def output_shown(self, step_id: str, label: str, text: str) -> None:
        self.shown.append((label, text))

    def event(self, event: CommandEvent) -> None:
        """The shell's observer: commands started and finished."""
        if event.result is None:
            self.started.append(event.display)
        else:
            self.finished.append(event.result)

    def __getattr__(self, name: str) -> Any:  # the other Reporter hooks: ignored
        return lambda *args, **kwargs: None


def context(tut: Tutorial, workdir: Path, reporter: Recorder | None = None) -> Context:
    workdir.mkdir(parents=True, exist_ok=True)
    rec = reporter or Recorder()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir)}
    clusters = {c.name: ClusterInfo(spec=c, kubeconfig=workdir / c.kubeconfig) for c in tut.clusters}
    return Context(
        tut,
        line="v1",
        liqo_version="v1.2.0",
        workdir=workdir,
        env=env,
        clusters=clusters,
        timeout_scale=1.0,
        state=State.load(workdir),
        reporter=rec,  # type: ignore[arg-type]
        shell=ClusterShell(env=env, workdir=workdir, clusters=clusters, observer=rec.event),
    )


def load(path: Path) -> Tutorial:
    return loader.validate(path)


def step(tut: Tutorial, step_id: str = "s") -> Step:
    found = tut.step(step_id)
    assert found is not None
    return found


def run_action(ctx: Context, action: Action, cluster: str | None) -> None:
    verbs.get(action.kind).run(ctx, action, cluster)


def check(ctx: Context, chk: Check, cluster: str | None, quick: bool = False) -> CheckResult:
    return claims.run_check(ctx, chk, cluster, quick=quick)

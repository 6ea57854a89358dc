"""The validated tutorial model: frozen dataclasses built by loader.py, no I/O, no tutorial knowledge.

An action or check carries its kind's validated pydantic model as `spec`; only its verb (verbs/) or
claim (claims/) reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "VAR_RE",
    "Action",
    "Check",
    "ClusterSpec",
    "Line",
    "LineDetect",
    "Override",
    "Provider",
    "Requirement",
    "Step",
    "Tutorial",
    "variables_in",
]

# `{name}` or `{name@cluster}`; anything else in braces (`{.status.phase}`, `{{json .}}`) stays literal.
VAR_RE = re.compile(r"\{([a-z][a-z0-9_]*)(?:@([a-z0-9][a-z0-9.-]*))?\}")


def variables_in(text: str) -> list[tuple[str, str | None]]:
    """The `(name, cluster-or-None)` variable references in a string."""
    return [(m.group(1), m.group(2)) for m in VAR_RE.finditer(text)]


@dataclass(frozen=True)
class Override:
    """Extra variables for a version range inside a line (e.g. a flag that appeared in v0.9.0)."""

    range: str
    vars: dict[str, str]


@dataclass(frozen=True)
class Line:
    """A family of releases of the tool the tutorial targets (Liqo v0.x, v1.x), with its own variables."""

    name: str
    range: str  # ">=1.0.0,<2.0.0"
    fallback_version: str  # used when the client version cannot be read but the line is forced
    vars: dict[str, str]
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class LineDetect:
    command: str  # as typed, e.g. "liqoctl version --client"
    pattern: str  # regex with a named group `version` ("v1.2.0")
    default: str  # line used by `show`/plans when nothing can be detected
    # Per cluster, once the tool runs there: a command and a regex (named group `version`) giving the
    # server-side version; a server of another line than the client's fails the run early.
    server_command: str | None = None
    server_pattern: str | None = None


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    kubeconfig: str  # file name in the workdir
    env: str  # environment variable the tutorial exports (KUBECONFIG, KUBECONFIG_NEWYORK)
    kind_config: str | None  # manifest path (relative to manifests/), may use line variables
    labels: dict[str, str]
    vars: dict[str, str]


@dataclass(frozen=True)
class Provider:
    """How clusters are listed and deleted (kind); create commands live in the steps."""

    list: str
    delete: str


@dataclass(frozen=True)
class Requirement:
    program: str
    hint: str
    probe: str | None = None  # a command that must exit 0 with non-empty stdout (docker daemon answering)
    for_create: bool = False  # only needed when this tool creates clusters


@dataclass(frozen=True)
class Check:
    """One verified claim. `kind` names its claim (claims/); `spec` is that kind's validated model."""

    kind: str  # command | table | json-list | json-subset | distinct | cidr | text | json | ...
    claim: str
    where: str  # breadcrumb for messages ("steps[peer].checks[2]")
    spec: BaseModel
    cluster: str | None = None
    each: bool = False
    lines: tuple[str, ...] = ()
    timeout: float = 60.0
    interval: float = 0.2
    hint: str | None = None
    uses: frozenset[str] = frozenset()  # captures it reads (its texts, through variables)
    saves: frozenset[str] = frozenset()  # captures it saves


@dataclass(frozen=True)
class Action:
    """One thing a step does. `kind` names its verb (verbs/); `spec` is that kind's validated model."""

    kind: str  # run | create-cluster | delete-cluster | generated-command | run-pod | ...
    where: str
    spec: BaseModel
    cluster: str | None = None
    each: bool = False
    lines: tuple[str, ...] = ()
    timeout: float = 600.0
    ok_codes: tuple[int, ...] = (0,)
    retries: int = 0
    retry_delay: float = 3.0
    guards: tuple[Check, ...] = ()  # all must hold, else the action is skipped (absent = nothing to do)
    unless: tuple[Check, ...] = ()  # if all hold, the action is skipped (already done)
    before: tuple[Check, ...] = ()  # claims verified (and shown) just before the action runs
    option: str | None = None  # runs only when the user asked for this option (--preload-images)
    hint: str | None = None
    # Bring-your-own clusters: what this action did is remembered per cluster (`records`), and a
    # teardown action that `undoes` it runs on such a cluster only if this tool did it.
    records: str | None = None
    undoes: str | None = None


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    explain: str
    actions: tuple[Action, ...]
    checks: tuple[Check, ...]
    teardown: bool = False
    concurrent: bool = False  # per-cluster chains run in parallel threads
    hint: str | None = None
    verify: str = "checks"  # "by-running": a re-run verifies it live by running it again (probes only)


@dataclass(frozen=True)
class Tutorial:
    name: str
    title: str
    path: str  # file it was loaded from
    digest: str  # sha256 of the file: a changed tutorial resets recorded progress
    manifests: str  # directory of manifests ({manifests})
    clusters: tuple[ClusterSpec, ...]
    provider: Provider
    requires: tuple[Requirement, ...]
    detect: LineDetect
    lines: dict[str, Line]
    vars: dict[str, str]
    steps: tuple[Step, ...]
    # Commands run on every cluster when a step fails; their output goes to .liqo-tutor/diagnostics/.
    diagnostics: tuple[str, ...] = ()
    # Capture name -> the step that saves it first (a capture is a variable of later commands).
    saves: dict[str, str] = field(default_factory=dict)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def cluster(self, name: str) -> ClusterSpec | None:
        return next((c for c in self.clusters if c.name == name), None)

    @property
    def main_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if not s.teardown)

    @property
    def teardown_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.teardown)

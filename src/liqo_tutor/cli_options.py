"""The CLI's options and inputs: the typer option types, the workdir, --cluster, and the environment of
every child (--simulate changes nothing but this environment)."""

from __future__ import annotations

import enum
import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from liqo_tutor.constants import STATE_DIR_NAME
from liqo_tutor.errors import InputError

if TYPE_CHECKING:
    from liqo_tutor.engine import ClusterRef

__all__ = ["build_env", "clusters", "parse_cluster", "preload", "workdir_of"]

# liqo-tutor uses no pydantic plugin: skip their discovery (a scan of every installed package's
# metadata, about 25 ms of each start-up) unless the user's environment says otherwise. The
# variable is not passed on to the commands liqo-tutor runs (build_env).
_PLUGINS_VAR = "PYDANTIC_DISABLE_PLUGINS"
_PLUGINS_SET_HERE = _PLUGINS_VAR not in os.environ
if _PLUGINS_SET_HERE:
    os.environ[_PLUGINS_VAR] = "__all__"


class LineChoice(str, enum.Enum):
    v0 = "v0"
    v1 = "v1"


# ---- common options -----------------------------------------------------------------------------

Simulate = Annotated[bool, typer.Option(
    "--simulate", help="Use the simulated playground (fake kind, liqoctl, docker; real kubectl).")]
Workdir = Annotated[Path | None, typer.Option(
    "--workdir", "-w", help="Where kubeconfigs and .liqo-tutor/ live (default: current directory).",
    file_okay=False)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Show every command's output.")]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
NoColor = Annotated[bool, typer.Option("--no-color", help="Plain text output, no colours or spinners.")]
StepsDir = Annotated[Path | None, typer.Option(
    "--steps-dir", help="Look tutorials up in this directory instead of the packaged ones.",
    file_okay=False)]
FromStep = Annotated[str | None, typer.Option("--from", help="Start at this step (redo it and the next).")]
ToStep = Annotated[str | None, typer.Option("--to", help="Stop after this step.")]
TeardownAfter = Annotated[bool, typer.Option(
    "--teardown", help="Tear the playground down at the end, even after a failure.")]
Restart = Annotated[bool, typer.Option("--restart", help="Forget progress, start clean (tears down first).")]
Sequential = Annotated[bool, typer.Option("--sequential", help="Upstream order, one command at a time.")]
Replace = Annotated[bool, typer.Option(
    "--replace", help="Allow deleting a same-named kind cluster this tool did not create.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the resolved plan, execute nothing.")]
Line = Annotated[LineChoice | None, typer.Option("--line", help="Liqo line (default: from liqoctl).")]
Clusters = Annotated[list[str] | None, typer.Option(
    "--cluster", metavar="NAME=KUBECONFIG[@CONTEXT]",
    help="Use an existing cluster instead of creating it (repeatable).")]
Report = Annotated[Path | None, typer.Option(
    "--report", metavar="FILE.json", dir_okay=False,
    help="Also write a JSON report (tutorial, Liqo line, each step and check) for CI.")]
Junit = Annotated[Path | None, typer.Option(
    "--junit", metavar="FILE.xml", dir_okay=False,
    help="Also write a JUnit XML file (one test case per step).")]
Interactive = Annotated[bool, typer.Option(
    "--interactive", "-i", help="Learner mode: show each step and its commands, then wait (Enter, s, q).")]
Explain = Annotated[bool, typer.Option(
    "--explain",
    help="After each step, tell what changed in each cluster (nodes, namespaces, services, pods).")]
Preload = Annotated[bool, typer.Option(
    "--preload-images",
    help="Pull the tutorial's images once on this host and load them into every kind cluster.")]
TimeoutScale = Annotated[float, typer.Option("--timeout-scale", help="Multiply every timeout (e.g. 2).")]
TutorialArg = Annotated[str | None, typer.Argument(
    help="Tutorial name (default: the one in progress here, else service-offloading).", show_default=False)]


def workdir_of(workdir: Path | None, *, writable: bool) -> Path:
    wd = (workdir or Path.cwd()).expanduser().resolve()
    if not wd.is_dir():
        raise InputError(f"workdir {wd} does not exist",
                         hint=f"create it (`mkdir -p {wd}`) or pick another with --workdir")
    if writable and not _can_write(wd):
        raise InputError(f"workdir {wd} is not writable",
                         hint="run from a directory you can write to, or pass --workdir DIR")
    return wd


def _can_write(wd: Path) -> bool:
    """Really try (os.access says yes to root on a read-only mount): .liqo-tutor/ and a file in it."""
    import tempfile

    if not os.access(wd, os.W_OK | os.X_OK):
        return False
    try:
        (wd / STATE_DIR_NAME).mkdir(exist_ok=True)
        with tempfile.TemporaryFile(dir=wd / STATE_DIR_NAME):
            pass
    except OSError:
        return False
    return True


def build_env(simulate: bool, workdir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The complete environment of every child. --simulate changes nothing else than this."""
    env = dict(os.environ if base is None else base)
    if base is None and _PLUGINS_SET_HERE:
        env.pop(_PLUGINS_VAR, None)
    if simulate:
        sim = importlib.import_module("liqo_tutor.sim")
        simdir = sim.simdir_for(workdir)
        bin_dir = sim.ensure_bin(simdir)
        original_path = env.get("PATH", "")
        env.update({str(k): str(v) for k, v in sim.sim_env(simdir, workdir).items()})
        kept = [p for p in original_path.split(os.pathsep) if p]
        parts = [str(bin_dir), *kept, str(Path(sys.executable).parent)]
        env["PATH"] = os.pathsep.join(parts)
    return env


def parse_cluster(spec: str) -> tuple[str, Path, str | None]:
    """`NAME=KUBECONFIG[@CONTEXT]` -> (name, absolute kubeconfig path, context)."""
    name, eq, rest = spec.partition("=")
    path, context = rest, None
    head, at, tail = rest.rpartition("@")
    if at and head and tail and "/" not in tail:
        path, context = head, tail
    if not eq or not name.strip() or not path.strip():
        raise InputError(f"--cluster {spec!r}: expected NAME=KUBECONFIG[@CONTEXT]",
                         hint="e.g. --cluster london=$HOME/.kube/london.yaml@kind-london")
    return name.strip(), Path(path).expanduser().resolve(), context


def clusters(specs: list[str] | None) -> dict[str, ClusterRef]:
    """--cluster NAME=KUBECONFIG[@CONTEXT] options -> the engine's bring-your-own clusters."""
    from liqo_tutor.engine import ClusterRef

    clusters: dict[str, ClusterRef] = {}
    for spec in specs or []:
        name, path, context = parse_cluster(spec)
        clusters[name] = ClusterRef(kubeconfig=path, context=context)
    return clusters


def preload(preload_images: bool) -> frozenset[str]:
    return frozenset({"preload-images"} if preload_images else ())

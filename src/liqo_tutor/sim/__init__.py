"""The simulated playground: a fake Kubernetes API server, kind, liqoctl and docker."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["KUBE_CACHE", "MARKER", "ensure_bin", "real_kubectl", "sim_env", "simdir_for"]

# Every generated shim carries this line: it tells our own shims apart from real tools on PATH.
MARKER = "# liqo-tutor simulated playground shim"
SIMULATED = ("kind", "liqoctl", "docker", "helm")
KUBE_CACHE = "kube-cache"  # the playground's kubectl cache directory (KUBECACHEDIR), under its simdir


def simdir_for(workdir: Path) -> Path:
    return Path(workdir) / ".liqo-tutor" / "sim"


def _is_shim(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return MARKER.encode() in fh.read(512)
    except OSError:
        return False


def real_kubectl(exclude: Path | None = None) -> str | None:
    """The real kubectl: PATH (minus `exclude` and any playground shim), else next to sys.executable."""
    from shutil import which  # here: the simulated tools import this package, and rarely need it

    skip = exclude.resolve() if exclude is not None else None
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    dirs.append(str(Path(sys.executable).parent))
    for d in dirs:
        try:
            if skip is not None and Path(d).resolve() == skip:
                continue
        except OSError:
            continue
        found = which("kubectl", path=d)
        if found and not _is_shim(Path(found)):
            return found
    return None


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text and os.access(path, os.X_OK):
            return
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.chmod(0o755)
    os.replace(tmp, path)


def _shim(simdir: Path, name: str) -> str:
    from shlex import quote as q

    return (
        "#!/bin/sh\n"
        f"{MARKER}\n"
        f"LIQO_TUTOR_SIM_DIR={q(str(simdir))}\n"
        "export LIQO_TUTOR_SIM_DIR\n"
        f"exec {q(sys.executable)} -m liqo_tutor.sim.tools {q(name)} \"$@\"\n"
    )


def _kubectl_shim(simdir: Path, real: str | None) -> str:
    from shlex import quote as q

    head = (
        "#!/bin/sh\n"
        f"{MARKER}\n"
        f"LIQO_TUTOR_SIM_DIR={q(str(simdir))}\n"
        "export LIQO_TUTOR_SIM_DIR\n"
        # kubectl keeps discovery per host:port (~/.kube/cache/discovery/127.0.0.1_PORT, for hours):
        # playgrounds come and go on reused local ports, so each keeps its own cache, and a new
        # cluster starts with none (daemon.py), as a kind cluster on a fresh port would.
        f"KUBECACHEDIR={q(str(simdir / KUBE_CACHE))}\n"
        "export KUBECACHEDIR\n"
    )
    if real is None:
        return head + 'echo "$0: 1: kubectl: not found" >&2\nexit 127\n'
    # Fast path: no Python start-up for the most frequent command unless a rule names kubectl.
    return head + (
        f"LIQO_TUTOR_SIM_REAL_KUBECTL={q(real)}\n"
        "export LIQO_TUTOR_SIM_REAL_KUBECTL\n"
        # The playground's server stops after a long idle time; like a machine whose clusters come back
        # after a reboot, the first kubectl call brings a persisted playground back up.
        'if [ ! -f "$LIQO_TUTOR_SIM_DIR/daemon.json" ] && [ -f "$LIQO_TUTOR_SIM_DIR/state.json" ]; then\n'
        f"  {q(sys.executable)} -m liqo_tutor.sim.tools wake >/dev/null 2>&1\n"
        "fi\n"
        'case "${LIQO_TUTOR_SIM_FAULTS:-}" in\n'
        "  *kubectl*) ;;\n"
        f'  *) exec {q(real)} "$@" ;;\n'
        "esac\n"
        f'exec {q(sys.executable)} -m liqo_tutor.sim.tools kubectl "$@"\n'
    )


def ensure_bin(simdir: Path) -> Path:
    """Write <simdir>/bin/{kind,liqoctl,docker,kubectl} (idempotent) and return that directory."""
    simdir = Path(simdir).resolve()
    bindir = simdir / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for name in SIMULATED:
        _write_if_changed(bindir / name, _shim(simdir, name))
    _write_if_changed(bindir / "kubectl", _kubectl_shim(simdir, real_kubectl(exclude=bindir)))
    return bindir


def sim_env(simdir: Path, workdir: Path | None = None) -> dict[str, str]:
    """Environment additions that select the playground: its bin dir first on PATH, LIQO_TUTOR_SIM_DIR."""
    simdir = Path(simdir).resolve()
    bindir = str(simdir / "bin")
    parts = [bindir, *[p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != bindir]]
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in parts:
        parts.append(venv_bin)
    return {"PATH": os.pathsep.join(parts), "LIQO_TUTOR_SIM_DIR": str(simdir)}

"""Host checks before a real run: Docker and its daemon, kind, kubectl, liqoctl, resources, inotify.

Each check is data (name, status, found, fix). Nothing here knows whether the tools are simulated.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from liqo_tutor.errors import StepFailed, ToolFailed, ToolNotFound, ToolTimeout
from liqo_tutor.results import CommandResult
from liqo_tutor.timeouts import HOST_CHECK
from liqo_tutor.tools import docker, kind, kubectl, liqoctl
from liqo_tutor.tutorial import Requirement

__all__ = ["Finding", "Level", "diagnose", "exit_code", "failed", "preflight", "quick"]

Level = str  # "ok" | "warn" | "fail"

# What a two-cluster, two-node-per-cluster Liqo playground needs (kind's and Liqo's requirement pages).
MIN_DOCKER_MEMORY = 8 * 1024**3
MIN_DOCKER_CPUS = 4
KIND_MIN = (0, 20, 0)
KERNEL_MIN = (5, 10, 0)  # Liqo v1.x install refuses older kernels (WireGuard)
INOTIFY = {"max_user_watches": 524288, "max_user_instances": 512}
INSTALL = {
    "docker": "install Docker Engine: https://docs.docker.com/engine/install/",
    "kind": "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "kubectl": "install kubectl: https://kubernetes.io/docs/tasks/tools/",
    "liqoctl": "install liqoctl: https://docs.liqo.io/en/stable/installation/liqoctl.html",
    "helm": "install helm: https://helm.sh/docs/intro/install/",
}


@dataclass(frozen=True)
class Finding:
    check: str
    status: Level
    found: str
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)


Runner = Callable[..., CommandResult]


def _run(run: Runner, argv: Sequence[str], env: Mapping[str, str]) -> CommandResult | str:
    """The command's result, or a short reason why it could not give one."""
    try:
        return run(list(argv), env=env, timeout=HOST_CHECK)
    except ToolNotFound:
        return "not found on PATH"
    except ToolTimeout:
        return f"did not answer within {HOST_CHECK:g}s"
    except ToolFailed as err:
        return (
            err.result.stderr.strip().splitlines()[-1]
            if err.result.stderr.strip()
            else f"exit {err.result.exit_code}"
        )


def _version(text: str) -> tuple[int, int, int] | None:
    m = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _fmt(v: tuple[int, int, int]) -> str:
    return "v{}.{}.{}".format(*v)


def _docker(run: Runner, env: Mapping[str, str]) -> list[Finding]:
    out = _run(run, docker.VERSION, env)
    if isinstance(out, str):
        return [Finding("docker", "fail", out, INSTALL["docker"])]
    found = [Finding("docker", "ok", out.stdout.strip())]
    daemon = _daemon(run, env)
    found.append(daemon)
    if daemon.status != "ok":
        return found
    info = _run(run, docker.INFO_JSON, env)
    if not isinstance(info, str):
        try:
            data = json.loads(info.stdout)
            mem, cpus = int(data.get("MemTotal", 0)), int(data.get("NCPU", 0))
        except (ValueError, TypeError):
            mem, cpus = 0, 0
        if mem:
            gib = mem / 1024**3
            ok = mem >= MIN_DOCKER_MEMORY * 0.95
            found.append(
                Finding(
                    "docker memory",
                    "ok" if ok else "warn",
                    f"{gib:.1f} GiB",
                    "" if ok else "give Docker at least 8 GiB for two two-node clusters with Liqo",
                )
            )
        if cpus:
            ok = cpus >= MIN_DOCKER_CPUS
            found.append(
                Finding(
                    "docker cpus",
                    "ok" if ok else "warn",
                    str(cpus),
                    "" if ok else f"give Docker at least {MIN_DOCKER_CPUS} CPUs",
                )
            )
    return found


def _daemon(run: Runner, env: Mapping[str, str]) -> Finding:
    # The reliable probe: exit 0 and a non-empty server version only when the daemon answers.
    server = _run(run, docker.SERVER_VERSION, env)
    if isinstance(server, str) or not server.stdout.strip():
        reason = server if isinstance(server, str) else "no server version"
        return Finding(
            "docker daemon",
            "fail",
            reason,
            "start Docker (`sudo systemctl start docker`, or open Docker Desktop) and check that "
            "your user may use it (`sudo usermod -aG docker $USER`, then log in again)",
        )
    return Finding("docker daemon", "ok", f"Docker Engine {server.stdout.strip()}")


def _kind(run: Runner, env: Mapping[str, str]) -> Finding:
    out = _run(run, kind.VERSION, env)
    if isinstance(out, str):
        return Finding("kind", "fail", out, INSTALL["kind"])
    v = _version(out.stdout)
    if v is None or v < KIND_MIN:
        return Finding("kind", "warn", out.stdout.strip(), f"upgrade kind to {_fmt(KIND_MIN)} or newer")
    return Finding("kind", "ok", out.stdout.strip())


def _kubectl(run: Runner, env: Mapping[str, str]) -> Finding:
    out = _run(run, kubectl.CLIENT_VERSION_JSON, env)
    if isinstance(out, str):
        return Finding("kubectl", "fail", out, INSTALL["kubectl"])
    try:
        version = json.loads(out.stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, TypeError):
        version = out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"
    return Finding("kubectl", "ok", str(version))


def _liqoctl(
    run: Runner, env: Mapping[str, str], supported: Mapping[str, str], accept: Callable[[str], str | None]
) -> Finding:
    out = _run(run, liqoctl.CLIENT_VERSION, env)
    ranges = ", ".join(f"{line}: {spec}" for line, spec in supported.items())
    if isinstance(out, str):
        return Finding(
            "liqoctl", "fail", out, INSTALL["liqoctl"] + (f" (supported: {ranges})" if ranges else "")
        )
    text = out.stdout.strip()
    line = accept(text)
    if line is None:
        return Finding(
            "liqoctl", "fail", text or "no version printed", f"install a supported liqoctl ({ranges})"
        )
    return Finding("liqoctl", "ok", f"{text} (Liqo line {line})")


def _inotify(proc: Path) -> list[Finding]:
    found = []
    for key, want in INOTIFY.items():
        path = proc / "sys" / "fs" / "inotify" / key
        try:
            have = int(path.read_text().strip())
        except (OSError, ValueError):
            continue  # not Linux, or not readable: nothing to say
        status = "ok" if have >= want else "warn"
        fix = "" if status == "ok" else f"sudo sysctl fs.inotify.{key}={want}"
        found.append(Finding(f"inotify {key}", status, str(have), fix))
    return found


def _disk(workdir: Path) -> Finding:
    free = shutil.disk_usage(workdir).free
    gib = free / 1024**3
    if gib < 10:
        return Finding(
            "free disk",
            "warn",
            f"{gib:.1f} GiB in {workdir}",
            "free at least 10 GiB: kind node images and Liqo images are large (`docker system prune`)",
        )
    return Finding("free disk", "ok", f"{gib:.0f} GiB")


def _present(name: str, env: Mapping[str, str]) -> Finding:
    path = shutil.which(name, path=env.get("PATH", ""))
    if path is None:
        return Finding(name, "fail", "not found on PATH", INSTALL.get(name, f"install {name}"))
    return Finding(name, "ok", path)


def quick(
    run: Runner,
    env: Mapping[str, str],
    *,
    programs: Sequence[str] = ("docker", "kind", "kubectl", "liqoctl"),
    daemon: bool = True,
) -> list[Finding]:
    """The fast part `run` does before touching anything: the programs on PATH, the daemon answering."""
    findings = [_present(name, env) for name in programs]
    docker_ok = any(f.check == "docker" and f.status == "ok" for f in findings)
    if daemon and docker_ok:
        findings.append(_daemon(run, env))
    return findings


def preflight(
    run: Runner,
    env: Mapping[str, str],
    requires: Sequence[Requirement],
    *,
    create: bool,
    byo_all: bool,
) -> None:
    """Before a run (and before a step that creates clusters): the fast checks of the programs the
    tutorial requires; stops with every fix at once. Creating nothing on your own clusters needs no
    daemon nor kind."""
    if create and byo_all:
        return
    wanted = [r for r in requires if not r.for_create or (create and not byo_all)]
    findings = quick(
        run, env, programs=[r.program for r in wanted], daemon=create and any(r.probe for r in wanted)
    )
    bad = failed(findings)
    if not bad:
        return
    what = "; ".join(f"{f.check}: {f.found}" for f in bad)
    fixes = "; ".join(f.fix for f in bad if f.fix)
    hint = (
        f"{fixes}; `liqo-tutor doctor` checks the whole machine; "
        "or rehearse in the simulated playground with --simulate"
    )
    if all(f.found == "not found on PATH" for f in bad):
        raise ToolNotFound(", ".join(f.check for f in bad), hint=hint)
    raise StepFailed(f"this machine is not ready ({what})", hint=hint)


def failed(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == "fail"]


def exit_code(findings: Sequence[Finding]) -> int:
    """0 when nothing fails (warnings only may hurt), 1 otherwise."""
    return 1 if failed(findings) else 0


def _kernel(release: str, minimum: tuple[int, int, int] = KERNEL_MIN) -> Finding | None:
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", release)
    if m is None:
        return None
    have = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    if have >= minimum:
        return Finding("kernel", "ok", release)
    return Finding(
        "kernel",
        "warn",
        release,
        f"Liqo v1.x needs Linux {_fmt(minimum).lstrip('v')} or newer for its WireGuard network; upgrade the "
        "kernel, or add --disable-kernel-version-check to `liqoctl install` (at your own risk)",
    )


def _skew(kubectl: Finding, cluster_version: str | None) -> Finding | None:
    """kubectl supports clusters within one minor version of itself (it warns beyond that)."""
    client = _version(kubectl.found) if kubectl.status == "ok" else None
    server = _version(cluster_version or "")
    if client is None or server is None:
        return None
    skew = abs(client[1] - server[1]) if client[0] == server[0] else 99
    found = f"kubectl {_fmt(client)}, clusters {_fmt(server)}"
    if skew <= 1:
        return Finding("kubectl skew", "ok", found)
    return Finding(
        "kubectl skew",
        "warn",
        found,
        f"kubectl supports clusters within one minor version; install kubectl v{server[0]}.{server[1]} "
        "(https://kubernetes.io/docs/tasks/tools/)",
    )


def diagnose(
    run: Runner,
    env: Mapping[str, str],
    *,
    workdir: Path,
    supported: Mapping[str, str],
    accept: Callable[[str], str | None],
    proc: Path = Path("/proc"),
    cluster_version: str | None = None,
    kernel: str | None = None,
) -> list[Finding]:
    """Every check; `accept(version_output)` names the tutorial's Liqo line for a liqoctl, or None.

    `cluster_version` is the Kubernetes version of the clusters (kubectl skew); `kernel` the Linux
    kernel release (Liqo v1.x refuses kernels older than 5.10), None when not on Linux.
    """
    findings = _docker(run, env)
    findings.append(_kind(run, env))
    kubectl = _kubectl(run, env)
    findings.append(kubectl)
    skew = _skew(kubectl, cluster_version)
    if skew is not None:
        findings.append(skew)
    findings.append(_liqoctl(run, env, supported, accept))
    findings.extend(_inotify(proc))
    if kernel is not None:
        found = _kernel(kernel)
        if found is not None:
            findings.append(found)
    findings.append(_disk(workdir))
    return findings

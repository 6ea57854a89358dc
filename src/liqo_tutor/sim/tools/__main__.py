"""`python -m liqo_tutor.sim.tools NAME ARGS...`: fault injection first, then the simulated tool."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from liqo_tutor.sim.tools.common import err, simdir

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["main"]

# Only what NAME needs is imported (each simulated tool is a process start on the playground's critical
# path): fault rules when LIQO_TUTOR_SIM_FAULTS is set, one tool's module, the traceback machinery
# only for a simulator bug.
FAULTS_ENV = "LIQO_TUTOR_SIM_FAULTS"  # = faults.ENV (a test pins them equal)

TOOLS = ("kind", "liqoctl", "docker", "helm", "kubectl", "wake")


def _tool(name: str) -> Callable[[list[str]], int]:
    if name == "kind":
        from liqo_tutor.sim.tools import kind

        return kind.main
    if name == "docker":
        from liqo_tutor.sim.tools import docker

        return docker.main
    if name == "helm":
        from liqo_tutor.sim.tools import helm

        return helm.main
    from liqo_tutor.sim.tools import liqoctl

    return liqoctl.main


def _exec_kubectl(args: list[str]) -> int:
    real = os.environ.get("LIQO_TUTOR_SIM_REAL_KUBECTL", "")
    if not real:
        from liqo_tutor.sim import real_kubectl

        real = real_kubectl(exclude=simdir() / "bin") or ""
    if not real:
        err("kubectl: not found\n")
        return 127
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(real, [real, *args])
    return 127  # not reached


def _internal_error(name: str, args: list[str], exc: BaseException) -> int:
    """A simulator bug: the tool's own error shape, the traceback in <simdir>/tools.log."""
    import traceback

    try:
        with (simdir() / "tools.log").open("a") as fh:
            fh.write(f"--- {name} {args!r}\n{traceback.format_exc()}")
    except OSError:
        pass
    text = f"internal error of the simulated {name}: {exc!r} (details in the playground's tools.log)"
    prefixes = {"kind": "ERROR: ", "liqoctl": "ERRO: ", "docker": "", "kubectl": "error: ", "helm": "Error: "}
    prefix = prefixes.get(name, "")
    err(f"{prefix}{text}\n")
    return 1


def _faults(name: str, rest: list[str]) -> int | None:
    """The exit code of an injected fault for this call, or None to run the tool."""
    text = os.environ.get(FAULTS_ENV, "")
    if not text.strip():
        return None
    from liqo_tutor.sim import faults

    try:
        rules = faults.parse(text)
    except faults.FaultSyntaxError as exc:
        err(f"liqo-tutor playground: {exc}\n")
        return 2
    return faults.inject(name, rest, rules, simdir()) if rules else None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in TOOLS:
        err(f"usage: python -m liqo_tutor.sim.tools {{{','.join(TOOLS)}}} ARGS...\n")
        return 2
    name, rest = args[0], args[1:]
    try:
        code = _faults(name, rest)
        if code is not None:
            return code
        if name == "kubectl":
            return _exec_kubectl(rest)
        if name == "wake":
            from liqo_tutor.sim.tools import kind

            kind.wake(simdir())
            return 0
        return _tool(name)(rest)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback on the user's terminal
        return _internal_error(name, rest, exc)


if __name__ == "__main__":
    sys.exit(main())

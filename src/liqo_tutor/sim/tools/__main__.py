"""`python -m liqo_tutor.sim.tools NAME ARGS...`: fault injection first, then the simulated tool."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from liqo_tutor.sim import faults
from liqo_tutor.sim.tools.common import err, simdir

__all__ = ["main"]

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


def _internal_error(name: str, exc: BaseException) -> int:
    """A simulator bug: the tool's own error shape, the traceback in <simdir>/tools.log."""
    try:
        with (simdir() / "tools.log").open("a") as fh:
            fh.write(f"--- {name} {sys.argv[2:]!r}\n{traceback.format_exc()}")
    except OSError:
        pass
    text = f"internal error of the simulated {name}: {exc!r} (details in the playground's tools.log)"
    prefixes = {"kind": "ERROR: ", "liqoctl": "ERRO: ", "docker": "", "kubectl": "error: ", "helm": "Error: "}
    prefix = prefixes.get(name, "")
    err(f"{prefix}{text}\n")
    return 1


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in TOOLS:
        err(f"usage: python -m liqo_tutor.sim.tools {{{','.join(TOOLS)}}} ARGS...\n")
        return 2
    name, rest = args[0], args[1:]
    try:
        rules = faults.parse(os.environ.get(faults.ENV, ""))
    except faults.FaultSyntaxError as exc:
        err(f"liqo-tutor playground: {exc}\n")
        return 2
    try:
        code = faults.inject(name, rest, rules, simdir()) if rules else None
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
        return _internal_error(name, exc)


if __name__ == "__main__":
    sys.exit(main())

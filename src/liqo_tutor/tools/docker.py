"""docker: is the engine usable? (what the upstream setup script checks before creating clusters)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from liqo_tutor.errors import ToolFailed, ToolTimeout
from liqo_tutor.tools import runner

__all__ = ["PROBE", "server_version"]

# Exit 0 and a non-empty stdout only when the daemon answers (the client version alone is not enough).
PROBE = ("docker", "version", "--format", "{{.Server.Version}}")


def server_version(
    env: Mapping[str, str], *, argv: Sequence[str] = PROBE, timeout: float = 30.0, cwd: Path | None = None
) -> tuple[str | None, str]:
    """(engine version or None, what went wrong). Raises ToolNotFound when docker is not installed."""
    try:
        result = runner.run(list(argv), env=env, timeout=timeout, cwd=cwd)
    except ToolFailed as exc:
        text = (exc.result.stderr.strip() or exc.result.stdout.strip()).splitlines()
        return None, text[-1] if text else f"exit code {exc.result.exit_code}"
    except ToolTimeout:
        return None, f"no answer within {timeout:g}s"
    version = result.stdout.strip()
    return (version, "") if version else (None, "empty server version")

"""docker: the command lines `liqo-tutor doctor` and the preflight ask the engine with."""

from __future__ import annotations

__all__ = ["INFO_JSON", "SERVER_VERSION", "VERSION"]

VERSION = ("docker", "--version")
INFO_JSON = ("docker", "info", "--format", "{{json .}}")
# Exit 0 and a non-empty stdout only when the daemon answers (the client version alone is not enough).
SERVER_VERSION = ("docker", "version", "--format", "{{.Server.Version}}")

"""Names and numbers shared by several modules: env vars, files in the workdir, timeouts."""

from __future__ import annotations

__all__ = [
    "CRASH_LOG",
    "DEFAULT_COMMAND_TIMEOUT",
    "DEFAULT_TUTORIAL",
    "ENV_NO_COLOR",
    "ENV_SIM_DIR",
    "ENV_SIM_FAULTS",
    "ENV_SIM_LIQO_VERSION",
    "ENV_SIM_SPEED",
    "KILL_GRACE",
    "KUBECONFIG_TEMPLATE",
    "LIQO_LINES",
    "PROG",
    "SIM_DIR_NAME",
    "STATE_DIR_NAME",
    "STATE_FILE",
    "TRANSCRIPT_FILE",
]

PROG = "liqo-tutor"
DEFAULT_TUTORIAL = "service-offloading"
LIQO_LINES = ("v0", "v1")

# Everything the tool writes lives under <workdir>/.liqo-tutor/ except the kubeconfigs, which the
# tutorial itself puts into the working directory (liqo_kubeconf_london, liqo_kubeconf_newyork).
STATE_DIR_NAME = ".liqo-tutor"
STATE_FILE = "state.json"
SIM_DIR_NAME = "sim"
CRASH_LOG = "crash.log"
TRANSCRIPT_FILE = "transcript.jsonl"
KUBECONFIG_TEMPLATE = "liqo_kubeconf_{cluster}"

ENV_SIM_DIR = "LIQO_TUTOR_SIM_DIR"
ENV_SIM_SPEED = "LIQO_TUTOR_SIM_SPEED"
ENV_SIM_LIQO_VERSION = "LIQO_TUTOR_SIM_LIQO_VERSION"
ENV_SIM_FAULTS = "LIQO_TUTOR_SIM_FAULTS"
ENV_NO_COLOR = "NO_COLOR"

# Seconds. A command that overruns its timeout gets SIGTERM, then SIGKILL after KILL_GRACE:
# kind deletes its half-made node containers and liqoctl rolls back on SIGTERM.
DEFAULT_COMMAND_TIMEOUT = 120.0
KILL_GRACE = 5.0

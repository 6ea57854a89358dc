"""kubectl (and liqoctl, helm: same connection flags): explicit kubeconfig per cluster, and every kubectl
command line the core builds itself (probe pods, leftovers, snapshots) rather than takes from a YAML."""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = [
    "CLIENT_VERSION_JSON",
    "KUBECONFIG_PROGRAMS",
    "delete_pod",
    "get_all_json",
    "get_pod_name",
    "pod_logs",
    "pod_phase_exit",
    "run_pod_create",
    "run_pod_shown",
    "wait_pod_succeeded",
    "with_kubeconfig",
]

# Programs that take client-go connection flags (--kubeconfig, --context; helm: --kube-context).
KUBECONFIG_PROGRAMS = frozenset({"kubectl", "liqoctl", "helm"})
_CONTEXT_FLAG = {"helm": "--kube-context"}  # helm's pkg/cli/environment.go (tools/helm.py)

CLIENT_VERSION_JSON = ("kubectl", "version", "--client", "-o", "json")

# One call answers both "has it finished?" and "with which exit code?".
_PHASE_EXIT = "jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}"


def with_kubeconfig(argv: Sequence[str], kubeconfig: str | None, context: str | None = None) -> list[str]:
    """`argv` with `--kubeconfig PATH` (and `--context`) added unless given, before any `--`.

    Nothing reads an ambient KUBECONFIG: every kubectl/liqoctl call names its cluster's file.
    """
    args = list(argv)
    if not args or os.path.basename(args[0]) not in KUBECONFIG_PROGRAMS or kubeconfig is None:
        return args
    end = args.index("--") if "--" in args else len(args)
    head, tail = args[:end], args[end:]
    extra: list[str] = []
    if not any(a == "--kubeconfig" or a.startswith("--kubeconfig=") for a in head):
        extra += ["--kubeconfig", kubeconfig]
    flag = _CONTEXT_FLAG.get(os.path.basename(args[0]), "--context")
    if context and not any(a == flag or a.startswith(f"{flag}=") for a in head):
        extra += [flag, context]
    return head + extra + tail


def run_pod_shown(pod: str, namespace: str, image: str, command: Sequence[str]) -> list[str]:
    """The one-liner a person types for a probe pod: run it attached, print its output, remove it."""
    where = [] if namespace == "default" else ["-n", namespace]
    return ["kubectl", "run", pod, *where, "--rm", "-i", "--restart=Never", "--image", image, "--", *command]


def run_pod_create(pod: str, namespace: str, image: str, command: Sequence[str]) -> list[str]:
    """What liqo-tutor runs instead of the attached one-liner: create the pod, then wait and read."""
    return ["kubectl", "run", pod, "-n", namespace, "--restart=Never", f"--image={image}", "--command",
            "--", *command]


def wait_pod_succeeded(pod: str, namespace: str, seconds: int) -> list[str]:
    return ["kubectl", "wait", f"pod/{pod}", "-n", namespace, "--for=jsonpath={.status.phase}=Succeeded",
            f"--timeout={seconds}s"]


def pod_phase_exit(pod: str, namespace: str) -> list[str]:
    """Prints `PHASE EXITCODE` (the exit code empty until the container has ended)."""
    return ["kubectl", "get", "pod", pod, "-n", namespace, "-o", _PHASE_EXIT]


def pod_logs(pod: str, namespace: str) -> list[str]:
    return ["kubectl", "logs", pod, "-n", namespace]


def delete_pod(pod: str, namespace: str) -> list[str]:
    """Delete without waiting; absence is fine."""
    return ["kubectl", "delete", "pod", pod, "-n", namespace, "--ignore-not-found", "--wait=false"]


def get_pod_name(pod: str, namespace: str) -> list[str]:
    """Prints `pod/NAME` when the pod exists, nothing otherwise."""
    return ["kubectl", "get", "pod", pod, "-n", namespace, "--ignore-not-found", "-o", "name"]


def get_all_json(kinds: str) -> list[str]:
    """Every object of `kinds` (comma-separated) in all namespaces, as one JSON List."""
    return ["kubectl", "get", kinds, "--all-namespaces", "-o", "json"]

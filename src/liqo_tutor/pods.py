"""The run-pod verb: a one-shot probe pod, shown as the `kubectl run NAME --rm -i ...` a person types.

Creating it, waiting for it, reading its logs and deleting it are plumbing: in the transcript, and on
the screen with --verbose only.
"""

from __future__ import annotations

import secrets as _random
import time
from typing import TYPE_CHECKING

from liqo_tutor import secrets
from liqo_tutor.errors import LiqoTutorError
from liqo_tutor.results import CommandResult
from liqo_tutor.tools import runner
from liqo_tutor.tools.kubectl import with_kubeconfig
from liqo_tutor.tutorial import Action

if TYPE_CHECKING:
    from liqo_tutor.actions import Context

__all__ = ["pod_command", "run_pod"]


# One call answers both "has it finished?" and "with which exit code?".
_PHASE_EXIT = "jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}"


def pod_command(ctx: Context, action: Action, cluster: str | None, pod: str) -> list[str]:
    """The one-liner a person types for what run-pod does (without `--kubeconfig`)."""
    ns = ctx.text(action.namespace or "default", cluster)
    image = ctx.text(action.image or "", cluster)
    command = ctx.argv(action.command, cluster, extra={"pod": pod})
    where = [] if ns == "default" else ["-n", ns]
    return ["kubectl", "run", pod, *where, "--rm", "-i", "--restart=Never", "--image", image, "--", *command]


def run_pod(ctx: Context, action: Action, cluster: str | None) -> None:
    """A one-shot pod without TTY or attach: run, wait for it to finish, read its logs, always delete it.

    What is shown is the one-liner a person types (`kubectl run NAME --rm -i ...`); the commands
    that do it (create, polls, logs, delete) are plumbing: transcript, and screen with --verbose.
    """
    assert cluster is not None
    pod = f"{action.pod_prefix}-{_random.token_hex(4)}"
    info = ctx.clusters[cluster]
    shown = with_kubeconfig(pod_command(ctx, action, cluster, pod), str(info.kubeconfig), info.context)
    display = runner.display_of(shown, ctx.workdir)
    t0, started = time.monotonic(), time.time()
    ctx.reporter.command_started(display, cluster)
    seen: dict[str, str] = {}
    ended = False
    try:
        with runner.quiet():
            _pod_lifecycle(ctx, action, cluster, pod, seen)
        ended = True
    finally:
        code = seen.get("code", "")
        ctx.reporter.command_finished(
            CommandResult(
                argv=tuple(shown),
                # The pod's exit code, as `kubectl run -i` returns it; 1 when it never ended or we stopped.
                exit_code=int(code) if code.isdigit() and (ended or code != "0") else 1,
                stdout=secrets.redact(seen.get("logs", "")),
                stderr="",
                started=started,
                duration=time.monotonic() - t0,
                display=display,
                cluster=cluster,
            )
        )


def _pod_lifecycle(ctx: Context, action: Action, cluster: str, pod: str, seen: dict[str, str]) -> None:
    """Create the pod, wait for it to end, read its logs, delete it; `seen`: phase, code, logs."""
    ns = ctx.text(action.namespace or "default", cluster)
    image = ctx.text(action.image or "", cluster)
    command = ctx.argv(action.command, cluster, extra={"pod": pod})
    deadline = time.monotonic() + ctx.scaled(action.timeout)
    # Each kubectl call gets at most a minute, and never more than the whole action.
    call_timeout = ctx.scaled(min(60.0, action.timeout))
    # Recorded before creating: a pod left by an interruption is deleted by teardown.
    ctx.state.add_pod(cluster, ns, pod)
    try:
        ctx.run(
            ["kubectl", "run", pod, "-n", ns, "--restart=Never", f"--image={image}", "--command", "--",
             *command],
            cluster=cluster,
            timeout=call_timeout,
        )
        phase, code = _await_pod(ctx, cluster, pod, ns, deadline, call_timeout)
        seen.update(phase=phase, code=code.strip())
        if phase not in ("Succeeded", "Failed"):
            raise LiqoTutorError(
                f"pod {pod} in {cluster} did not finish within {ctx.scaled(action.timeout):g}s "
                f"(phase {phase or 'unknown'})",
                hint=action.hint or f"is the image {image} pullable from {cluster}'s nodes?",
            )
        logs = ctx.run(["kubectl", "logs", pod, "-n", ns], cluster=cluster, timeout=call_timeout).stdout
        code = code.strip()
        seen["logs"] = logs
        if action.save:
            ctx.save(action.save, cluster, logs)
        if action.show:
            ctx.show(ctx.text(action.show, cluster), logs)
        if phase != "Succeeded" or code not in ("", "0"):
            last = logs.strip().splitlines()[-1:] or ["no output"]
            raise LiqoTutorError(
                f"pod {pod} in {cluster} ended {phase} (exit code {code or '?'}): {last[0]}", hint=action.hint
            )
    finally:
        try:
            ctx.run(
                ["kubectl", "delete", "pod", pod, "-n", ns, "--ignore-not-found", "--wait=false"],
                cluster=cluster,
                timeout=call_timeout,
            )
            ctx.state.drop_pod(cluster, ns, pod)
        except LiqoTutorError:
            pass


def _await_pod(
    ctx: Context, cluster: str, pod: str, ns: str, deadline: float, call_timeout: float
) -> tuple[str, str]:
    """Wait until the pod has ended or the deadline passes; (phase, exit code).

    `kubectl wait --for=jsonpath=...=Succeeded` watches the pod, so success is seen as it happens;
    it runs in slices (2 s, then doubling up to 8 s) and the phase is read after each, so that a
    Failed pod is noticed within one slice.
    """
    phase, code, budget = "", "", 2
    while True:
        remaining = deadline - time.monotonic()
        wait = max(1, min(budget, int(remaining)))
        res = ctx.run(
            ["kubectl", "wait", f"pod/{pod}", "-n", ns, "--for=jsonpath={.status.phase}=Succeeded",
             f"--timeout={wait}s"],
            cluster=cluster,
            timeout=wait + call_timeout,
            ok_codes=range(256),
        )
        if res.exit_code == 0:
            return "Succeeded", "0"  # Succeeded: every container ended with exit code 0
        res = ctx.run(
            ["kubectl", "get", "pod", pod, "-n", ns, "-o", _PHASE_EXIT], cluster=cluster, timeout=call_timeout
        )
        phase, _, code = res.stdout.strip().partition(" ")
        if phase in ("Succeeded", "Failed") or time.monotonic() >= deadline:
            return phase, code
        budget = min(budget * 2, 8)

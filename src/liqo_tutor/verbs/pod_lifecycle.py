"""run-pod without stdin: create the pod, wait for it to end, read its logs, delete it (plumbing)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

from liqo_tutor import timeouts
from liqo_tutor.errors import LiqoTutorError
from liqo_tutor.tools import kubectl

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["pod_lifecycle"]


class _PodSpec(Protocol):
    run_pod: str
    image: str
    namespace: str
    save: str | None
    show: str | None


def pod_lifecycle(
    ctx: Context, action: Action, spec: _PodSpec, cluster: str, pod: str, seen: dict[str, str]
) -> None:
    """Create the pod, wait for it to end, read its logs, delete it; `seen`: phase, code, logs."""
    ns = ctx.text(spec.namespace, cluster)
    image = ctx.text(spec.image, cluster)
    command = ctx.argv(spec.run_pod, cluster, extra={"pod": pod})
    deadline = time.monotonic() + ctx.scaled(action.timeout)
    # Each kubectl call gets at most a minute, and never more than the whole action.
    call_timeout = ctx.scaled(min(timeouts.POD_CALL, action.timeout))
    # Recorded before creating: a pod left by an interruption is deleted by teardown.
    ctx.state.add_pod(cluster, ns, pod)
    try:
        ctx.run(
            kubectl.run_pod_create(pod, ns, image, command),
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
        logs = ctx.run(kubectl.pod_logs(pod, ns), cluster=cluster, timeout=call_timeout).stdout
        code = code.strip()
        seen["logs"] = logs
        if spec.save:
            ctx.save(spec.save, cluster, logs)
        if spec.show:
            ctx.show(ctx.text(spec.show, cluster), logs)
        if phase != "Succeeded" or code not in ("", "0"):
            last = logs.strip().splitlines()[-1:] or ["no output"]
            raise LiqoTutorError(
                f"pod {pod} in {cluster} ended {phase} (exit code {code or '?'}): {last[0]}", hint=action.hint
            )
    finally:
        try:
            ctx.run(
                kubectl.delete_pod(pod, ns),
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
            kubectl.wait_pod_succeeded(pod, ns, wait),
            cluster=cluster,
            timeout=wait + call_timeout,
            ok_codes=range(256),
        )
        if res.exit_code == 0:
            return "Succeeded", "0"  # Succeeded: every container ended with exit code 0
        res = ctx.run(kubectl.pod_phase_exit(pod, ns), cluster=cluster, timeout=call_timeout)
        phase, _, code = res.stdout.strip().partition(" ")
        if phase in ("Succeeded", "Failed") or time.monotonic() >= deadline:
            return phase, code
        budget = min(budget * 2, 8)

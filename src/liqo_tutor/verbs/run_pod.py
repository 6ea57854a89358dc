"""`run-pod:` a one-shot probe pod (curl, nslookup, a database client) on a cluster.

```yaml
- run-pod: curl -s http://{service}.{namespace}
  cluster: london
  image: curlimages/curl:8.5.0
  save: reply                   # the pod's logs (stdout with stdin:)
  stdin: |                      # optional: fed to the container (kubectl run --rm -i)
    SELECT * FROM People;
  command: true                 # optional: shown with --command, as the doc types it
```
Without `stdin`, the pod is created, awaited and its logs read (no TTY, no attach); with it, the
one-liner `kubectl run NAME --rm -i --restart=Never ... --command -- CMD` runs with the text on
its stdin, and its exit code is the container's. The pod is always deleted.
"""

from __future__ import annotations

import secrets as _random
import time
from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor import secrets, timeouts
from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.results import CommandResult
from liqo_tutor.timeouts import RUN_POD_TIMEOUT
from liqo_tutor.tools import kubectl
from liqo_tutor.verbs.base import ActionModel, Verb
from liqo_tutor.verbs.pod_lifecycle import pod_lifecycle
from liqo_tutor.verbs.registry import register
from liqo_tutor.verbs.retry import with_retries

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["RunPodModel", "RunPodVerb", "pod_command"]


class RunPodModel(ActionModel):
    run_pod: str = Field(alias="run-pod")
    image: str
    namespace: str = "default"
    pod_prefix: str = "probe"
    save: str | None = None
    show: str | None = None
    stdin: str | None = None
    # The doc gives the container's command as such (`kubectl run ... --command -- CMD`): shown so.
    # (liqo-tutor always creates its probe pods that way; without stdin the shown one-liner omits the
    # flag unless the doc types it, since it changes nothing for the images whose entrypoint runs it.)
    command: bool = False


def pod_command(ctx: Context, spec: RunPodModel, cluster: str | None, pod: str) -> list[str]:
    """The one-liner a person types for what run-pod does (without `--kubeconfig`); with `stdin` or
    `command: true`, the container's command is given as such (`--command`), as it is then run exactly so."""
    ns = ctx.text(spec.namespace, cluster)
    image = ctx.text(spec.image, cluster)
    argv = kubectl.run_pod_shown(pod, ns, image, ctx.argv(spec.run_pod, cluster, extra={"pod": pod}))
    if spec.stdin is not None or spec.command:
        argv.insert(argv.index("--"), "--command")
    return argv


class RunPodVerb(Verb[RunPodModel]):
    name = "run-pod"
    model = RunPodModel
    needs_cluster = True
    probe = True
    local_variables = frozenset({"pod"})

    def command(self, spec: RunPodModel) -> str:
        return spec.run_pod

    def validate(self, spec: RunPodModel, refs: Refs, scope: Scope) -> None:
        super().validate(spec, refs, scope)
        refs.variables(spec.image, scope.at("image"))
        refs.variables(spec.namespace, scope.at("namespace"))
        if spec.stdin is not None:
            if not spec.stdin.strip():
                raise refs.error(scope.loc + ("stdin",), "empty")
            refs.variables(spec.stdin, scope.at("stdin"))
        if spec.show:
            refs.variables(spec.show, scope.at("show"))
        if spec.save:
            refs.save(spec.save, scope.loc + ("save",))

    def saves(self, spec: RunPodModel) -> list[str]:
        return [spec.save] if spec.save else []

    def default_timeout(self, spec: RunPodModel) -> float:
        return RUN_POD_TIMEOUT

    def plan(self, ctx: Context, action: Action, cluster: str | None) -> list[PlanCommand]:
        spec = self.spec(action)
        # As the docs type it (`kubectl run consumer ...`): the real pod name gets a random suffix.
        shown = ctx.display(pod_command(ctx, spec, cluster, spec.pod_prefix), cluster)
        if spec.stdin is not None:
            shown += " <<'EOF'\n" + ctx.text(spec.stdin, cluster).rstrip("\n") + "\nEOF"
        return [PlanCommand(cluster, shown, "")]

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        spec = self.spec(action)
        assert cluster is not None
        if spec.stdin is not None:
            with_retries(ctx, action, lambda: self._interactive(ctx, action, spec, cluster))
        else:
            with_retries(ctx, action, lambda: self._detached(ctx, action, spec, cluster))

    def _interactive(self, ctx: Context, action: Action, spec: RunPodModel, cluster: str) -> CommandResult:
        pod = f"{spec.pod_prefix}-{_random.token_hex(4)}"
        ns = ctx.text(spec.namespace, cluster)
        ctx.state.add_pod(cluster, ns, pod)  # recorded first: an interrupted pod is deleted by teardown
        try:
            result = ctx.run(
                pod_command(ctx, spec, cluster, pod),
                cluster=cluster,
                timeout=ctx.scaled(action.timeout),
                ok_codes=action.ok_codes,
                stdin=ctx.text(spec.stdin or "", cluster),
            )
        finally:
            ctx.run(
                kubectl.delete_pod(pod, ns),
                cluster=cluster,
                timeout=ctx.scaled(min(timeouts.POD_CALL, action.timeout)),
                ok_codes=range(256),
                quiet=True,
            )
            ctx.state.drop_pod(cluster, ns, pod)
        if spec.save:
            ctx.save(spec.save, cluster, result.stdout)
        if spec.show:
            ctx.show(ctx.text(spec.show, cluster), result.stdout)
        return result

    def _detached(self, ctx: Context, action: Action, spec: RunPodModel, cluster: str) -> None:
        """Run, wait for it to finish, read its logs, always delete it; show the one-liner."""
        pod = f"{spec.pod_prefix}-{_random.token_hex(4)}"
        shown = ctx.with_kubeconfig(pod_command(ctx, spec, cluster, pod), cluster)
        display = ctx.display(pod_command(ctx, spec, cluster, pod), cluster)
        t0, started = time.monotonic(), time.time()
        ctx.shell.announce(display, cluster)
        seen: dict[str, str] = {}
        ended = False
        try:
            with ctx.quiet():
                pod_lifecycle(ctx, action, spec, cluster, pod, seen)
            ended = True
        finally:
            code = seen.get("code", "")
            ctx.shell.announce_finished(
                CommandResult(
                    argv=tuple(shown),
                    # The pod's exit code, as `kubectl run -i` returns it; 1 if it never ended or we stopped.
                    exit_code=int(code) if code.isdigit() and (ended or code != "0") else 1,
                    stdout=secrets.redact(seen.get("logs", "")),
                    stderr="",
                    started=started,
                    duration=time.monotonic() - t0,
                    display=display,
                    cluster=cluster,
                )
            )


register(RunPodVerb())

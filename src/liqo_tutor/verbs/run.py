"""`run:` a command as typed, on a cluster or the host; save its output, show it, or keep it running.

```yaml
- run: kubectl get pod nginx-local -n {namespace} --template={{.status.podIP}}
  cluster: rome
  save: local_pod_ip            # stdout, stripped; or {stdout: a, stderr: b, output: c}
  shell_var: LOCAL_POD_IP       # display only: the plan shows LOCAL_POD_IP=$(kubectl ...)
- run: kubectl port-forward -n {namespace} service/frontend-external 8080:80
  cluster: rome
  background: true              # runs until the step ends (verbs/background_run.py)
  ready: '^Forwarding from'
```
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.verbs.background_run import run_background, validate_background
from liqo_tutor.verbs.base import ActionModel, Verb, when_of
from liqo_tutor.verbs.registry import register
from liqo_tutor.verbs.retry import with_retries

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.results import CommandResult
    from liqo_tutor.tutorial import Action

__all__ = ["STREAMS", "RunModel", "RunVerb", "saved_streams", "stream_text"]

STREAMS = ("stdout", "stderr", "output")
_SHELL_VAR_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


class RunModel(ActionModel):
    run: str
    save: str | dict[str, str] | None = None
    show: str | None = None
    shell_var: str | None = None
    background: bool = False
    ready: str | None = None


def saved_streams(save: str | dict[str, str] | None) -> dict[str, str]:
    """`save:` as {stream: capture name}: a plain name saves stdout."""
    if save is None:
        return {}
    return {"stdout": save} if isinstance(save, str) else dict(save)


def stream_text(result: CommandResult, stream: str) -> str:
    if stream == "stderr":
        return result.stderr.strip()
    if stream == "output":
        return "\n".join(t for t in (result.stdout.strip(), result.stderr.strip()) if t)
    return result.stdout.strip()


class RunVerb(Verb[RunModel]):
    name = "run"
    model = RunModel

    def command(self, spec: RunModel) -> str:
        return spec.run

    def validate(self, spec: RunModel, refs: Refs, scope: Scope) -> None:
        super().validate(spec, refs, scope)
        if spec.show:
            refs.variables(spec.show, scope.at("show"))
        for stream, name in saved_streams(spec.save).items():
            if stream not in STREAMS:
                raise refs.error(
                    scope.loc + ("save", stream), f"unknown stream {stream!r} (use stdout, stderr or output)"
                )
            refs.save(name, scope.loc + (("save",) if isinstance(spec.save, str) else ("save", stream)))
        if spec.shell_var is not None:
            if not _SHELL_VAR_RE.match(spec.shell_var):
                raise refs.error(
                    scope.loc + ("shell_var",),
                    f"{spec.shell_var!r} must be an upper-case shell name (e.g. LOCAL_POD_IP)",
                )
            if spec.save is None:
                raise refs.error(scope.loc + ("shell_var",), "needs save:")
        validate_background(spec, refs, scope)

    def saves(self, spec: RunModel) -> list[str]:
        return list(saved_streams(spec.save).values())

    def plan(self, ctx: Context, action: Action, cluster: str | None) -> list[PlanCommand]:
        spec = self.spec(action)
        shown = ctx.display(ctx.argv(spec.run, cluster), cluster)
        if spec.shell_var:
            shown = f"{spec.shell_var}=$({shown})"
        if spec.background:
            return [PlanCommand(cluster, f"{shown} &", "in the background, stopped at the end of the step")]
        return [PlanCommand(cluster, shown, when_of(action))]

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        spec = self.spec(action)
        if spec.background:
            run_background(ctx, action, spec.run, spec.ready, cluster)
            return
        argv = ctx.argv(spec.run, cluster)
        timeout = ctx.scaled(action.timeout)
        result = with_retries(
            ctx, action, lambda: ctx.run(argv, cluster=cluster, timeout=timeout, ok_codes=action.ok_codes)
        )
        for stream, name in saved_streams(spec.save).items():
            ctx.save(name, cluster, stream_text(result, stream))
        if spec.show:
            ctx.show(ctx.text(spec.show, cluster), result.stdout)


register(RunVerb())

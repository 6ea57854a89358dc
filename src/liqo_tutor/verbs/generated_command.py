"""`generated-command:` run a command on `source` that prints a command, check it, run it on `cluster`.

```yaml
- generated-command: liqoctl generate peer-command --only-command
  source: newyork
  cluster: london
  pattern: liqoctl peer out-of-band {name:dns-label} --auth-url {url:https-url} ...
```
The printed line must have the pattern's exact shape (patterns.py); secret placeholders are
registered for redaction before anything is shown.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import TYPE_CHECKING

from pydantic import Field

from liqo_tutor import secrets
from liqo_tutor.errors import ToolFailed
from liqo_tutor.kinds import Refs, Scope
from liqo_tutor.patterns import (
    FIND_SECRET,
    GeneratedCommandError,
    match_generated,
    parse_pattern,
    pattern_shape,
)
from liqo_tutor.plan_types import PlanCommand
from liqo_tutor.timeouts import default_timeout, default_timeout_argv
from liqo_tutor.verbs.base import ActionModel, Verb
from liqo_tutor.verbs.registry import register
from liqo_tutor.verbs.retry import with_retries

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["GeneratedCommandModel", "GeneratedCommandVerb"]


class GeneratedCommandModel(ActionModel):
    generated_command: str = Field(alias="generated-command")
    source: str
    pattern: str
    extra_args: str | None = None


class GeneratedCommandVerb(Verb[GeneratedCommandModel]):
    name = "generated-command"
    model = GeneratedCommandModel

    def command(self, spec: GeneratedCommandModel) -> str:
        return spec.generated_command

    def validate(self, spec: GeneratedCommandModel, refs: Refs, scope: Scope) -> None:
        super().validate(spec, refs, scope)
        refs.cluster(spec.source, scope.loc + ("source",))
        if scope.cluster is None:
            raise refs.error(
                scope.loc, "`generated-command` needs `cluster:` (where the generated command runs)"
            )
        try:
            parse_pattern(spec.pattern)
        except ValueError as exc:
            raise refs.error(scope.loc + ("pattern",), str(exc)) from None
        if spec.extra_args:
            refs.variables(spec.extra_args, scope.at("extra_args"))
            refs.split(spec.extra_args, scope.loc + ("extra_args",))

    def default_timeout(self, spec: GeneratedCommandModel) -> float:
        return default_timeout(spec.pattern or spec.generated_command)

    def plan(self, ctx: Context, action: Action, cluster: str | None) -> list[PlanCommand]:
        spec = self.spec(action)
        gen = ctx.display(ctx.argv(spec.generated_command, spec.source), spec.source)
        shape = pattern_shape(spec.pattern)
        if spec.extra_args:
            shape += " " + " ".join(ctx.argv(spec.extra_args, cluster))
        return [
            PlanCommand(spec.source, gen),
            PlanCommand(cluster, ctx.display(shlex.split(shape), cluster), "generated"),
        ]

    def run(self, ctx: Context, action: Action, cluster: str | None) -> None:
        """Run the generator on `source`, validate its one-line output, run it on `cluster`."""
        spec = self.spec(action)
        assert cluster is not None
        parsed = parse_pattern(spec.pattern)
        secret_types = {t for _, t, s in parsed if s and t}

        def register_found(text: str) -> None:
            for typ in secret_types:
                finder = FIND_SECRET.get(typ)
                for m in finder.finditer(text) if finder else ():
                    secrets.register(m.group(0))

        gen_argv = ctx.argv(spec.generated_command, spec.source)
        try:
            # The generator (`liqoctl generate peer-command`): its default of timeouts.py.
            gen = ctx.run(gen_argv, cluster=spec.source, timeout=ctx.scaled(default_timeout_argv(gen_argv)))
        except ToolFailed as exc:
            # v0.x liqoctl prints its errors on stdout: check the exit code before trusting the text.
            # A secret in that text is registered, and the error (message, result) rebuilt without it.
            register_found(exc.result.stdout + exc.result.stderr)
            safe = dataclasses.replace(
                exc.result, stdout=secrets.redact(exc.result.stdout), stderr=secrets.redact(exc.result.stderr)
            )
            raise ToolFailed(safe, hint=exc.hint) from None
        register_found(gen.stdout)
        lines = [line for line in gen.stdout.splitlines() if line.strip()]
        if len(lines) != 1:
            raise GeneratedCommandError(
                f"`{gen.display}` printed {len(lines)} non-empty lines, expected exactly one command",
                hint=action.hint,
            )
        argv, values = match_generated(lines[0].strip(), spec.pattern)
        secret_values = [values[name] for name, typ, secret in parsed if secret and typ is not None]
        for value in secret_values:
            secrets.register(value)
        if spec.extra_args:
            argv += ctx.argv(spec.extra_args, cluster)
        with_retries(
            ctx,
            action,
            lambda: ctx.run(
                argv,
                cluster=cluster,
                timeout=ctx.scaled(action.timeout),
                ok_codes=action.ok_codes,
                secret_values=secret_values,
            ),
        )


register(GeneratedCommandVerb())

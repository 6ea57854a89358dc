"""Retrying a command that failed (`retries:`/`retry_delay:` on an action)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from liqo_tutor.errors import ToolFailed

if TYPE_CHECKING:
    from liqo_tutor.context import Context
    from liqo_tutor.tutorial import Action

__all__ = ["with_retries"]

T = TypeVar("T")


def with_retries(ctx: Context, action: Action, fn: Callable[[], T]) -> T:
    """`fn()`, again after `retry_delay` while it raises ToolFailed, at most `retries` more times."""
    attempt = 0
    while True:
        try:
            return fn()
        except ToolFailed as exc:
            if attempt >= action.retries:
                raise
            attempt += 1
            ctx.note(
                f"`{exc.result.display}` failed (exit {exc.result.exit_code}); retry {attempt} of "
                f"{action.retries} in {action.retry_delay:g}s"
            )
            time.sleep(action.retry_delay)

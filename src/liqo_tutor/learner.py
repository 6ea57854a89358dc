"""Learner mode (`run --interactive`): before each step, show what it explains and runs, then ask.

Enter runs the step, `s` skips it where that is safe (the engine says why it is not), `q` stops with
the progress saved; `liqo-tutor run --interactive` resumes at the first step that does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from liqo_tutor import ui
from liqo_tutor.tutorial import Step

if TYPE_CHECKING:
    from liqo_tutor.engine import PlanStep

__all__ = ["PROMPT", "TerminalPrompter", "interpret"]

PROMPT = "[Enter] run it   [s] skip   [q] quit > "


def interpret(answer: str | None) -> str | None:
    """A typed line -> "run" | "skip" | "quit", None when it means nothing; end of input quits."""
    if answer is None:
        return "quit"
    word = answer.strip().lower()
    if word in ("", "r", "run", "y", "yes"):
        return "run"
    if word in ("s", "skip"):
        return "skip"
    if word in ("q", "quit", "exit"):
        return "quit"
    return None


class TerminalPrompter:
    """Implements engine.Prompter on the terminal, through ui (the only terminal writer)."""

    def __init__(self, preview: Mapping[str, PlanStep], pause: Callable[[], None] | None = None) -> None:
        self.preview = dict(preview)  # step id -> the plan's step (explanation and resolved commands)
        self.pause = pause  # stops a live display while we wait for the learner

    def ask(self, step: Step, no_skip: str | None) -> str:
        if self.pause is not None:
            self.pause()
        ui.print_step_preview(self._preview(step), skippable=no_skip is None)
        while True:
            choice = interpret(ui.ask(PROMPT))
            if choice == "skip" and no_skip is not None:
                ui.print_note(f"{step.id} cannot be skipped: {no_skip}", err=False)
                continue
            if choice is not None:
                return choice
            ui.print_note("press Enter to run the step, s to skip it, q to quit", err=False)

    def _preview(self, step: Step) -> PlanStep:
        """The plan's step; a step the plan did not have (none on its line) shows what it says."""
        found = self.preview.get(step.id)
        if found is not None:
            return found
        from liqo_tutor.engine import PlanStep

        return PlanStep(step.id, step.title, step.explain, step.teardown, (), ())

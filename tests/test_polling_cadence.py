"""How often a claim's command is tried again (claims/polling.py): quickly at first, then backing off
to a bounded pace. The pauses are recorded through the injected sleep: no clock is waited on."""

from __future__ import annotations

import pytest

from liqo_tutor.claims.base import Outcome
from liqo_tutor.claims.polling import poll


def _pauses(interval: float, tries: int) -> list[float]:
    pauses: list[float] = []
    calls = 0

    def attempt(remaining: float) -> Outcome:
        nonlocal calls
        calls += 1
        return Outcome(calls >= tries, "held", "not yet")

    assert poll(attempt, timeout=600, interval=interval, sleep=pauses.append).ok
    assert calls == tries
    return pauses


def test_first_pause_is_half_the_interval_then_backs_off_to_half_a_second() -> None:
    pauses = _pauses(0.2, 9)
    assert pauses[:4] == pytest.approx([0.1, 0.15, 0.225, 0.3375])
    assert pauses[4:] == pytest.approx([0.5] * 4)


def test_pauses_have_a_floor_and_an_interval_sets_the_start() -> None:
    assert _pauses(0.01, 2) == pytest.approx([0.05])
    slow = _pauses(2.0, 3)
    assert slow[0] == pytest.approx(1.0) and slow[1] == pytest.approx(0.5)


def test_no_pause_after_the_deadline() -> None:
    pauses: list[float] = []
    outcome = poll(lambda r: Outcome(False, "held", "not yet"), timeout=0, interval=0.2, sleep=pauses.append)
    assert not outcome.ok and pauses == []

"""The daemon's loop is event-driven: it reconciles on a change, a due wake or a request, else it sleeps.

An idle playground used to reconcile every second whatever happened (issue 10: 3.8% of a core for a
playground nobody used); these tests count reconciles, they do not time them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from liqo_tutor.sim import daemon as daemon_mod
from liqo_tutor.sim.daemon import Daemon
from liqo_tutor.sim.store import World


class Recorder:
    """A controller that records when it runs and, the first time, asks to be woken `after` seconds later."""

    def __init__(self, after: float) -> None:
        self.after = after
        self.calls: list[float] = []

    def reconcile(self, world: World, now: float) -> bool:
        self.calls.append(now)
        if len(self.calls) == 1:
            world.wake_at(now + self.after)
        return False


@pytest.fixture
def looping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Daemon, Recorder]]:
    monkeypatch.setattr(daemon_mod, "SETTLE", 0.0)  # no safety-net ticks: only real reasons count
    daemon = Daemon(tmp_path)
    recorder = Recorder(after=1.5)
    daemon.world.register(recorder)
    thread = threading.Thread(target=daemon.loop, daemon=True)
    thread.start()
    try:
        yield daemon, recorder
    finally:
        daemon.stop.set()
        daemon.wake()
        thread.join(timeout=10)
        assert not thread.is_alive()


def _poll(condition: Callable[[], object], bound: float = 10.0) -> bool:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_loop_sleeps_until_the_wake_it_was_given(looping: tuple[Daemon, Recorder]) -> None:
    _daemon, rec = looping
    assert _poll(lambda: rec.calls), "the first reconcile happens at start"
    first = rec.calls[0]
    assert _poll(lambda: any(c >= first + rec.after for c in rec.calls)), "the wake never fired"
    before_wake = [c for c in rec.calls if c < first + rec.after]
    assert before_wake == [first], f"reconciled {len(before_wake) - 1} times with nothing to do"


def test_a_change_or_a_request_reconciles_once(looping: tuple[Daemon, Recorder]) -> None:
    daemon, rec = looping
    assert _poll(lambda: rec.calls)
    count = len(rec.calls)
    daemon.world.changed()
    assert _poll(lambda: len(rec.calls) > count), "a change must be reconciled"
    count = len(rec.calls)
    daemon.touch()  # what every API or control request does
    assert _poll(lambda: len(rec.calls) > count), "a request brings time-based state up to date"
    count = len(rec.calls)
    for _ in range(20):
        daemon.touch()  # a burst of requests: at most one reconcile per POKE_SPACING
    assert _poll(lambda: len(rec.calls) > count)
    assert len(rec.calls) <= count + 1 or rec.calls[count + 1] - rec.calls[count] >= daemon_mod.POKE_SPACING

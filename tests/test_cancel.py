"""A cancel scope stops its thread's command (and refuses new ones) without touching other threads."""

from __future__ import annotations

import os
import threading
import time

import pytest

from liqo_tutor.tools import runner


def test_cancel_stops_a_running_command_and_refuses_the_next() -> None:
    event = threading.Event()
    outcome: dict[str, BaseException | None] = {}

    def worker() -> None:
        with runner.cancel_scope(event):
            try:
                runner.run(["sleep", "30"], env=dict(os.environ), timeout=60)
                outcome["first"] = None
            except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
                outcome["first"] = exc
            try:
                runner.run(["true"], env=dict(os.environ), timeout=10)
                outcome["second"] = None
            except BaseException as exc:  # noqa: BLE001
                outcome["second"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    time.sleep(0.3)
    event.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the cancelled command kept running"
    assert isinstance(outcome["first"], runner.Cancelled)
    assert isinstance(outcome["second"], runner.Cancelled)
    # Outside the scope nothing is cancelled: the seam still runs commands.
    assert runner.run(["true"], env=dict(os.environ), timeout=10).exit_code == 0


def test_no_scope_means_no_cancellation() -> None:
    assert runner.cancelled() is None
    with pytest.raises(Exception) as info:
        runner.run(["false"], env=dict(os.environ), timeout=10)
    assert not isinstance(info.value, runner.Cancelled)

"""Jobs (jobs.py): work behind a run's steps ends with the run, whatever it was doing, and never fails it."""

from __future__ import annotations

import os
import threading
import time

from liqo_tutor.jobs import Jobs
from liqo_tutor.tools import runner


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_end_stops_the_running_command_and_the_job_runs_no_more() -> None:
    jobs = Jobs()
    started = threading.Event()
    ran: list[str] = []

    def work() -> None:
        started.set()
        try:
            runner.run(["sleep", "60"], env=dict(os.environ), timeout=120)
        finally:
            ran.append("first ended")
        runner.run(["true"], env=dict(os.environ), timeout=10)  # refused: the scope is cancelled
        ran.append("second ran")

    assert jobs.start("sleeper", work)
    assert started.wait(10)
    deadline = time.monotonic() + 10
    while not runner.running() and time.monotonic() < deadline:  # the sleep is registered
        time.sleep(0.02)
    pids = runner.running()
    assert pids, "the job's command never started"
    jobs.end()
    assert jobs.running() == 0
    assert ran == ["first ended"]
    assert not any(_alive(p) for p in pids)


def test_a_failing_job_is_dropped_and_a_job_after_the_end_is_refused() -> None:
    jobs = Jobs()
    done = threading.Event()

    def boom() -> None:
        try:
            runner.run(["false"], env=dict(os.environ), timeout=10)  # ToolFailed
        finally:
            done.set()

    assert jobs.start("boom", boom)
    assert done.wait(10)
    jobs.end()  # the failure stayed inside the job
    assert not jobs.start("late", lambda: None)
    assert jobs.running() == 0


def test_jobs_started_by_a_job_are_ended_too() -> None:
    jobs = Jobs()
    inner_started = threading.Event()

    def inner() -> None:
        inner_started.set()
        runner.run(["sleep", "60"], env=dict(os.environ), timeout=120)

    def outer() -> None:
        jobs.start("inner", inner)

    assert jobs.start("outer", outer)
    assert inner_started.wait(10)
    jobs.end()
    assert jobs.running() == 0

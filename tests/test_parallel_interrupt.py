"""A Ctrl-C reaches the main thread while it waits for the clusters' chains (engine/parallel.py), even
when the kernel delivers SIGINT to another thread: CPython runs the handler only in the main thread,
once it executes bytecode, so the wait must not block without a timeout (a CI run once sat out a 60 s
`kind create` that way)."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from liqo_tutor.engine import parallel


def test_a_ctrl_c_delivered_to_a_worker_thread_interrupts_the_waiting_main_thread() -> None:
    release = threading.Event()
    started = threading.Event()
    ident: list[int] = []

    def chain() -> int:
        ident.append(threading.get_ident())
        started.set()
        release.wait(60)
        return 1

    pool = ThreadPoolExecutor(max_workers=1)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        fut = pool.submit(chain)
        assert started.wait(30)
        with pytest.raises(KeyboardInterrupt):
            # The signal is delivered on the worker thread, not on the main one.
            threading.Thread(target=signal.pthread_kill, args=(ident[0], signal.SIGINT)).start()
            parallel._awaited(fut)
        assert not fut.done(), "the Ctrl-C was only noticed once the chain had ended"
    finally:
        signal.signal(signal.SIGINT, previous)
        release.set()
        pool.shutdown(wait=True)

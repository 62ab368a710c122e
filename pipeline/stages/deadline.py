"""A wall-clock limit for one call (a parser stuck on one hostile page must not hang a run).

Uses SIGALRM, so it only arms in the main thread of a process (our worker processes); elsewhere
(e.g. inside a threaded actor) the call simply runs without a limit.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class DeadlineExceeded(Exception):
    pass


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):  # noqa: ARG001
        raise DeadlineExceeded(f"took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

"""A wall-clock limit for one call (a parser stuck on one hostile page must not hang a run).

Uses SIGALRM, so it only arms in the main thread of a process (our worker processes); elsewhere
(e.g. inside a threaded actor) the call simply runs without a limit. Limits nest: an inner
limit never extends an outer one, and the outer one is re-armed with what remains of it.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator


# Longer limits are no limit (setitimer overflows on huge values).
_MAX_SECONDS = 1e7


class DeadlineExceeded(BaseException):
    """Not an `Exception`: libraries that catch every Exception around their own steps (lxml
    fallbacks in trafilatura do) must not swallow the alarm and run on past the limit."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    if not seconds or seconds <= 0 or seconds > _MAX_SECONDS or seconds != seconds \
            or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    if 0 < outer_left <= seconds:
        yield  # the enclosing limit fires first anyway
        return

    def on_alarm(signum, frame):  # noqa: ARG001
        raise DeadlineExceeded(f"took longer than {seconds:g} s")

    t0 = time.monotonic()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:  # re-arm the enclosing limit with what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - t0), 1e-3))


def _armable(seconds: float) -> bool:
    return bool(seconds) and 0 < seconds <= _MAX_SECONDS and threading.current_thread() is threading.main_thread() \
        and hasattr(signal, "setitimer")


class ItemTimer:
    """The same limit for each item of a loop, with the SIGALRM handler installed once: `start()`
    before an item and `stop()` after it cost one timer call each, where `deadline` swaps the
    handler and reads the clock per item. Inactive (`active` False) where it cannot arm, or
    inside an enclosing limit: callers then fall back to `deadline` per item."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = False
        self._previous = None

    def __enter__(self) -> "ItemTimer":
        if _armable(self.seconds) and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
            seconds = self.seconds

            def on_alarm(signum, frame):  # noqa: ARG001
                raise DeadlineExceeded(f"took longer than {seconds:g} s")

            self._previous = signal.signal(signal.SIGALRM, on_alarm)
            self.active = True
        return self

    def start(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)

    def __exit__(self, *exc) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self.active = False


@dataclass(frozen=True)
class Budget:
    """What one stage may spend on one document: lines of text and wall-clock seconds (0 = no
    limit). Exceeding it drops the document with a `budget:` reason instead of stalling or
    exhausting memory on it (a 10 MB text of 5 million one-letter lines)."""

    max_lines: int = 0
    max_seconds: float = 0.0

    @classmethod
    def from_config(cls, config) -> "Budget":
        run = getattr(config, "run", None)
        return cls(getattr(run, "max_doc_lines", 0) or 0, getattr(run, "max_stage_seconds", 0.0) or 0.0)

    def over_lines(self, text: str) -> int | None:
        if self.max_lines and len(text) >= self.max_lines:  # cheap pre-check: n chars make at most n + 1 lines
            n = text.count("\n") + 1
            if n > self.max_lines:
                return n
        return None

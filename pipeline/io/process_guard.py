"""Worker processes that never outlive the run, and a pool that stops cleanly on Ctrl-C.

- `worker_init` (the pool's initializer): workers ignore SIGINT (the parent alone decides what
  an interrupt means, so a second Ctrl-C cannot leave a half-dead pool), ask Linux to SIGKILL
  them when their parent dies (`prctl(PR_SET_PDEATHSIG)`), and run a watchdog thread that exits
  when the run's main process is gone (covers a forkserver parent and other systems).
- `stop_pool(pool)`: on an interrupt or error, kill the workers and drop queued work without
  waiting; further Ctrl-C during the cleanup are ignored.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from typing import Iterator

_PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 1.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_init(main_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    parent = os.getppid()
    if (parent == 1 and main_pid != 1) or not _pid_alive(main_pid):  # died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_SECONDS)
            if os.getppid() != parent or not _pid_alive(main_pid):
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def stop_pool(pool) -> None:
    """Kill a ProcessPoolExecutor's workers and cancel what is queued, without waiting."""
    with ignore_sigint():
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            try:
                p.kill()
            except (OSError, AttributeError, ValueError):
                pass
        try:
            pool.shutdown(wait=False, cancel_futures=True)
        except Exception:  # noqa: BLE001 - the pool is being torn down anyway
            pass
        for p in procs:
            try:
                p.join(timeout=5)
            except (OSError, AssertionError, ValueError):
                pass


@contextmanager
def ignore_sigint() -> Iterator[None]:
    """Ignore Ctrl-C for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

"""Deterministic fault injection for the kill/resume tests: `NEWSCLEAN_FAULT=POINT[:ARG]` makes
the process SIGKILL itself when it reaches POINT (with ARG).

Points: `after_pre_shard:N` / `after_shard:N` (the driver has recorded shard N of the pre / post
map phase), `finish` (corpus parts written; duplicates, rejected, stats and manifest not yet),
`rename:NAME` (right after an output file named NAME was renamed into place, before the next
one). NEWSCLEAN_FAULT_SIGNAL=INT sends SIGINT instead (Ctrl-C at that point). Unset in normal
runs: one environment lookup per call.
"""

from __future__ import annotations

import os
import signal

ENV = "NEWSCLEAN_FAULT"


def fault_point(point: str, key: object = None) -> None:
    """Signal (SIGKILL) this process if NEWSCLEAN_FAULT names this point and, when it gives an argument,
    `key` equals it."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, sep, arg = spec.partition(":")
    if name == point and (not sep or str(key) == arg):
        os.kill(os.getpid(), getattr(signal, "SIG" + os.environ.get("NEWSCLEAN_FAULT_SIGNAL", "KILL")))

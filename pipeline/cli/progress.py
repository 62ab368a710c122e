"""Progress bars and log output for the command line (the library itself only calls a callback
and logs through `logging.getLogger(__name__)`; it never adds handlers).

    from pipeline.cli.progress import ProgressBars, setup_cli_logging

    setup_cli_logging(debug=False)                 # once, in the CLI entry point
    with ProgressBars(quiet=quiet) as progress:    # a `Progress` callable: (phase, done, total)
        run_local(inputs, out, cfg, progress=progress)

One tqdm bar per phase ("clean", "dedup", ...): documents done, documents/s and, when the engine
knows the total, an ETA. Disabled (a no-op) with `quiet=True` and, by default, when the stream is
not a terminal, so piped or logged output stays clean.
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from tqdm import tqdm

__all__ = ["ProgressBars", "TqdmLoggingHandler", "setup_cli_logging"]


class ProgressBars:
    """A `Progress` callback `(phase, done, total)` that draws one tqdm bar per phase.

    `done` is cumulative (documents finished so far in that phase), as the engine reports it.
    A new phase closes the previous bar. Use as a context manager, or call `close()`."""

    def __init__(self, quiet: bool = False, stream: IO[str] | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled and not quiet
        self._bar: tqdm | None = None
        self._phase: str | None = None

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if phase != self._phase:
            self._close_bar()
            self._phase = phase
            self._bar = tqdm(
                total=total,
                desc=f"{phase:<8}",
                unit=" docs",
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
                smoothing=0.1,
            )
        bar = self._bar
        assert bar is not None
        if total is not None and bar.total != total:
            bar.total = total
        if done > bar.n:
            bar.update(done - bar.n)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def close(self) -> None:
        self._close_bar()
        self._phase = None

    def __enter__(self) -> "ProgressBars":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TqdmLoggingHandler(logging.Handler):
    """Writes log records through `tqdm.write`, so a warning never tears a progress bar apart."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def setup_cli_logging(debug: bool = False) -> logging.Handler:
    """For the application (the CLI), never for the library: one handler on the root logger.

    Warnings and errors by default, everything from `pipeline.*` with `debug=True`."""
    handler = TqdmLoggingHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    if not debug:
        # trafilatura logs an error per unparseable page; the extract stage records those as
        # rejections, so the command line shows them only with --debug.
        logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    if debug:
        logging.getLogger("pipeline").setLevel(logging.DEBUG)
    return handler

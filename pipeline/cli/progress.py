"""Progress bars and log output for the command line (the library itself only calls a callback
and logs through `logging.getLogger(__name__)`; it never adds handlers).

    from pipeline.cli.progress import ProgressBars, setup_cli_logging

    setup_cli_logging(verbosity=0)                 # once, in the CLI entry point
    with ProgressBars(quiet=quiet) as progress:    # a `Progress` callable: (phase, done, total)
        run(inputs, out, cfg, progress=progress)

`run()` counts the inputs before any work and calls `progress.start(count, plan)`: the bars then
have a total (documents), a percentage and an ETA. One tqdm bar per phase ("clean", the corpus
phase, "dedup"), and below the running phase one row per stage of it (documents through the
stage, changed, dropped), updated as shards finish (`progress.shard_done(phase, summary)`).
Disabled (a no-op) with `quiet=True` and, by default, when the stream is not a terminal, so piped
or logged output stays clean. One library: tqdm.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

from tqdm import tqdm

__all__ = ["ProgressBars", "TqdmLoggingHandler", "setup_cli_logging", "verbosity_level"]


class ProgressBars:
    """A `Progress` callback `(phase, done, total)` that draws one tqdm bar per phase, with a
    row per stage of the phase when shard stats arrive.

    `done` is cumulative (documents finished so far in that phase), as the engine reports it.
    A new phase closes the previous bars. Use as a context manager, or call `close()`."""

    def __init__(self, quiet: bool = False, stream: IO[str] | None = None, enabled: bool | None = None,
                 stage_rows: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled and not quiet
        self.stage_rows = stage_rows
        self.total: int | None = None  # documents, from start()
        self.count: Any = None
        self._bar: tqdm | None = None
        self._rows: dict[str, tqdm] = {}
        self._shards: dict[str, dict[int, dict]] = {}  # stage -> shard index -> that shard's stats
        self._phase: str | None = None
        self._post: set[str] = set()  # stages of the phase after the corpus-wide merge

    # -- optional protocol used by run() and the local engine ------------------------------------
    def start(self, count: Any, plan: Any = None) -> None:
        """The inputs, counted before any work (files, bytes, documents or None)."""
        self.count = count
        self.total = getattr(count, "documents", None)
        if plan is not None and getattr(plan, "corpus", None) is not None:
            self._post = set(getattr(plan, "post_names", ()))
        if self.enabled and count is not None:
            docs = "?" if self.total is None else f"{self.total:,}"
            tqdm.write(f"reading {count.files:,} files, {_human_bytes(count.bytes)}, {docs} documents", file=self.stream)

    def shard_done(self, phase: str, summary: Any) -> None:
        if not (self.enabled and self.stage_rows) or phase != self._phase:
            return
        for stage, st in (getattr(summary, "stats", None) or {}).items():
            if (stage in self._post) if phase == "clean" else (stage not in phase.split("+")):
                continue  # that stage's row belongs to the other phase
            self._shards.setdefault(stage, {})[summary.index] = st
            row = self._rows.get(stage)
            if row is None:
                row = self._rows[stage] = tqdm(total=self.total, file=self.stream, dynamic_ncols=True, leave=True,
                                               position=len(self._rows) + 1, bar_format="{desc}")
            tot = {k: sum(s.get(k, 0) for s in self._shards[stage].values()) for k in ("docs_in", "docs_modified", "docs_dropped")}
            of = f"/{self.total:,}" if self.total else ""
            row.n = tot["docs_in"]
            row.set_description_str(f"  {stage:<15}{tot['docs_in']:>9,}{of} docs   changed {tot['docs_modified']:,}"
                                    f"   dropped {tot['docs_dropped']:,}", refresh=True)

    # -- the callback -------------------------------------------------------------------------
    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if phase != self._phase:
            self._close_bars()
            self._phase = phase
            self._bar = tqdm(
                total=total if total is not None else self.total,
                desc=f"{phase:<8}",
                unit=" docs",
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
                smoothing=0.1,
                mininterval=0.2,
            )
        bar = self._bar
        assert bar is not None
        if total is not None and bar.total != total:
            bar.total = total
        if done > bar.n:
            bar.update(done - bar.n)

    def _close_bars(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        for row in self._rows.values():
            row.close()
        self._rows.clear()
        self._shards.clear()

    def close(self) -> None:
        self._close_bars()
        self._phase = None

    def __enter__(self) -> "ProgressBars":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _human_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class TqdmLoggingHandler(logging.Handler):
    """Writes log records through `tqdm.write`, so a log line never tears a progress bar apart."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def verbosity_level(verbosity: int = 0, debug: bool = False) -> int:
    """0: warnings; -v: info; -vv or --debug: debug."""
    if debug or verbosity >= 2:
        return logging.DEBUG
    return logging.INFO if verbosity == 1 else logging.WARNING


def setup_cli_logging(debug: bool = False, verbosity: int = 0) -> logging.Handler:
    """For the application (the CLI), never for the library: one handler on the root logger.

    The level applies to the handler too, so chatty third-party loggers (Ray, trafilatura)
    follow our verbosity: warnings by default, INFO with -v, DEBUG with -vv or --debug."""
    level = verbosity_level(verbosity, debug)
    handler = TqdmLoggingHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("pipeline").setLevel(level)
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(level)
    # trafilatura logs an error per unparseable page; the extract stage records those as
    # rejections, so the command line shows them only with --debug.
    logging.getLogger("trafilatura").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL)
    return handler

"""The local engine: one machine, a process pool over shards, no server (`run(..., engine="local")`).

Schedule of the plan: (1) map phases over fixed-size shards of the input stream (clean +
sketch), (2) global dedup over the sketches, (3) final phase: join duplicates on id, write
corpus/, rejected, stats and the manifest with the accounting check. Also the input stream and
output-folder checks both engines share.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import pickle
import shutil
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence


from pipeline.config import PipelineConfig
from pipeline.core.document import RawDocument
from pipeline.engine import finish
from pipeline.engine.faults import fault_point
from pipeline.engine.plan import Plan
from pipeline.engine.shard import ShardSummary, merge_observations, part_files, run_both_phases, run_post_phase, run_pre_phase
from pipeline.errors import InputError, OutputError
from pipeline.io.fields import DEFAULT_INPUT, InputConfig
from pipeline.io.layout import LOCK_NAME, OUTPUT_NAMES, RunLayout
from pipeline.io.process_guard import stop_pool, worker_init
from pipeline.io.readers import InputFile, ReadFailure, read_file
from pipeline.io.safety import display_path, size_mtime, unique_ids
from pipeline.io.storage import AnyPath, as_path, is_remote, is_url, open_binary, read_metadata, rmtree, text
from pipeline.io.writers import write_json

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]  # (phase, done, total or None)


@dataclass
class RunResult:
    out: Path
    manifest: dict
    summaries: list[ShardSummary] = field(default_factory=list)


def prepare_output(layout: RunLayout, overwrite: bool, resume: bool) -> None:
    out = layout.out
    if overwrite and resume:
        raise OutputError(f"{out}: --overwrite and --resume exclude each other (--resume continues a run, --overwrite replaces it)")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out.exists() and any(p.name != LOCK_NAME for p in out.iterdir()) and not resume:
        ours = {p.name for p in out.iterdir()}
        foreign = sorted(ours - set(OUTPUT_NAMES) - {".gitkeep", LOCK_NAME})
        if not overwrite:
            raise OutputError(f"{out}: output folder is not empty; pass --overwrite to replace a previous run or --resume to continue it")
        if foreign:
            raise OutputError(f"{out}: holds files this pipeline did not write ({', '.join(foreign[:3])}); refusing to overwrite")
        for name in OUTPUT_NAMES:
            p = out / name
            if is_remote(p):
                rmtree(p)  # a file, or a prefix and everything under it (object stores have no folders)
            elif p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    if resume and out.is_dir() and not is_remote(out):  # remote writes are single puts: no temp files
        # A killed run's processes may have died mid-write: their temp files (our naming,
        # ".<name>.tmp-<pid>") are never renamed into place; the resumed run rewrites those files.
        for p in out.rglob(".*.tmp-*"):
            if p.is_file():
                p.unlink()
    try:
        if not is_remote(out):  # object stores have no folders; a key creates its prefixes
            layout.work.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create output folder ({exc.strerror})") from None


def check_against(layout: RunLayout, against: Sequence[str], config: PipelineConfig) -> None:
    """--against needs dedup on, and earlier runs that are not OUT itself (checked before any work)."""
    if not against:
        return
    from pipeline.dedup.index import load_index

    if not config.dedup.enabled:
        raise InputError("--against needs dedup enabled (dedup.enabled: true)")
    for a in against:
        if text(as_path(a)).rstrip("/") == text(layout.out).rstrip("/") or (
            not is_remote(layout.out) and not is_url(a) and Path(a).resolve() == layout.out.resolve()
        ):
            raise InputError(f"{a}: --against names the output folder itself")
        load_index(a, config.dedup)  # missing index or another layout: one clear line now


def check_resume_identity(
    layout: RunLayout, files: list[InputFile], config: PipelineConfig, resume: bool, against: Sequence[str] = ()
) -> None:
    """Record what this run is (inputs, config); --resume refuses to mix shards of another run."""
    identity = {
        "inputs": [[display_path(f.path), *size_mtime(f.path)] for f in files],
        # Worker count never changes results, so a resume may use another one.
        "config": {**config.model_dump(mode="json"), "run": {**config.run.model_dump(), "workers": None}},
    }
    if against:
        identity["against"] = list(against)
    path, out = layout.identity, layout.out
    if resume and path.exists():
        try:
            previous = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OutputError(f"{path}: unreadable ({type(exc).__name__}), so this run cannot be resumed; use --overwrite to start again") from None
        if previous != identity:
            what = "config" if previous.get("config") != identity["config"] else "inputs"
            raise OutputError(f"{out}: --resume with different {what} than the interrupted run; use --overwrite to start again")
        return
    write_json(identity, path)


def iter_records(files: list[InputFile], max_bytes: int, limit: int | None = None,
                 fields: InputConfig = DEFAULT_INPUT) -> Iterator[RawDocument | ReadFailure]:
    """All records in input order (the first `limit` of them when given: later files are not
    opened), with ids made unique (a repeated id gets '#2', '#3'...)."""
    records = (rec for f in files for rec in read_file(f, max_bytes, fields))
    return unique_ids(records if limit is None else itertools.islice(records, limit))


def record_bytes(rec: RawDocument | ReadFailure) -> int:
    """What a record weighs for the shard cut: its raw data (0 for a read failure)."""
    return len(getattr(rec, "data", b""))


class ShardCutter:
    """Where shards end: after `size` records, or earlier once their raw data reaches
    `max_bytes` (a shard of 2,000 HTML pages would be one worker's hour). Boundaries depend on
    the input alone, never on the worker count or engine (the Ray engine plans with it too)."""

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        self.size, self.max_bytes = size, max_bytes
        self.n, self.nbytes = 0, 0

    def add(self, nbytes: int) -> bool:
        """Count one record of `nbytes`; True when the shard closes after it."""
        self.n += 1
        self.nbytes += nbytes
        if self.n >= self.size or (self.max_bytes and self.nbytes >= self.max_bytes):
            self.n, self.nbytes = 0, 0
            return True
        return False


def iter_shards(records: Iterator, size: int, max_bytes: int | None = None) -> Iterator[tuple[int, int, list]]:
    """(index, first seq, records): the records cut into shards by `ShardCutter`."""
    cutter = ShardCutter(size, max_bytes)
    index, seq, batch = 0, 0, []
    for rec in records:
        batch.append(rec)
        if cutter.add(record_bytes(rec)):
            yield index, seq, batch
            index, seq, batch = index + 1, seq + len(batch), []
    if batch:
        yield index, seq, batch


def execute(
    plan: Plan, layout: RunLayout, files: list[InputFile], resume: bool, progress: Progress | None, against: Sequence[str] = ()
) -> tuple[list[ShardSummary], dict]:
    """The local engine's schedule of the plan: both map phases over a process pool, then the
    one finish step (global dedup, against earlier runs' indexes if given; corpus, manifest)."""
    check_resume_identity(layout, files, plan.config, resume, against)
    t0 = time.perf_counter()
    summaries = _map_phase(plan, files, layout.out, resume, progress)
    manifest = finish.finish(plan, layout.out, files, summaries, timings={"map": time.perf_counter() - t0}, progress=progress,
                             against=against)
    return summaries, manifest


def _map_phase(plan: Plan, files, out: AnyPath, resume: bool, progress: Progress | None) -> list[ShardSummary]:
    """The pre phase (decode -> spam), the corpus-wide merge, and the post phase
    (repeated_lines -> quality -> sketch) over shards. Without a corpus-wide step both phases
    run in one task per shard."""
    config, layout = plan.config, plan.layout(out)
    shards = iter_shards(iter_records(files, config.decode.max_bytes, config.run.limit, config.input), config.run.shard_size, config.run.shard_bytes)
    fused = plan.corpus is None
    counter = _Counter(progress, "clean", "after_shard" if fused else "after_pre_shard")

    # Scratch each phase leaves in OUT/_work; the parts it wrote under OUT/stages are named by
    # its summary (`shard.part_files`: a part with no rows is not written).
    def pre_files(index: int) -> list[Path]:
        return [layout.survivors(index), layout.rejected_pre(index)] + ([layout.observation(index)] if plan.corpus is not None else [])

    def post_files(index: int) -> list[Path]:
        return [layout.kept(index), layout.rejected_part(index)] + ([layout.sketch(index)] if plan.dedup else [])

    def pre_phase_tasks():
        for index, seq, batch in shards:
            if resume and (done := _completed(layout, layout.summary(index), pre_files(index) + post_files(index))):
                yield None, (done,)
            elif fused:
                yield run_both_phases, (index, seq, batch, plan, str(out))
            elif resume and (done := _completed(layout, layout.pre_summary(index), pre_files(index))):
                yield None, (done,)
            else:
                yield run_pre_phase, (index, seq, batch, plan, str(out))

    first = _execute(pre_phase_tasks(), config.run.workers, counter)
    if fused:
        return first
    fact = merge_observations(plan, out, first)
    counter = _Counter(progress, "+".join(plan.post_names), "after_shard")
    if config.run.workers > 1 and plan.dedup:
        # The post phase sketches each shard's kept text, compiled when it is big enough (and
        # finish usually verifies candidates with the same kernels in this process). Loaded
        # here once, the forked workers inherit the kernels instead of importing numba each.
        from pipeline.dedup._kernels import preload

        last_pre = plan.pre[-1].name
        preload(max((s.stats.get(last_pre, {}).get("chars_out", 0) for s in first), default=0))

    def post_phase_tasks():
        for pre in first:
            if resume and (done := _completed(layout, layout.summary(pre.index), pre_files(pre.index) + post_files(pre.index))):
                yield None, (done,)
            else:
                yield run_post_phase, (pre.index, pre, plan, str(out), fact)

    return _execute(post_phase_tasks(), config.run.workers, counter)


def _completed(layout: RunLayout, summary: Path, scratch: list[Path]) -> ShardSummary | None:
    """For --resume: the summary of a shard the interrupted run completed, or None (redo the
    shard) when the summary, one of its scratch files or one of the parts it says it wrote is
    missing or unreadable."""
    if not summary.exists():
        return None
    try:
        done = ShardSummary.load(summary)
        for f in scratch + part_files(layout, done.index, done):
            if f.suffix == ".pkl":
                with open_binary(f) as fh:
                    pickle.load(fh)
            else:
                read_metadata(f)
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError) as exc:
        log.warning("%s: scratch of the interrupted run is unreadable (%s: %s); redoing that shard", summary.name, type(exc).__name__, exc)
        return None
    return done


class _Counter:
    """Reports each finished shard: documents done in the phase (cumulative) to `progress`, and
    the shard's per-stage stats to `progress.shard_done(phase, summary)` when it has one; the
    fault point `fault` (tests: NEWSCLEAN_FAULT) fires first."""

    def __init__(self, progress: Progress | None, phase: str, fault: str) -> None:
        self.progress, self.phase, self.fault, self.done = progress, phase, fault, 0
        self.shard_done = getattr(progress, "shard_done", None)

    def __call__(self, s: ShardSummary) -> None:
        fault_point(self.fault, s.index)  # tests: NEWSCLEAN_FAULT=after_shard:N
        self.done += s.n_input
        log.debug("%s: shard %d done (%d documents, %d kept)", self.phase, s.index, s.n_input, s.n_kept)
        if self.progress:
            self.progress(self.phase, self.done, None)
        if self.shard_done is not None:
            self.shard_done(self.phase, s)


def _execute(tasks, workers: int, on_done: Callable[[ShardSummary], None]) -> list[ShardSummary]:
    """Run (fn, args) tasks inline or on a process pool with a bounded number in flight;
    (None, (summary,)) marks work already done (resume). Results sorted by shard index."""
    results: list[ShardSummary] = []

    def done(s: ShardSummary) -> None:
        results.append(s)
        on_done(s)

    if workers == 1:
        for fn, args in tasks:
            done(args[0] if fn is None else fn(*args))
    else:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_init, initargs=(os.getpid(),))
        try:
            pending: set[Future] = set()
            for fn, args in tasks:
                if fn is None:
                    done(args[0])
                    continue
                pending.add(pool.submit(fn, *args))
                if len(pending) >= 2 * workers:  # bounded in flight: memory stays flat
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        done(fut.result())
            for fut in pending:
                done(fut.result())
        except BaseException:  # Ctrl-C or a failed shard: kill the workers, do not wait for them
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    results.sort(key=lambda s: s.index)
    return results

"""Reading on the workers: the driver only plans which records make which shard.

The embedded engine reads the input stream in one process (`local.iter_records` ->
`iter_shards`). Here the same readers (`readers.read_file`), the same id rule (`UniqueIds`) and
the same shard cut (`ShardCutter`) give the same shards, with every file read on the cluster:

  1. count (a Ray task per file, a bounded number in flight, in input order): each file's
     records as their sizes for the cut, a 64-bit hash of each id and the positions of ids with a
     '#'; the driver consumes them one file at a time, so it holds the shard plan (a few ints
     per shard), one file's sizes, and 8 bytes per document (the id hashes), never documents.
  2. ids: only records whose id hash repeats or whose id has a '#' can be renamed by the id
     rule (`x`, `x`, `x#2` -> `x`, `x#2`, `x#2#2`); their ids are fetched (a task per file that
     has any) and the rule runs on them in input order -> the few renames.
  3. read (a Ray Data read task per file): each worker reads its file again and emits the
     records as RECORD_SCHEMA rows tagged with their shard and seq; a hash shuffle on `shard`
     brings each shard's rows into one block for the plan's phases (ops.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import pyarrow as pa

from pipeline.engine.local import ShardCutter, record_bytes
from pipeline.io.fields import DEFAULT_INPUT, InputConfig
from pipeline.io.readers import InputFile, read_file
from pipeline.io.safety import UniqueIds, with_id


@dataclass
class FileCount:
    """What counting one file found (worker -> driver)."""

    sizes: np.ndarray  # int64 per record: record_bytes, for the shard cut
    id_hashes: np.ndarray  # uint64 per record
    marked: np.ndarray  # int64 positions of records whose id has a '#'


@dataclass
class ReadPlan:
    """Which records of which file go to which shard (driver -> read tasks)."""

    counts: list[int] = field(default_factory=list)  # per file: records read (a --limit may cut)
    first_seq: list[int] = field(default_factory=list)  # per file: seq of its first record
    # per file: (position in the file, shard) where a shard starts or continues, ascending
    segments: list[list[tuple[int, int]]] = field(default_factory=list)
    shard_sizes: list[int] = field(default_factory=list)
    renames: dict[int, dict[int, str]] = field(default_factory=dict)  # file -> {position: new id}

    @property
    def n_shards(self) -> int:
        return len(self.shard_sizes)


@contextlib.contextmanager
def _driver_cwd(cwd: str) -> Iterator[None]:
    """Relative input paths mean what they meant to the driver (a worker's own working folder is
    Ray's): read in the driver's working folder, where this node has it."""
    here = os.getcwd()
    moved = cwd != here and os.path.isdir(cwd)
    if moved:
        os.chdir(cwd)
    try:
        yield
    finally:
        if moved:
            os.chdir(here)


def _id_hash(rec_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(rec_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def count_file(f: InputFile, max_bytes: int, cwd: str, fields: InputConfig = DEFAULT_INPUT) -> FileCount:
    """Worker: one file's records, counted (pass 1)."""
    sizes, hashes, marked = [], [], []
    with _driver_cwd(cwd):
        for i, rec in enumerate(read_file(f, max_bytes, fields)):
            sizes.append(record_bytes(rec))
            hashes.append(_id_hash(rec.id))
            if "#" in rec.id:
                marked.append(i)
    return FileCount(np.array(sizes, np.int64), np.array(hashes, np.uint64), np.array(marked, np.int64))


def ids_at(f: InputFile, max_bytes: int, positions: list[int], cwd: str, fields: InputConfig = DEFAULT_INPUT) -> list[str]:
    """Worker: the ids of the records at `positions` (ascending) of one file (pass 2)."""
    want, out = set(positions), []
    with _driver_cwd(cwd):
        for i, rec in enumerate(itertools.islice(read_file(f, max_bytes, fields), positions[-1] + 1)):
            if i in want:
                out.append(rec.id)
    return out


def plan_reads(ray, files: list[InputFile], max_bytes: int, shard_size: int, shard_bytes: int | None,
               limit: int | None, in_flight: int, fields: InputConfig = DEFAULT_INPUT) -> ReadPlan:
    """Driver: count every file on the cluster (in input order, `in_flight` at a time; files
    past --limit are never opened), cut the shards, and work out the id renames."""
    count = ray.remote(num_cpus=1)(count_file)
    plan, cutter = ReadPlan(), ShardCutter(shard_size, shard_bytes)
    seq, shard, in_shard = 0, 0, 0
    hashes: list[np.ndarray] = []
    marked: list[tuple[int, int]] = []  # (file, position)
    pending = []
    queue = iter(enumerate(files))
    for fi, f in itertools.islice(queue, in_flight):
        pending.append(count.remote(f, max_bytes, os.getcwd(), fields))
    fi = 0
    while pending and (limit is None or seq < limit):
        fc: FileCount = ray.get(pending.pop(0))
        nxt = next(queue, None)
        if nxt is not None:
            pending.append(count.remote(nxt[1], max_bytes, os.getcwd(), fields))
        n = len(fc.sizes) if limit is None else min(len(fc.sizes), limit - seq)
        segments = [(0, shard)] if n else []
        for i, size in enumerate(fc.sizes[:n].tolist()):
            in_shard += 1
            if cutter.add(size):
                plan.shard_sizes.append(in_shard)
                shard, in_shard = shard + 1, 0
                if i + 1 < n:
                    segments.append((i + 1, shard))
        plan.counts.append(n)
        plan.first_seq.append(seq)
        plan.segments.append(segments)
        hashes.append(fc.id_hashes[:n])
        marked.extend((fi, int(p)) for p in fc.marked if p < n)
        seq += n
        fi += 1
    for ref in pending:
        ray.cancel(ref)
    if in_shard:
        plan.shard_sizes.append(in_shard)
    plan.renames = _renames(ray, files, max_bytes, plan, hashes, marked, fields)
    return plan


def _renames(ray, files, max_bytes: int, plan: ReadPlan, hashes: list[np.ndarray], marked: list[tuple[int, int]],
             fields: InputConfig = DEFAULT_INPUT) -> dict[int, dict[int, str]]:
    """The id rule run on the only records it can rename: repeated id hashes, ids with a '#'."""
    if not hashes:
        return {}
    flat = np.concatenate(hashes)
    values, counts = np.unique(flat, return_counts=True)
    repeated = np.isin(flat, values[counts > 1])
    del flat, values, counts
    starts = np.cumsum([0, *plan.counts[:-1]])
    candidates: dict[int, set[int]] = {}
    for seq in np.flatnonzero(repeated).tolist():
        fi = int(np.searchsorted(starts, seq, side="right") - 1)
        candidates.setdefault(fi, set()).add(seq - int(starts[fi]))
    for fi, pos in marked:
        candidates.setdefault(fi, set()).add(pos)
    if not candidates:
        return {}
    fetch = ray.remote(num_cpus=1)(ids_at)
    order = {fi: sorted(p) for fi, p in candidates.items()}
    refs = {fi: fetch.remote(files[fi], max_bytes, pos, os.getcwd(), fields) for fi, pos in order.items()}
    rule, renames = UniqueIds(), {}
    for fi in sorted(order):
        for pos, rec_id in zip(order[fi], ray.get(refs[fi])):
            new_id = rule.assign(rec_id)
            if new_id != rec_id:
                renames.setdefault(fi, {})[pos] = new_id
    return renames


def read_rows(batch: pa.Table, files: list[InputFile], plan: ReadPlan, max_bytes: int, resume: bool, cwd: str,
              fields: InputConfig = DEFAULT_INPUT) -> Iterator[pa.Table]:
    """Ray Data read task: the files named in `batch` read with the embedded readers, as
    RECORD_SCHEMA rows with their shard and seq (one table per shard segment)."""
    from pipeline.engine.ray.ops import records_to_table

    for fi in batch.column("file").to_pylist():
        segments = plan.segments[fi] + [(plan.counts[fi], -1)]
        renames = plan.renames.get(fi, {})
        with _driver_cwd(cwd):
            records = itertools.islice(read_file(files[fi], max_bytes, fields), plan.counts[fi])
            for (start, shard), (stop, _) in zip(segments, segments[1:]):
                rows = [with_id(rec, renames[start + i]) if start + i in renames else rec
                        for i, rec in enumerate(itertools.islice(records, stop - start))]
                yield records_to_table(shard, plan.first_seq[fi] + start, rows, resume)

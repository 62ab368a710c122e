"""Global and final phases: dedup over all sketches, then corpus/, duplicates, rejected, stats and
the manifest. Removal is a join on id, never on position."""

from __future__ import annotations

import importlib.metadata
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import pipeline
from pipeline.config import PipelineConfig
from pipeline.dedup import DuplicateRow, KeepInfo, find_duplicates_with_stats
from pipeline.dedup import index as dedup_index
from pipeline.dedup.api import sketches_from_table
from pipeline.io.readers import InputFile
from pipeline.io.writers import (
    CORPUS_SCHEMA,
    DUPLICATES_SCHEMA,
    EDITS_SCHEMA,
    REJECTED_SCHEMA,
    write_json,
    write_rows,
    write_table,
)
from pipeline.runner.chain import STAGE_ORDER, stage_dir
from pipeline.runner.shard import WORK, ShardSummary, merge_stats, shard_name
from pipeline.stage import StageStats

_VERSIONED = ("ftfy", "trafilatura", "pyarrow", "numpy", "click", "pydantic")  # datasketch: an extra, not used at run time


def _versions() -> dict[str, str]:
    out = {"pipeline": pipeline.__version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _kept_path(out: Path, index: int) -> Path:
    return out / WORK / f"kept-{shard_name(index)}.parquet"


def run_dedup(out: Path, config: PipelineConfig, summaries: list[ShardSummary], against: Sequence[str] = ()) -> tuple[list[DuplicateRow], dict]:
    """The global dedup step over every shard's sketches; returns rows and the LSH/verification
    stats that go into manifest.json. With `against` (earlier runs' folders), documents that
    duplicate what those runs kept are removed first (pipeline.dedup.index)."""
    if not config.dedup.enabled:
        return [], {"enabled": False}
    keep: dict[str, KeepInfo] = {}
    shard_of: dict[str, int] = {}
    for s in summaries:
        t = pq.read_table(_kept_path(out, s.index), columns=["id", "n_chars", "seq", "date", "n_words"])
        for i, n, seq, date, words in zip(*(t.column(c).to_pylist() for c in ("id", "n_chars", "seq", "date", "n_words"))):
            keep[i] = KeepInfo(n_chars=n, seq=seq, date=date, quality=float(words))
            shard_of[i] = s.index

    def fetch_texts(ids: Sequence[str]) -> Mapping[str, str]:
        by_shard: dict[int, list[str]] = {}
        for i in ids:
            by_shard.setdefault(shard_of[i], []).append(i)
        texts: dict[str, str] = {}
        for index, wanted in by_shard.items():
            t = pq.read_table(_kept_path(out, index), columns=["id", "text"], filters=[("id", "in", wanted)])
            texts.update(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))
        return texts

    def sketches():
        for s in summaries:
            p = out / WORK / f"sketch-{shard_name(s.index)}.parquet"
            yield sketches_from_table(pq.read_table(p))

    if not against:
        return find_duplicates_with_stats(sketches(), keep, fetch_texts, config.dedup)
    priors = [dedup_index.load_index(a, config.dedup) for a in against]
    earlier, cross = dedup_index.match_against(sketches(), priors, fetch_texts, config.dedup)
    del priors
    gone = {r.id for r in earlier}  # a second pass over the sketch files: the rest, among themselves
    rows, info = find_duplicates_with_stats(dedup_index.without(sketches(), gone), keep, fetch_texts, config.dedup)
    info["against"] = cross
    return earlier + rows, info


def finish(
    out: Path,
    files: list[InputFile],
    config: PipelineConfig,
    summaries: list[ShardSummary],
    timings: dict[str, float],
    progress: Callable | None = None,
    duplicates: list[DuplicateRow] | None = None,
    against: Sequence[str] = (),
) -> dict:
    """Write corpus/, duplicates, rejected, stats and the manifest. `duplicates` may be given
    by an engine that resolved them itself (Ray); otherwise they are found here."""
    t0 = time.perf_counter()
    dups, dedup_info = run_dedup(out, config, summaries, against) if duplicates is None else (duplicates, {})
    timings["dedup"] = time.perf_counter() - t0
    if progress:
        progress("dedup", len(dups), None)
    t1 = time.perf_counter()
    dup_ids = {d.id: d for d in dups}
    corpus_dir = out / "corpus"
    n_kept = 0
    dup_source: dict[str, str] = {}
    kept_chars = dup_chars = 0
    for s in summaries:
        t = pq.read_table(_kept_path(out, s.index))
        if dup_ids:
            is_dup = pc.is_in(t.column("id"), value_set=pa.array(list(dup_ids), type=pa.string()))
            removed = t.filter(is_dup)
            dup_source.update(zip(removed.column("id").to_pylist(), removed.column("source").to_pylist()))
            dup_chars += pc.sum(removed.column("n_chars")).as_py() or 0
            t = t.filter(pc.invert(is_dup))
        t = t.select(CORPUS_SCHEMA.names).cast(CORPUS_SCHEMA)
        n_kept += t.num_rows
        kept_chars += sum(t.column("n_chars").to_pylist())
        write_table(t, corpus_dir / f"part-{shard_name(s.index)}.parquet", config.run.row_group_size)
    dup_rows = [
        dict(
            id=d.id,
            duplicate_of=d.duplicate_of,
            cluster_id=d.cluster_id,
            similarity=d.similarity,
            estimated_similarity=d.estimated_similarity,
            kind=d.kind,
            source=dup_source.get(d.id),
            duplicate_of_run=d.duplicate_of_run,
        )
        for d in sorted(dups, key=lambda d: d.id)
    ]
    write_rows(dup_rows, DUPLICATES_SCHEMA, out / "duplicates.parquet")
    dedup_edits = [
        dict(id=d["id"], stage="dedup", action="dropped", start=None, end=None, removed=None, replacement=None,
             reason=f"dedup:{d['kind']}_duplicate | of {d['duplicate_of']} (similarity {d['similarity']:.3f})",
             score=d["similarity"])
        for d in dup_rows
    ]
    write_rows(dedup_edits, EDITS_SCHEMA, out / "stages" / stage_dir("dedup") / "edits-00000.parquet")
    rejected = pa.concat_tables(
        [pq.read_table(out / WORK / f"rejected-{shard_name(s.index)}.parquet").cast(REJECTED_SCHEMA) for s in summaries]
        or [REJECTED_SCHEMA.empty_table()]
    )
    write_table(rejected, out / "rejected.parquet")
    if config.dedup.enabled:  # this run's index (signatures, band keys of kept docs) for later --against
        dedup_index.write_index(out, (sketches_from_table(pq.read_table(out / WORK / f"sketch-{shard_name(s.index)}.parquet"))
                                      for s in summaries), set(dup_ids), config.dedup, against,
                                 corpus_parts=[f"part-{shard_name(s.index)}.parquet" for s in summaries])
    timings["write"] = time.perf_counter() - t1

    stats = merge_stats(summaries)
    d = StageStats("dedup", docs_in=sum(s.n_kept for s in summaries))
    d.docs_dropped = len(dups)
    d.docs_out = d.docs_in - d.docs_dropped
    d.chars_out = kept_chars
    d.chars_in = kept_chars + dup_chars
    d.seconds = timings["dedup"]
    d.reasons = Counter(f"dedup:{x.kind}_duplicate" for x in dups)
    stats["dedup"] = d
    for name in STAGE_ORDER:
        write_json(stats[name].to_dict(), out / "stages" / stage_dir(name) / "stats.json")

    manifest = _manifest(out, files, config, summaries, stats, n_kept, len(dups), rejected, timings)
    if dedup_info:
        manifest["dedup"] = dedup_info
    write_json(manifest, out / "manifest.json")
    return manifest


def _manifest(out, files, config, summaries, stats, n_kept, n_dups, rejected, timings) -> dict:
    n_input = sum(s.n_input for s in summaries)
    corpus_ids = pa.concat_tables([pq.read_table(p, columns=["id"]) for p in sorted((out / "corpus").glob("part-*.parquet"))] or [pa.table({"id": pa.array([], pa.string())})]).column("id").to_pylist()
    dup_ids = pq.read_table(out / "duplicates.parquet", columns=["id"]).column("id").to_pylist()
    rej_ids = rejected.column("id").to_pylist()
    all_ids = corpus_ids + dup_ids + rej_ids
    n_unique = len(set(all_ids))
    ok = n_input == len(all_ids) == n_unique
    rejected_by_stage = Counter(rejected.column("stage").to_pylist())
    return {
        "pipeline": "newsclean-pipeline",
        "versions": _versions(),
        "inputs": sorted({str(f.path) for f in files}),
        "n_input_files": len(files),
        "config": config.model_dump(mode="json"),
        "stage_versions": _stage_versions(),
        "counts": {
            "input_documents": n_input,
            "kept": n_kept,
            "duplicates": n_dups,
            "rejected": len(rej_ids),
            "rejected_by_stage": dict(sorted(rejected_by_stage.items())),
        },
        "accounting": {
            "ok": ok,
            "check": "input_documents == kept + duplicates + rejected, every id exactly once",
            "ids_seen": len(all_ids),
            "unique_ids": n_unique,
        },
        "stages": {name: stats[name].to_dict() for name in STAGE_ORDER},
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "shards": len(summaries),
        "outputs": {
            "corpus": "corpus/",
            "duplicates": "duplicates.parquet",
            "rejected": "rejected.parquet",
            "stages": [f"stages/{stage_dir(n)}/" for n in STAGE_ORDER],
            **({"index": "index/"} if config.dedup.enabled else {}),
        },
    }


def _stage_versions() -> dict[str, str]:
    """Which logic produced the outputs, from each stage module's constants (building the
    stages here would load the extractor and the line model for nothing)."""
    from pipeline.stages import boilerplate, decode, extract, fix_encoding, quality, repeated_lines, spam

    return {m.NAME: m.VERSION for m in (decode, extract, fix_encoding, boilerplate, spam, repeated_lines, quality)}

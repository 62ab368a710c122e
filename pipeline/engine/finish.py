"""Global and final phases: dedup over all sketches, then corpus/, duplicates, rejected, stats and
the manifest. Removal is a join on id, never on position."""

from __future__ import annotations

import importlib.metadata
import platform
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import pipeline
from pipeline.config import PipelineConfig, config_hash
from pipeline.core.stage import StageStats
from pipeline.dedup import DuplicateRow, find_duplicates_with_stats, sketches_from_table
from pipeline.dedup.cluster import KeepColumns
from pipeline.dedup import index as dedup_index
from pipeline.engine.faults import fault_point
from pipeline.engine.plan import Plan
from pipeline.engine.shard import ShardSummary, merge_stats
from pipeline.io.card import render_card
from pipeline.io.corpus_files import CorpusFiles, shard_segments
from pipeline.io.layout import RunLayout
from pipeline.io.readers import InputFile, read_reason_key
from pipeline.io.safety import display_path
from pipeline.io.storage import read_table
from pipeline.io.writers import (
    CORPUS_SCHEMA,
    DUPLICATES_SCHEMA,
    EDITS_SCHEMA,
    REJECTED_SCHEMA,
    META_CONFIG_HASH,
    output_metadata,
    write_json,
    write_part,
    write_rows,
    write_table,
    write_text,
)

_VERSIONED = ("ftfy", "trafilatura", "resiliparse", "pyarrow", "numpy", "click", "pydantic")  # datasketch: an extra, not used at run time

log = logging.getLogger(__name__)


def _versions() -> dict[str, str]:
    out = {"pipeline": pipeline.__version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_dedup(
    layout: RunLayout, config: PipelineConfig, summaries: list[ShardSummary], against: Sequence[str] = ()
) -> tuple[list[DuplicateRow], dict]:
    """The global dedup step over every shard's sketches; returns rows and the LSH/verification
    stats that go into manifest.json. With `against` (earlier runs' folders), documents that
    duplicate what those runs kept are removed first (pipeline.dedup.index)."""
    if not config.dedup.enabled:
        return [], {"enabled": False}
    # What dedup keeps per document stays in Arrow columns (~60 bytes a news document): a dict
    # of KeepInfo and an id -> shard dict cost ~330 more, the bulk of a big run's growth.
    parts = [read_table(layout.kept(s.index), columns=["id", "n_chars", "seq", "date", "n_words"]) for s in summaries]
    keep = KeepColumns.of(parts)
    shard_index = np.array([s.index for s in summaries], dtype=np.int64)
    first_row = np.cumsum([0] + [t.num_rows for t in parts])[:-1]  # of each shard in `keep`
    del parts

    def fetch_texts(ids: Sequence[str]) -> Mapping[str, str]:
        shards = shard_index[np.searchsorted(first_row, keep.positions(ids), side="right") - 1]
        by_shard: dict[int, list[str]] = {}
        for i, index in zip(ids, shards.tolist()):
            by_shard.setdefault(index, []).append(i)
        texts: dict[str, str] = {}
        for index, wanted in by_shard.items():
            t = read_table(layout.kept(index), columns=["id", "text"], filters=[("id", "in", wanted)])
            texts.update(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))
        return texts

    def sketches():
        for s in summaries:
            yield sketches_from_table(read_table(layout.sketch(s.index)))

    if not against:
        return find_duplicates_with_stats(sketches(), keep, fetch_texts, config.dedup)
    priors = [dedup_index.load_index(a, config.dedup) for a in against]
    earlier, cross = dedup_index.match_against(sketches(), priors, fetch_texts, config.dedup)
    del priors
    gone = {r.id for r in earlier}  # a second pass over the sketch files: the rest, among themselves
    rows, info = find_duplicates_with_stats(dedup_index.without(sketches(), gone), keep, fetch_texts, config.dedup)
    info["against"] = cross
    return earlier + rows, info


@dataclass(frozen=True)
class Resolved:
    """Duplicates an engine resolved itself (Ray), with its dedup seconds and engine details."""

    duplicates: list[DuplicateRow]
    seconds: float
    engine: dict = field(default_factory=dict)


def _corpus_table(kept: pa.Table) -> pa.Table:
    """Kept rows -> the corpus schema: the ISO date string becomes a UTC timestamp."""
    from pipeline.io.dates import utc_timestamp

    dates = pa.array([utc_timestamp(v) for v in kept.column("date").to_pylist()], pa.timestamp("us", tz="UTC"))
    kept = kept.set_column(kept.schema.get_field_index("date"), "date", dates)
    return kept.select(CORPUS_SCHEMA.names).cast(CORPUS_SCHEMA)


def finish(
    plan: Plan,
    out: Path,
    files: list[InputFile],
    summaries: list[ShardSummary],
    timings: dict[str, float],
    progress: Callable | None = None,
    resolved: Resolved | None = None,
    against: Sequence[str] = (),
) -> dict:
    """Write corpus/, duplicates, rejected, stats and the manifest, each once. Duplicates are
    found here unless the engine `resolved` them itself (Ray)."""
    config, layout = plan.config, plan.layout(out)
    t0 = time.perf_counter()
    if resolved is None:
        dups, dedup_info = run_dedup(layout, config, summaries, against)
        timings["dedup"] = time.perf_counter() - t0
    else:
        dups, dedup_info = resolved.duplicates, {}
        timings["dedup"] = resolved.seconds
    if progress:
        n_dedup = sum(s.n_kept for s in summaries)  # documents that reached dedup
        progress("dedup", n_dedup, n_dedup)
    log.info("dedup: %d duplicates among %d documents (%.1f s)", len(dups), sum(s.n_kept for s in summaries), timings["dedup"])
    t1 = time.perf_counter()
    dup_ids = {d.id: d for d in dups}
    meta = output_metadata(config)
    corpus = CorpusFiles(layout, int(config.run.target_file_mb * (1 << 20)), config.run.row_group_size, meta)
    shard_rows: list[int] = []
    n_kept = 0
    dup_source: dict[str, str] = {}
    kept_chars = dup_chars = 0
    for s in summaries:
        t = read_table(layout.kept(s.index))
        if dup_ids:
            is_dup = pc.is_in(t.column("id"), value_set=pa.array(list(dup_ids), type=pa.string()))
            removed = t.filter(is_dup)
            dup_source.update(zip(removed.column("id").to_pylist(), removed.column("source").to_pylist()))
            dup_chars += pc.sum(removed.column("n_chars")).as_py() or 0
            t = t.filter(pc.invert(is_dup))
        t = _corpus_table(t)
        n_kept += t.num_rows
        kept_chars += sum(t.column("n_chars").to_pylist())
        corpus.add(t)
        shard_rows.append(t.num_rows)
    corpus_files = corpus.close()
    fault_point("finish")  # tests: NEWSCLEAN_FAULT=finish (corpus written, the rest not yet)
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
    write_rows(dup_rows, DUPLICATES_SCHEMA, layout.duplicates, metadata=meta)
    dedup_edits = [
        dict(id=d["id"], stage="dedup", action="dropped", start=None, end=None, removed=None, replacement=None,
             reason=f"dedup:{d['kind']}_duplicate | of {d['duplicate_of']} (similarity {d['similarity']:.3f})",
             score=d["similarity"])
        for d in dup_rows
    ]
    write_part(dedup_edits, EDITS_SCHEMA, layout.edits("dedup", 0), meta)
    rejected = pa.concat_tables(
        [read_table(layout.rejected_part(s.index)).cast(REJECTED_SCHEMA) for s in summaries]
        or [REJECTED_SCHEMA.empty_table()]
    )
    write_table(rejected, layout.rejected, metadata=meta)
    if config.dedup.enabled:  # this run's index (signatures, band keys of kept docs) for later --against
        dedup_index.write_index(layout, (sketches_from_table(read_table(layout.sketch(s.index))) for s in summaries),
                                set(dup_ids), config.dedup, against, corpus_parts=shard_segments(shard_rows, corpus_files),
                                metadata=meta)
    timings["write"] = time.perf_counter() - t1

    stats = merge_stats(plan, summaries)
    d = StageStats("dedup", docs_in=sum(s.n_kept for s in summaries))
    d.docs_dropped = len(dups)
    d.docs_out = d.docs_in - d.docs_dropped
    d.chars_out = kept_chars
    d.chars_in = kept_chars + dup_chars
    d.seconds = timings["dedup"]
    d.reasons = Counter(f"dedup:{x.kind}_duplicate" for x in dups)
    stats["dedup"] = d
    for name in plan.names:
        write_json(stats[name].to_dict(), layout.stage_stats(name))

    manifest = _manifest(plan, layout, files, summaries, stats, n_kept, len(dups), rejected, timings)
    if dedup_info:
        manifest["dedup"] = dedup_info
    if resolved is not None and resolved.engine:
        manifest["engine"] = resolved.engine
    n_edits = len(dedup_edits) + sum(n for s in summaries for name, n in s.part_rows.items() if name != "input")
    write_text(render_card(layout, pipeline.__version__, meta[META_CONFIG_HASH], manifest["counts"], n_edits), layout.card)
    write_json(manifest, layout.manifest)  # last: a run with a manifest is complete
    return manifest


def _manifest(plan: Plan, layout: RunLayout, files, summaries, stats, n_kept, n_dups, rejected, timings) -> dict:
    config = plan.config
    n_input = sum(s.n_input for s in summaries)
    corpus_ids = pa.concat_tables([read_table(p, columns=["id"]) for p in sorted(layout.corpus.glob("part-*.parquet"), key=lambda p: p.name)] or [pa.table({"id": pa.array([], pa.string())})]).column("id").to_pylist()
    dup_ids = read_table(layout.duplicates, columns=["id"]).column("id").to_pylist()
    rej_ids = rejected.column("id").to_pylist()
    all_ids = corpus_ids + dup_ids + rej_ids
    n_unique = len(set(all_ids))
    ok = n_input == len(all_ids) == n_unique
    rejected_by_stage = Counter(rejected.column("stage").to_pylist())
    read_reasons = Counter(read_reason_key(r or "") for st, r in zip(rejected.column("stage").to_pylist(), rejected.column("reason").to_pylist())
                           if st == "read")
    return {
        "pipeline": "newsclean-pipeline",
        "versions": _versions(),
        "inputs": sorted({display_path(f.path) for f in files}),
        "n_input_files": len(files),
        "config": config.model_dump(mode="json"),
        "config_hash": config_hash(config),
        "stage_versions": plan.registry.versions(),
        "counts": {
            "input_documents": n_input,
            "kept": n_kept,
            "duplicates": n_dups,
            "rejected": len(rej_ids),
            "rejected_by_stage": dict(sorted(rejected_by_stage.items())),
            # documents rejected before any stage (unreadable, no text field...), by reason
            "read_reasons": dict(sorted(read_reasons.items())),
        },
        "accounting": {
            "ok": ok,
            "check": "input_documents == kept + duplicates + rejected, every id exactly once",
            "ids_seen": len(all_ids),
            "unique_ids": n_unique,
        },
        "stages": {name: stats[name].to_dict() for name in plan.names},
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "shards": len(summaries),
        "outputs": {
            "corpus": "corpus/",
            "duplicates": "duplicates.parquet",
            "rejected": "rejected.parquet",
            "card": layout.card.name,
            "stages": [f"{layout.stage_dir(n).relative_to(layout.out)}/" for n in plan.names],
            **({"index": f"{layout.index.relative_to(layout.out)}/"} if config.dedup.enabled else {}),
        },
    }


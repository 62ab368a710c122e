"""Map-phase work on one shard: clean its documents and write its side tables.

A shard is a fixed run of input records (by input order), so its content never depends on the
number of workers. All files of a shard are written atomically; its summary file is written
last and marks the shard complete (what `--resume` looks for).
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import PipelineConfig
from pipeline.dedup import sketch
from pipeline.dedup.api import sketches_to_table
from pipeline.document import Document, RawDocument
from pipeline.io.dates import iso_date
from pipeline.io.readers import ReadFailure
from pipeline.io.writers import CORPUS_SCHEMA, EDITS_SCHEMA, INPUT_SCHEMA, REJECTED_SCHEMA, write_json, write_rows, write_table
from pipeline.runner.chain import STAGE_ORDER, CleanResult, Cleaner, new_stats, run_chain, stage_dir
from pipeline.stage import StageStats
from pipeline.stages.deadline import Budget
from pipeline.stages.quality import QualityFilter
from pipeline.stages.repeated_lines import LineCounts, RepeatedLines, cross_shard_copies, line_keys, text_key

WORK = "_work"
# Scratch rows between the phases: the corpus columns plus the input position (first_seen).
KEPT_SCHEMA = CORPUS_SCHEMA.append(pa.field("seq", pa.int64()))


def shard_name(index: int) -> str:
    return f"{index:05d}"


def summary_path(out: Path, index: int) -> Path:
    return out / WORK / f"summary-{shard_name(index)}.json"


def pre_summary_path(out: Path, index: int) -> Path:
    return out / WORK / f"summary-pre-{shard_name(index)}.json"


@dataclass
class ShardSummary:
    index: int
    n_input: int
    n_kept: int
    n_rejected: int
    stats: dict[str, dict]

    def to_json(self) -> dict:
        return self.__dict__

    @classmethod
    def load(cls, path: Path) -> "ShardSummary":
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _preview(text: str | None) -> str | None:
    return None if text is None else text[:300]


def _kept_row(d: Document, seq: int) -> dict:
    return dict(
        id=d.id,
        text=d.text,
        source=d.source,
        url=d.url,
        title=d.title,
        date=iso_date(d.date),
        n_chars=len(d.text),
        n_words=len(d.text.split()),
        charset=d.meta.get("charset"),
        seq=seq,
    )


def _write_edits(out: Path, name: str, edits: dict[str, list[dict]], stages: tuple[str, ...]) -> None:
    for stage in stages:
        write_rows(edits[stage], EDITS_SCHEMA, out / "stages" / stage_dir(stage) / f"edits-{name}.parquet")


PRE_STAGES = ("decode", "extract", "fix_encoding", "boilerplate", "spam")
POST_STAGES = ("repeated_lines", "quality")


def clean_shard(
    index: int,
    first_seq: int,
    records: list[RawDocument | ReadFailure],
    config: PipelineConfig,
    out_dir: str,
) -> ShardSummary:
    """Phase 1: decode -> spam on one shard. Writes the stages' edits, input texts, the surviving
    documents (_work/pre-*), rejected rows so far and, when enabled, the shard's line counts."""
    out = Path(out_dir)
    name = shard_name(index)
    cleaner = Cleaner(config)
    stats = new_stats()
    edits: dict[str, list[dict]] = {s: [] for s in STAGE_ORDER}
    inputs: list[dict] = []
    survivors: list[dict] = []
    rejected: list[dict] = []
    counts = LineCounts()
    for offset, rec in enumerate(records):
        if isinstance(rec, ReadFailure):
            rejected.append(dict(id=rec.id, source=rec.source, stage="read", reason=rec.reason, n_chars=None, preview=None))
            continue
        result = cleaner.clean_pre(rec, stats)
        _collect(result, edits, inputs, rejected)
        if result.doc is not None:
            survivors.append(_kept_row(result.doc, first_seq + offset))
            if config.repeated_lines.enabled:
                counts.add(line_keys(result.doc, config.repeated_lines), text_key(result.doc, config.repeated_lines))
    _write_edits(out, name, edits, PRE_STAGES)
    if config.run.store_input:
        write_rows(inputs, INPUT_SCHEMA, out / "stages" / stage_dir("decode") / f"input-{name}.parquet")
    write_rows(survivors, KEPT_SCHEMA, out / WORK / f"pre-{name}.parquet")
    write_rows(rejected, REJECTED_SCHEMA, out / WORK / f"rejected-pre-{name}.parquet")
    if config.repeated_lines.enabled:
        _write_pickle(counts, out / WORK / f"lines-{name}.pkl")
    summary = ShardSummary(
        index=index,
        n_input=len(records),
        n_kept=len(survivors),
        n_rejected=len(rejected),
        stats={k: stats[k].to_dict() for k in PRE_STAGES},
    )
    write_json(summary.to_json(), pre_summary_path(out, index))
    return summary


def finish_shard(index: int, pre: ShardSummary, config: PipelineConfig, out_dir: str, repeated: frozenset[int]) -> ShardSummary:
    """Phase 2: repeated_lines -> quality on one shard's survivors, then its dedup sketches."""
    out = Path(out_dir)
    name = shard_name(index)
    stats = new_stats()
    stages = [RepeatedLines(config.repeated_lines, repeated), QualityFilter(config.quality)]
    if not config.repeated_lines.enabled:
        stages = stages[1:]
    edits: dict[str, list[dict]] = {s: [] for s in STAGE_ORDER}
    kept: list[dict] = []
    rejected: list[dict] = []
    for row in pq.read_table(out / WORK / f"pre-{name}.parquet").to_pylist():
        doc = Document(id=row["id"], text=row["text"], source=row["source"], url=row["url"], title=row["title"],
                       date=row["date"], meta={"charset": row["charset"]} if row["charset"] else {})
        result = CleanResult(row["id"], row["source"], None, "text", doc)
        run_chain(result, stages, stats, Budget.from_config(config))
        _collect(result, edits, [], rejected)
        if result.doc is not None:
            kept.append(_kept_row(result.doc, row["seq"]))
    _write_edits(out, name, edits, POST_STAGES)
    earlier = pq.read_table(out / WORK / f"rejected-pre-{name}.parquet").cast(REJECTED_SCHEMA)
    write_table(pa.concat_tables([earlier, pa.Table.from_pylist(rejected, schema=REJECTED_SCHEMA)]),
                out / WORK / f"rejected-{name}.parquet")
    write_rows(kept, KEPT_SCHEMA, out / WORK / f"kept-{name}.parquet")
    if config.dedup.enabled:
        sk = sketch([(k["id"], k["text"]) for k in kept], config.dedup)
        write_table(sketches_to_table(sk), out / WORK / f"sketch-{name}.parquet")
    summary = ShardSummary(
        index=index,
        n_input=pre.n_input,
        n_kept=len(kept),
        n_rejected=pre.n_rejected + len(rejected),
        stats={**pre.stats, **{k: stats[k].to_dict() for k in POST_STAGES}},
    )
    write_json(summary.to_json(), summary_path(out, index))
    return summary


def process_shard(
    index: int,
    first_seq: int,
    records: list[RawDocument | ReadFailure],
    config: PipelineConfig,
    out_dir: str,
) -> ShardSummary:
    """Both phases on one shard, for runs without the corpus-wide repeated-line pass."""
    assert not config.repeated_lines.enabled, "repeated_lines needs the global count between the phases"
    return finish_shard(index, clean_shard(index, first_seq, records, config, out_dir), config, out_dir, frozenset())


def merge_line_counts(out: Path, summaries: list[ShardSummary], config: PipelineConfig) -> frozenset[int]:
    """The global step between the phases: lines repeated across enough documents."""
    total = LineCounts()
    texts = []
    for s in summaries:
        with open(out / WORK / f"lines-{shard_name(s.index)}.pkl", "rb") as fh:
            counts = pickle.load(fh)
        texts.append((s.index, getattr(counts, "texts", [])))
        total = total.merge(counts)
    for index, copies in cross_shard_copies(texts).items():  # exact copies count once, whatever the shard
        for row in pq.read_table(out / WORK / f"pre-{shard_name(index)}.parquet", columns=["text", "source", "url"]).to_pylist():
            doc = Document(id="", text=row["text"], source=row["source"], url=row["url"])
            if text_key(doc, config.repeated_lines) in copies:
                copies.discard(text_key(doc, config.repeated_lines))
                total.discount(line_keys(doc, config.repeated_lines))
    return total.repeated(config.repeated_lines)


def _write_pickle(obj: object, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # disk full or interrupted: never leave a .tmp behind
        raise


def _collect(result: CleanResult, edits: dict[str, list[dict]], inputs: list[dict], rejected: list[dict]) -> None:
    if result.input_text is not None:
        inputs.append(dict(id=result.id, source=result.source, format=result.input_format, text=result.input_text))
    for stage, e in result.edits:
        edits[stage].append(
            dict(
                id=result.id,
                stage=stage,
                action="modified",
                start=e.start,
                end=e.end,
                removed=e.removed,
                replacement=e.replacement,
                reason=e.reason,
                score=e.score,
            )
        )
    if result.doc is None:
        stage = result.rejected_stage or "unknown"
        edits.setdefault(stage, []).append(
            dict(id=result.id, stage=stage, action="dropped", start=None, end=None, removed=None,
                 replacement=None, reason=result.rejected_reason, score=None)
        )
        rejected.append(
            dict(
                id=result.id,
                source=result.source,
                stage=stage,
                reason=result.rejected_reason,
                n_chars=None if result.input_text is None else len(result.input_text),
                preview=_preview(result.input_text),
            )
        )


def merge_stats(summaries: list[ShardSummary]) -> dict[str, StageStats]:
    total = new_stats()
    for s in summaries:
        for name, d in s.stats.items():
            total[name] = total[name].merge(StageStats.from_dict(d))
    return total


def read_ids(path: Path) -> list[str]:
    return pq.read_table(path, columns=["id"]).column("id").to_pylist()

"""Map-phase work on one shard: run the plan's per-document stages and write its side tables.

A shard is a fixed run of input records (by input order), so its content never depends on the
number of workers. All files of a shard are written atomically; its summary file is written
last and marks the shard complete (what `--resume` looks for).

Phases: `run_pre_phase` (the stages before the corpus-wide step, plus that step's observation
of the shard), `merge_observations` (global), `run_post_phase` (the corpus-wide step applied,
the stages after it, the dedup sketches). Without a corpus-wide step `run_both_phases` runs the
two in one task.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.core.document import Document, RawDocument
from pipeline.core.stage import StageStats
from pipeline.dedup import sketch, sketches_to_table
from pipeline.engine.chain import CleanResult, Cleaner, run_chain_batch
from pipeline.engine.plan import Plan
from pipeline.io.dates import iso_date
from pipeline.io.layout import RunLayout
from pipeline.io.readers import ReadFailure
from pipeline.io.storage import as_path, is_remote, open_binary, put_bytes, read_table
from pipeline.io.writers import (
    CORPUS_SCHEMA,
    EDITS_SCHEMA,
    INPUT_SCHEMA,
    REJECTED_SCHEMA,
    output_metadata,
    write_json,
    write_part,
    write_rows,
    write_table,
)

# Scratch rows between the phases: the corpus columns plus the input position (first_seen).
# The corpus row before dedup (OUT/_work): `date` is the ISO 8601 UTC string the keep policy
# compares; finish() turns it into the corpus's timestamp column.
KEPT_SCHEMA = pa.schema([pa.field("date", pa.string()) if f.name == "date" else f for f in CORPUS_SCHEMA]).append(pa.field("seq", pa.int64()))
# Documents between the two phases, whole (every Document field, meta as a JSON object): the
# post phase gets exactly what the pre phase made.
SURVIVOR_SCHEMA = pa.schema([(f, pa.string()) for f in ("id", "text", "source", "format", "url", "title", "date", "meta")] + [("seq", pa.int64())])
# The corpus-wide step's note of each document (see `Bound`), beside it between the phases.
NOTE = "corpus_note"


@dataclass
class ShardSummary:
    index: int
    n_input: int
    n_kept: int
    n_rejected: int
    stats: dict[str, dict]
    # Rows of the shard's parts under OUT/stages, by stage name ("input" for input-*): a part
    # with 0 rows is not written, and --resume must know it is empty rather than lost.
    part_rows: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return self.__dict__

    @classmethod
    def load(cls, path: Path) -> "ShardSummary":
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _preview(text: str | None) -> str | None:
    return None if text is None else text[:300]


def _kept_table(docs: list[Document], seqs: list[int]) -> pa.Table:
    """The kept documents as scratch rows (KEPT_SCHEMA), built column by column."""
    meta = [d.meta for d in docs]
    texts = [d.text for d in docs]
    return pa.table(
        dict(
            id=[d.id for d in docs],
            text=texts,
            source=[d.source for d in docs],
            url=[d.url for d in docs],
            title=[d.title for d in docs],
            date=[iso_date(d.date) for d in docs],
            date_raw=[d.date for d in docs],
            n_chars=[len(t) for t in texts],
            n_words=[len(t.split()) for t in texts],
            charset=[m.get("charset") for m in meta],
            quality_score=[float(m["quality_score"]) if m.get("quality_score") else None for m in meta],
            language=[m.get("language") for m in meta],
            seq=seqs,
        ),
        schema=KEPT_SCHEMA,
    )


def _observe(plan: Plan, docs: list[Document]) -> tuple[Any, pa.Array | None]:
    """The corpus-wide step's observation of a shard, and its notes of each document when it
    takes notes (see `core.stage.Bound`); (None, None) without a corpus-wide step."""
    if plan.corpus is None:
        return None, None
    stage = plan.corpus_stage()
    noting = getattr(stage, "observe_noting", None)
    return noting(docs) if noting is not None else (stage.observe(docs), None)


def _survivor_table(docs: list[Document], seqs: list[int], notes: pa.Array | None = None) -> pa.Table:
    """Documents between the phases, whole (SURVIVOR_SCHEMA), built column by column; the
    corpus-wide step's notes of them, when it takes notes, in one more column (NOTE)."""
    table = pa.table(
        dict(
            id=[d.id for d in docs],
            text=[d.text for d in docs],
            source=[d.source for d in docs],
            format=[d.format for d in docs],
            url=[d.url for d in docs],
            title=[d.title for d in docs],
            date=[d.date for d in docs],
            meta=[json.dumps(dict(d.meta), ensure_ascii=False) for d in docs],
            seq=seqs,
        ),
        schema=SURVIVOR_SCHEMA,
    )
    return table if notes is None else table.append_column(NOTE, notes)


def _survivor_docs(table: pa.Table) -> tuple[list[Document], list[int]]:
    """`_survivor_table` read back: the documents and their input positions."""
    c = {name: table.column(name).to_pylist() for name in SURVIVOR_SCHEMA.names}
    docs = [Document(id=i, text=t, source=s, format=f, url=u, title=ti, date=da, meta=json.loads(m))
            for i, t, s, f, u, ti, da, m in zip(c["id"], c["text"], c["source"], c["format"], c["url"], c["title"],
                                                  c["date"], c["meta"])]
    return docs, c["seq"]


def _write_edits(plan: Plan, layout: RunLayout, index: int, edits: dict[str, list[dict]], stages: list[str]) -> dict[str, int]:
    """The shard's edits-* part of each stage (none for a stage without edits); rows by stage."""
    meta = output_metadata(plan.config)
    return {stage: write_part(edits[stage], EDITS_SCHEMA, layout.edits(stage, index), meta) for stage in stages}


def part_files(layout: RunLayout, index: int, summary: ShardSummary) -> list[Path]:
    """The parts under OUT/stages a completed shard wrote (the ones with rows)."""
    return [layout.inputs(index) if name == "input" else layout.edits(name, index)
            for name, n in summary.part_rows.items() if n]


def run_pre_phase(index: int, first_seq: int, records: list[RawDocument | ReadFailure], plan: Plan, out_dir: str) -> ShardSummary:
    """Phase 1 on one shard: the stages before the corpus-wide step. Writes their edits, input
    texts, the surviving documents, rejected rows so far and the corpus-wide step's observation."""
    layout = plan.layout(as_path(out_dir))
    cleaner = Cleaner(plan.config, plan.registry)
    stats = plan.new_stats()
    edits: dict[str, list[dict]] = {s: [] for s in plan.names}
    inputs: list[dict] = []
    survivors: list[Document] = []
    seqs: list[int] = []
    rejected: list[dict] = []
    raws = [rec for rec in records if not isinstance(rec, ReadFailure)]
    cleaned = iter(cleaner.clean_pre_batch(raws, stats))
    for offset, rec in enumerate(records):
        if isinstance(rec, ReadFailure):
            rejected.append(dict(id=rec.id, source=rec.source, stage="read", reason=rec.reason, n_chars=None, preview=None))
            continue
        result = next(cleaned)
        _collect(result, edits, inputs, rejected)
        if result.doc is not None:
            survivors.append(result.doc)
            seqs.append(first_seq + offset)
    names = [s.name for s in plan.pre]
    part_rows = _write_edits(plan, layout, index, edits, names)
    if plan.config.run.store_input:
        part_rows["input"] = write_part(inputs, INPUT_SCHEMA, layout.inputs(index), output_metadata(plan.config))
    observation, notes = _observe(plan, survivors)
    write_table(_survivor_table(survivors, seqs, notes), layout.survivors(index), scratch=True)
    write_rows(rejected, REJECTED_SCHEMA, layout.rejected_pre(index), scratch=True)
    if plan.corpus is not None:
        _write_pickle(observation, layout.observation(index))
    summary = ShardSummary(index=index, n_input=len(records), n_kept=len(survivors), n_rejected=len(rejected),
                           stats={k: stats[k].to_dict() for k in names}, part_rows=part_rows)
    write_json(summary.to_json(), layout.pre_summary(index))
    return summary


def run_post_phase(index: int, pre: ShardSummary, plan: Plan, out_dir: str, fact: Any = None) -> ShardSummary:
    """Phase 2 on one shard's survivors: the corpus-wide step (bound to its merged `fact`), the
    stages after it, then the dedup sketches of what is kept."""
    layout = plan.layout(as_path(out_dir))
    stats = plan.new_stats()
    edits: dict[str, list[dict]] = {s: [] for s in plan.names}
    kept: list[Document] = []
    kept_seqs: list[int] = []
    rejected: list[dict] = []
    table = read_table(layout.survivors(index))
    docs, seqs = _survivor_docs(table)
    notes = table.column(NOTE).combine_chunks() if NOTE in table.column_names else None
    stages = plan.post_stages(fact, notes, {d.id: i for i, d in enumerate(docs)} if notes is not None else None)
    results = [CleanResult(doc.id, doc.source, None, doc.format, doc) for doc in docs]
    run_chain_batch(results, docs, stages, stats, plan.budget)
    for seq, result in zip(seqs, results):
        _collect(result, edits, [], rejected)
        if result.doc is not None:
            kept.append(result.doc)
            kept_seqs.append(seq)
    part_rows = _write_edits(plan, layout, index, edits, list(plan.post_names))
    earlier = read_table(layout.rejected_pre(index)).cast(REJECTED_SCHEMA)
    write_table(pa.concat_tables([earlier, pa.Table.from_pylist(rejected, schema=REJECTED_SCHEMA)]), layout.rejected_part(index),
                scratch=True)
    write_table(_kept_table(kept, kept_seqs), layout.kept(index), scratch=True)
    if plan.dedup:
        write_table(sketches_to_table(sketch([(d.id, d.text) for d in kept], plan.config.dedup)), layout.sketch(index), scratch=True)
    summary = ShardSummary(index=index, n_input=pre.n_input, n_kept=len(kept), n_rejected=pre.n_rejected + len(rejected),
                           stats={**pre.stats, **{k: stats[k].to_dict() for k in plan.post_names}},
                           part_rows={**pre.part_rows, **part_rows})
    write_json(summary.to_json(), layout.summary(index))
    return summary


def run_both_phases(index: int, first_seq: int, records: list[RawDocument | ReadFailure], plan: Plan, out_dir: str) -> ShardSummary:
    """Both phases on one shard, for plans without a corpus-wide step."""
    assert plan.corpus is None, "a corpus-wide step needs the global merge between the phases"
    return run_post_phase(index, run_pre_phase(index, first_seq, records, plan, out_dir), plan, out_dir)


def merge_observations(plan: Plan, out: Path, summaries: list[ShardSummary]) -> Any:
    """The global step between the phases: the corpus-wide stage merges every shard's observation."""
    layout = plan.layout(out)

    def observations():
        for s in summaries:
            with open_binary(layout.observation(s.index)) as fh:
                yield pickle.load(fh)

    return plan.corpus_stage().merge(observations())


def _write_pickle(obj: object, path: Path) -> None:
    if is_remote(path):
        put_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), path)
        return
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


def merge_stats(plan: Plan, summaries: list[ShardSummary]) -> dict[str, StageStats]:
    total = plan.new_stats()
    for s in summaries:
        for name, d in s.stats.items():
            total[name] = total[name].merge(StageStats.from_dict(d))
    return total

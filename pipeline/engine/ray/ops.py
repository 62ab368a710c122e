"""Worker side of the Ray engine: shard records as Arrow blocks, and the Ray Data operators
(the plan's two phases per shard + band rows, candidate pairs, verification).

Each operator records what it did (node, time, count) as one small file per unit of work under
RunLayout.units(); the driver reads them for the manifest, so the data stream carries only data.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pipeline.core.document import RawDocument
from pipeline.dedup import sketches_from_table
from pipeline.engine.plan import Plan
from pipeline.engine.ray import dedup as rd
from pipeline.engine.shard import ShardSummary, run_both_phases, run_post_phase, run_pre_phase
from pipeline.io.layout import RunLayout
from pipeline.io.readers import ReadFailure
from pipeline.io.storage import as_path, read_table
from pipeline.io.writers import write_json

RECORD_SCHEMA = pa.schema(
    [
        ("shard", pa.int64()),
        ("seq", pa.int64()),
        ("resume", pa.bool_()),
        ("id", pa.string()),
        ("source", pa.string()),
        ("failure", pa.string()),  # ReadFailure reason; null for a RawDocument
        ("data_bytes", pa.binary()),
        ("data_text", pa.string()),
        ("format", pa.string()),
        ("charset_hint", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("date", pa.string()),
        ("meta", pa.string()),  # JSON object
    ]
)


# ---------------------------------------------------------------------------------------------
# Records <-> Arrow (the driver cuts shards; workers clean them)


def records_to_table(index: int, first_seq: int, records: list, resume: bool) -> pa.Table:
    cols: dict[str, list] = {f.name: [] for f in RECORD_SCHEMA}
    for off, rec in enumerate(records):
        raw = isinstance(rec, RawDocument)
        data = rec.data if raw else None
        row = dict(
            shard=index, seq=first_seq + off, resume=resume, id=rec.id, source=rec.source,
            failure=None if raw else rec.reason,
            data_bytes=data if isinstance(data, bytes) else None,
            data_text=data if isinstance(data, str) else None,
            format=rec.format if raw else None, charset_hint=rec.charset_hint if raw else None,
            url=rec.url if raw else None, title=rec.title if raw else None, date=rec.date if raw else None,
            meta=json.dumps(dict(rec.meta)) if raw and rec.meta else None,
        )
        for k, v in row.items():
            cols[k].append(v)
    return pa.table(cols, schema=RECORD_SCHEMA)


def table_to_records(t: pa.Table) -> list:
    out = []
    for r in t.to_pylist():
        if r["failure"] is not None:
            out.append(ReadFailure(r["id"], r["source"], r["failure"]))
            continue
        data = r["data_bytes"] if r["data_bytes"] is not None else r["data_text"]
        out.append(
            RawDocument(
                id=r["id"], source=r["source"], data=data, format=r["format"], charset_hint=r["charset_hint"],
                url=r["url"], title=r["title"], date=r["date"], meta=json.loads(r["meta"]) if r["meta"] else {},
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Ray Data operators (module-level so they pickle by reference)


def record_unit(units: Path, phase: str, count: int) -> None:
    """One unit of work done: which node, when, how many items (read back by the driver)."""
    import ray

    node = ray.get_runtime_context().get_node_id()
    write_json({"phase": phase, "node": node, "t": time.time(), "count": count}, units / f"{phase}-{uuid.uuid4().hex}.json")


def read_units(units: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(units.glob("*.json"))]


def _shards(batch: pa.Table):
    """(index, that shard's rows by seq) for each shard in a block (normally exactly one)."""
    shards = batch.column("shard").to_numpy()
    for index in np.unique(shards).tolist():
        yield index, batch.filter(pa.array(shards == index)).sort_by("seq")


def _resumed(t: pa.Table, *done: Path) -> bool:
    return bool(t.column("resume")[0].as_py()) and any(p.exists() for p in done)


class PrePhaseWorker:
    """Actor of the pre phase when the plan has a corpus-wide step: `run_pre_phase` per shard
    (identical files to the embedded run); emits one row per shard."""

    def __init__(self, plan: Plan, out: str) -> None:
        self.plan, self.out, self.layout = plan, out, plan.layout(as_path(out))

    def __call__(self, batch: pa.Table) -> pa.Table:
        done = []
        for index, t in _shards(batch):
            if not _resumed(t, self.layout.pre_summary(index), self.layout.summary(index)):
                run_pre_phase(index, t.column("seq")[0].as_py(), table_to_records(t), self.plan, self.out)
            done.append(index)
        return pa.table({"shard": pa.array(done, pa.int64())})


class PostPhaseWorker:
    """Actor of the post phase (or of both, without a corpus-wide step): the rest of the plan
    per shard, then the shard's band rows for the LSH shuffle."""

    def __init__(self, plan: Plan, out: str, bands: int, rows: int, fact: Any = None) -> None:
        self.plan, self.out, self.layout = plan, out, plan.layout(as_path(out))
        self.bands, self.rows, self.fact = bands, rows, fact

    def __call__(self, batch: pa.Table) -> pa.Table:
        parts = [rd.BAND_SCHEMA.empty_table()]
        for index, t in _shards(batch):
            if not _resumed(t, self.layout.summary(index)):
                if self.plan.corpus is None:
                    run_both_phases(index, t.column("seq")[0].as_py(), table_to_records(t), self.plan, self.out)
                else:
                    pre = ShardSummary.load(self.layout.pre_summary(index))
                    run_post_phase(index, pre, self.plan, self.out, self.fact)
            if self.plan.dedup:
                parts.append(self._band_rows(index))
            record_unit(self.layout.units(), "map", 1)
        return pa.concat_tables(parts)

    def _band_rows(self, index: int) -> pa.Table:
        sk = sketches_from_table(read_table(self.layout.sketch(index)))
        kept = read_table(self.layout.kept(index), columns=["id", "seq"])
        seq_of = dict(zip(kept.column("id").to_pylist(), kept.column("seq").to_pylist()))
        return rd.band_rows(np.array([seq_of[i] for i in sk.ids], dtype=np.int64), sk.signatures, self.bands, self.rows)


def find_pairs(batch: pa.Table, units: str) -> pa.Table:
    """One hash partition of band rows -> its candidate pairs (one vectorised group-by)."""
    a, b = rd.candidate_pairs(*(batch.column(c).to_numpy() for c in ("band", "bkey", "seq")))
    record_unit(as_path(units), "shuffle", batch.num_rows)
    return pa.table({"a": pa.array(a, pa.int64()), "b": pa.array(b, pa.int64())})


def verify(batch: pa.Table, out: str, stages: tuple[str, ...], n_inputs: list[int], config, units: str) -> pa.Table:
    """One hash partition of candidate pairs -> the pairs whose exact similarity passes."""
    a, b = batch.column("a").to_numpy(), batch.column("b").to_numpy()
    layout = RunLayout(as_path(out), stages)
    va, vb, sims = rd.verify_pairs(layout, rd.ShardIndex(n_inputs), a, b, config) if len(a) else (a, b, np.zeros(0))
    record_unit(as_path(units), "verify", len(a))
    return pa.table({"a": pa.array(va, pa.int64()), "b": pa.array(vb, pa.int64()), "similarity": pa.array(sims, pa.float64())},
                    schema=rd.EDGE_SCHEMA)

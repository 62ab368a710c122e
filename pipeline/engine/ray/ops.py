"""Worker side of the Ray engine: shard records as Arrow blocks, and the Ray Data operators
(clean + band rows, candidate pairs, verification) with the schemas of what they emit."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import PipelineConfig
from pipeline.core.document import RawDocument
from pipeline.io.readers import ReadFailure
from pipeline.engine.ray import dedup as rd
from pipeline.engine.shard import (
    WORK,
    ShardSummary,
    clean_shard,
    finish_shard,
    pre_summary_path,
    shard_name,
    summary_path,
)

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
MAP_SCHEMA = pa.schema([*rd.BAND_SCHEMA, ("shard", pa.int64()), ("node", pa.string()), ("t", pa.float64())])
# What flows out of the shuffles: candidate/verified pairs (tag 0) and one marker row per unit of
# work, naming the node that did it: map shard (1, b = shard), band partition (2, b = band rows),
# verify partition (3, b = pairs checked). t = when that unit finished (wall clock).
EDGE_SCHEMA = pa.schema(
    [("tag", pa.int8()), ("a", pa.int64()), ("b", pa.int64()), ("similarity", pa.float64()), ("node", pa.string()), ("t", pa.float64())]
)
PAIR, MAP_DONE, SHUFFLE_DONE, VERIFY_DONE = 0, 1, 2, 3


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


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


class _ShardWorker:
    """Actor of the map phase: cleans whole shards with `process_shard` (identical files to the
    embedded run) and emits the shard's band rows plus one marker row (band -1) per shard."""

    def __init__(self, config: PipelineConfig, out: str, bands: int, rows: int, repeated: frozenset[int] | None = None) -> None:
        from pipeline.engine.chain import Cleaner

        # With the corpus-wide repeated-line pass, phase 1 already ran (_PreWorker) and this
        # actor runs phase 2 (repeated_lines -> quality -> sketch) on the shard's survivors.
        self.repeated = repeated
        # Building the chain once per actor pays its imports and set-up here, not per shard;
        # process_shard then builds its own Cleaner (cheap: the stages are stateless).
        self.cleaner = Cleaner(config)
        self.config, self.out, self.bands, self.rows = config, Path(out), bands, rows
        self.node = _node_id()

    def __call__(self, batch: pa.Table) -> pa.Table:
        import pyarrow.parquet as pq

        from pipeline.dedup.api import sketches_from_table
        from pipeline.engine.shard import process_shard

        parts = []
        shards = batch.column("shard").to_numpy()
        for index in np.unique(shards).tolist():  # normally exactly one shard per block
            t = batch.filter(pa.array(shards == index)).sort_by("seq")
            first_seq = t.column("seq")[0].as_py()
            prev = summary_path(self.out, index)
            if not (t.column("resume")[0].as_py() and prev.exists()):
                if self.repeated is None:
                    process_shard(index, first_seq, table_to_records(t), self.config, str(self.out))
                else:
                    pre = ShardSummary.load(pre_summary_path(self.out, index))
                    finish_shard(index, pre, self.config, str(self.out), self.repeated)
            if self.config.dedup.enabled:
                sk = sketches_from_table(pq.read_table(self.out / WORK / f"sketch-{shard_name(index)}.parquet"))
                kept = pq.read_table(self.out / WORK / f"kept-{shard_name(index)}.parquet", columns=["id", "seq"])
                seq_of = dict(zip(kept.column("id").to_pylist(), kept.column("seq").to_pylist()))
                seqs = np.array([seq_of[i] for i in sk.ids], dtype=np.int64)
                b = rd.band_rows(seqs, sk.signatures, self.bands, self.rows)
                n = b.num_rows
                b = b.append_column("shard", pa.array(np.full(n, index, np.int64)))
                parts.append(b.append_column("node", pa.nulls(n, pa.string())).append_column("t", pa.nulls(n, pa.float64())))
            marker = {"band": [-1], "bkey": [index], "seq": [-1], "shard": [index], "node": [self.node], "t": [time.time()]}
            parts.append(pa.table(marker, schema=MAP_SCHEMA))
        return pa.concat_tables(parts)


class _PreWorker:
    """Actor of phase 1 when the repeated-line pass is on: decode -> spam per shard
    (`clean_shard`, identical files to the embedded run); emits one row per shard."""

    def __init__(self, config: PipelineConfig, out: str) -> None:
        self.config, self.out = config, Path(out)

    def __call__(self, batch: pa.Table) -> pa.Table:
        shards = batch.column("shard").to_numpy()
        done = []
        for index in np.unique(shards).tolist():
            t = batch.filter(pa.array(shards == index)).sort_by("seq")
            prev = pre_summary_path(self.out, index)
            if not ((t.column("resume")[0].as_py()) and (prev.exists() or summary_path(self.out, index).exists())):
                clean_shard(index, t.column("seq")[0].as_py(), table_to_records(t), self.config, str(self.out))
            done.append(index)
        return pa.table({"shard": pa.array(done, pa.int64())})


def _edges(tag, a, b, similarity=None, node=None, t=None) -> pa.Table:
    n = len(a)
    return pa.table(
        {
            "tag": pa.array(np.full(n, tag, np.int8)),
            "a": pa.array(np.asarray(a, np.int64)),
            "b": pa.array(np.asarray(b, np.int64)),
            "similarity": pa.array(np.full(n, np.nan) if similarity is None else similarity, pa.float64()),
            "node": pa.array([node] * n, pa.string()),
            "t": pa.array([t] * n, pa.float64()),
        },
        schema=EDGE_SCHEMA,
    )


def _find_pairs(batch: pa.Table) -> pa.Table:
    """One hash partition of band rows -> its candidate pairs (one vectorised group-by); map
    markers pass through; plus this partition's own marker."""
    band = batch.column("band").to_numpy()
    real = band >= 0
    a, b = rd.candidate_pairs(band[real], batch.column("bkey").to_numpy()[real], batch.column("seq").to_numpy()[real])
    marks = batch.filter(pa.array(~real))
    return pa.concat_tables(
        [
            _edges(PAIR, a, b),
            pa.table({"tag": pa.array(np.full(marks.num_rows, MAP_DONE, np.int8)), "a": pa.array(np.full(marks.num_rows, -1, np.int64)),
                      "b": marks.column("bkey"), "similarity": pa.nulls(marks.num_rows, pa.float64()), "node": marks.column("node"),
                      "t": marks.column("t")}, schema=EDGE_SCHEMA),
            _edges(SHUFFLE_DONE, [-2], [int(real.sum())], node=_node_id(), t=time.time()),
        ]
    )


def _verify(batch: pa.Table, out: str, n_inputs: list[int], config) -> pa.Table:
    """One hash partition of candidate pairs -> the pairs whose exact Jaccard passes; markers
    pass through."""
    is_pair = pc.equal(batch.column("tag"), PAIR)
    pairs, other = batch.filter(is_pair), batch.filter(pc.invert(is_pair))
    a, b = pairs.column("a").to_numpy(), pairs.column("b").to_numpy()
    va, vb, sims = rd.verify_pairs(Path(out), rd.ShardIndex(n_inputs), a, b, config) if len(a) else (a, b, np.zeros(0))
    node = _node_id()
    return pa.concat_tables([other, _edges(PAIR, va, vb, sims, node), _edges(VERIFY_DONE, [-3], [len(a)], node=node, t=time.time())])

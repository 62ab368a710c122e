"""The Ray engine: the same pipeline and the same outputs as `pipeline.runner.local.run`, on a
Ray cluster through Ray Data. Ray is an optional extra (`pip install .[ray]`) imported only inside
the functions here, never by the embedded path.

Plan:
  1. The driver reads the input stream in order and cuts it into the embedded run's shards (fixed
     runs of `run.shard_size` records), one Arrow block each.
  2. map_batches over an actor pool (`_ShardWorker`, whose __init__ builds the Cleaner): each
     shard goes through `process_shard`, which writes the same per-shard files as the embedded
     run into OUT (shared storage), incl. its MinHash sketches; the map emits one band row per
     (document, band).
  3. repartition(keys=["band", "bkey"]) (hash shuffle), then one vectorised group-by per partition
     -> candidate pairs; repartition(keys=["a", "b"]) -> exact-Jaccard verification per partition.
  4. Driver: union-find over the verified edges, then cluster + keep policy per group of
     components (`ray_dedup.resolve`) -> DuplicateRows.
  5. `finalize.finish(..., duplicates=rows)`: corpus/, duplicates, rejected, stats, manifest; the
     removal of duplicates is a join on id.
"""

from __future__ import annotations

import json
import os
import logging
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import PipelineConfig
from pipeline.document import RawDocument
from pipeline.errors import PipelineError
from pipeline.io.readers import ReadFailure, resolve_inputs
from pipeline.io.writers import write_json
from pipeline.runner import finalize
from pipeline.runner import ray_dedup as rd
from pipeline.runner.chain import stage_dir
from pipeline.runner.local import Progress, RunResult, iter_records, iter_shards, prepare_output
from pipeline.runner.shard import (
    WORK,
    ShardSummary,
    clean_shard,
    finish_shard,
    merge_line_counts,
    pre_summary_path,
    shard_name,
    summary_path,
)

log = logging.getLogger(__name__)

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


class RayEngineError(PipelineError):
    """Ray is missing or the cluster cannot be reached."""


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
        from pipeline.runner.chain import Cleaner

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
        from pipeline.runner.shard import process_shard

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


# ---------------------------------------------------------------------------------------------
# The entry point


def run_ray(
    inputs: list[str | Path],
    out: str | Path,
    config: PipelineConfig | None = None,
    *,
    address: str | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Run the whole pipeline on a Ray cluster; same contract and outputs as `local.run`.

    `address`: "host:port" of a running cluster (or "auto"); None connects to RAY_ADDRESS if set,
    else starts a local Ray for this run. A Ray already initialised in this process is used as it
    is (and left running). OUT must be a path every node can read and write (shared storage on
    a multi-machine cluster)."""
    ray = _import_ray()
    config = config or PipelineConfig()
    out = Path(out).absolute()
    files = resolve_inputs(list(inputs))
    prepare_output(out, overwrite, resume)
    t_connect = time.time()
    started = _connect(ray, address)
    t_connect = time.time() - t_connect
    try:
        from ray.data import DataContext

        ctx = DataContext.get_current()
        ctx.enable_progress_bars = False
        # repartition(keys=...) needs a hash shuffle; its reduce never splits a partition's
        # block ("all rows with the same key are in the same block", as groupby relies on),
        # which is what the per-partition group-by in _find_pairs relies on too.
        if str(getattr(ctx.shuffle_strategy, "value", ctx.shuffle_strategy)).startswith("sort_"):
            ctx.shuffle_strategy = "hash_shuffle"
        info: dict = {"name": "ray", "ray_version": ray.__version__, "nodes": sorted(n["NodeID"] for n in ray.nodes() if n["Alive"]),
                      "connect_seconds": round(t_connect, 3)}
        t0 = time.time()
        n_shards, edges = _execute(ray, files, out, config, resume, info)
        summaries = [ShardSummary.load(summary_path(out, i)) for i in range(n_shards)]
        if progress:
            progress("clean", sum(s.n_input for s in summaries), None)
        timings = _timings(edges, t0, info)
        t1 = time.time()
        dups = _resolve_edges(edges, out, config, summaries, info) if config.dedup.enabled else []
        timings["dedup_resolve"] = time.time() - t1
        t_dedup = sum(v for k, v in timings.items() if k.startswith("dedup_"))
        manifest = finalize.finish(out, files, config, summaries, timings=timings, progress=progress, duplicates=dups)
    finally:
        if started:
            ray.shutdown()
    # finish() timed only the hand-over of `dups`; record the engine's dedup time instead.
    manifest["timings_seconds"]["dedup"] = round(t_dedup, 3)
    manifest["stages"]["dedup"]["seconds"] = t_dedup
    write_json(manifest["stages"]["dedup"], out / "stages" / stage_dir("dedup") / "stats.json")
    manifest["engine"] = info
    write_json(manifest, out / "manifest.json")
    if manifest["accounting"]["ok"] and not config.run.keep_work:
        shutil.rmtree(out / WORK, ignore_errors=True)
    return RunResult(out, manifest, summaries)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise RayEngineError("the Ray engine needs the ray extra: pip install 'newsclean-pipeline[ray]'") from None
    return ray


def _connect(ray, address: str | None) -> bool:
    """Connect or start Ray; True when this call initialised Ray (and so must shut it down)."""
    if ray.is_initialized():  # the caller's own connection: use it, and leave it open
        if address is not None:
            log.warning("Ray is already initialised in this process; using that connection, not %s", address)
        return False
    import pipeline

    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address is not None:
        kwargs.update(address=address)
        # Ship this package's code to the cluster (its dependencies must be installed there)
        # as a runtime_env py_module, so nodes run exactly the driver's version.
        if os.environ.get("PIPELINE_RAY_SHIP_CODE", "1") != "0":  # 0: the cluster has it installed
            kwargs["runtime_env"] = {"py_modules": [str(Path(pipeline.__file__).parent)]}
        kwargs.pop("include_dashboard")
    try:
        ray.init(**kwargs)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        raise RayEngineError(f"cannot connect to Ray at {address or 'a new local cluster'}: {exc}") from None
    return True


def _execute(ray, files, out: Path, config: PipelineConfig, resume: bool, info: dict) -> tuple[int, pa.Table]:
    """One Ray Data execution: shards -> actor pool (clean + band rows) -> band shuffle ->
    candidate pairs -> pair shuffle -> verification. Returns (shards, verified edges + markers).
    A single execution because each separate one waits for the previous one's actors to go."""
    t_read = time.time()
    # Each shard goes to the object store as soon as it is cut (which spills to disk when full),
    # so the driver's memory stays flat whatever the input size.
    refs, sizes = [], []
    for index, seq, batch in iter_shards(iter_records(files, config.decode.max_bytes), config.run.shard_size, config.run.shard_bytes):
        refs.append(ray.put(records_to_table(index, seq, batch, resume)))
        sizes.append(len(batch))  # shard sizes map a document's seq back to its shard
    if not refs:
        return 0, EDGE_SCHEMA.empty_table()
    info["read_seconds"] = round(time.time() - t_read, 3)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    bands, rows = rd.lsh_params(config.dedup)
    n_parts = max(2, cpus)
    info.update(shards=len(refs), actors=max(1, min(len(refs), cpus)), partitions=n_parts, bands=bands, rows=rows)
    repeated = None
    if config.repeated_lines.enabled:
        # Phase 1 on the cluster, then the global line count on the driver (counts are bounded
        # by repeated_lines.max_keys), then phase 2 inside the execution below.
        t_pre = time.time()
        pre = ray.data.from_arrow_refs(refs).map_batches(
            _PreWorker, fn_constructor_args=(config, str(out)), batch_size=None, batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=info["actors"]), num_cpus=1,
        )
        indexes = sorted(i for t in pre.iter_batches(batch_size=None, batch_format="pyarrow") for i in t.column("shard").to_pylist())
        pre_summaries = [ShardSummary.load(pre_summary_path(out, i)) if pre_summary_path(out, i).exists()
                         else ShardSummary.load(summary_path(out, i)) for i in indexes]
        repeated = merge_line_counts(out, pre_summaries, config)
        info["phase1_seconds"] = round(time.time() - t_pre, 3)
    ds = (
        ray.data.from_arrow_refs(refs)
        .map_batches(
            _ShardWorker,
            fn_constructor_args=(config, str(out), bands, rows, repeated),
            batch_size=None,  # a whole block = a whole shard
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=info["actors"]),
            num_cpus=1,
        )
        .repartition(n_parts, keys=["band", "bkey"])
        .map_batches(_find_pairs, batch_size=None, batch_format="pyarrow")
        .repartition(n_parts, keys=["a", "b"])
        .map_batches(_verify, batch_size=None, batch_format="pyarrow",
                     fn_kwargs=dict(out=str(out), n_inputs=sizes, config=config.dedup))
    )
    t_exec = time.time()
    tables = [t for t in ds.iter_batches(batch_size=None, batch_format="pyarrow")]
    info["execute_seconds"] = round(time.time() - t_exec, 3)
    if os.environ.get("PIPELINE_RAY_STATS"):  # Ray Data's per-operator report, for tuning
        print(ds.stats(), file=sys.stderr)
    return len(refs), pa.concat_tables([EDGE_SCHEMA.empty_table(), *(t.select(EDGE_SCHEMA.names).cast(EDGE_SCHEMA) for t in tables)])


def _timings(edges: pa.Table, t0: float, info: dict) -> dict[str, float]:
    tag = edges.column("tag").to_numpy()
    nodes, t = edges.column("node").to_pylist(), edges.column("t").to_numpy(zero_copy_only=False)
    last: dict[int, float] = {}
    for k, name in ((MAP_DONE, "map_nodes"), (SHUFFLE_DONE, "shuffle_nodes"), (VERIFY_DONE, "verify_nodes")):
        sel = np.flatnonzero(tag == k)
        info[name] = sorted({nodes[i] for i in sel})
        last[k] = float(t[sel].max()) if len(sel) else t0
    b = edges.column("b").to_numpy()
    info["band_rows"] = int(b[tag == SHUFFLE_DONE].sum())
    info["candidate_pairs"] = int(b[tag == VERIFY_DONE].sum())
    info["verified_edges"] = int((tag == PAIR).sum())
    return {  # phases overlap in a streaming execution: each ends when its last unit did
        "map": last[MAP_DONE] - t0,
        "dedup_candidates": max(0.0, last[SHUFFLE_DONE] - last[MAP_DONE]),
        "dedup_verify": max(0.0, last[VERIFY_DONE] - max(last[SHUFFLE_DONE], last[MAP_DONE])),
    }


def _resolve_edges(edges: pa.Table, out: Path, config: PipelineConfig, summaries: list[ShardSummary], info: dict):
    """Driver: union-find over the verified edges, then cluster + keep policy per group of
    whole components (`ray_dedup.resolve`)."""
    pairs = edges.filter(pc.equal(edges.column("tag"), PAIR))
    a, b = rd.unique_pairs(pairs.column("a").to_numpy(), pairs.column("b").to_numpy())
    components = rd.connected_components(a, b)
    info["components"] = len(components)
    info["largest_component"] = max((len(c) for c in components), default=0)
    index = rd.ShardIndex([s.n_input for s in summaries])
    rows = []
    for group in rd.group_components(components):
        rows.extend(rd.resolve(rd.load_nodes(out, index, group), config.dedup))
    return rows

"""The Ray engine: the same pipeline and the same outputs as `pipeline.runner.local.run`, on a
Ray cluster through Ray Data. Ray is an optional extra (`pip install .[ray]`) imported only inside
the functions here, never by the embedded path.
Driver side here; Ray connection in ray_connect.py, the worker-side operators in ray_ops.py.

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

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.config import PipelineConfig
from pipeline.io.readers import resolve_inputs
from pipeline.io.safety import OutLock, check_run_paths
from pipeline.io.writers import write_json
from pipeline.runner import finalize
from pipeline.runner import ray_dedup as rd
from pipeline.runner.chain import stage_dir
from pipeline.runner.local import Progress, RunResult, iter_records, iter_shards, prepare_output
from pipeline.runner.ray_connect import _connect, _import_ray
from pipeline.runner.ray_ops import (
    EDGE_SCHEMA,
    MAP_DONE,
    PAIR,
    SHUFFLE_DONE,
    VERIFY_DONE,
    _find_pairs,
    _PreWorker,
    _ShardWorker,
    _verify,
    records_to_table,
)
from pipeline.runner.shard import WORK, ShardSummary, merge_line_counts, pre_summary_path, summary_path

# Defined in this module before it was split; still importable from pipeline.runner.ray_engine.
from pipeline.runner.ray_connect import RayEngineError  # noqa: F401
from pipeline.runner.ray_ops import MAP_SCHEMA, RECORD_SCHEMA, table_to_records  # noqa: F401


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
    check_run_paths(out, list(inputs), config)
    lock = OutLock(out).__enter__()  # noqa: F841 - held until this function returns (released on collection or exit)
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

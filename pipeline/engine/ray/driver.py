"""The Ray engine (`run(..., engine="ray")`): the same plan and the same outputs as the local
engine, on a Ray cluster through Ray Data. Ray is an optional extra (`pip install .[ray]`) imported only inside
the functions here, never by the embedded path.
Driver side here; Ray connection in connect.py, the worker-side operators in ops.py.

Scheduling of the plan:
  1. The driver plans, the workers read (read.py): a Ray task per file counts its records, the
     driver cuts the embedded run's shards from the counts (`ShardCutter`) and works out the id
     renames; a Ray Data read task per file emits its records tagged with shard and seq, and a
     hash shuffle on `shard` makes each shard one block.
  2. With a corpus-wide step: the pre phase over an actor pool (`PrePhaseWorker`), then the
     merge of the shards' observations on the driver.
  3. map_batches over an actor pool (`PostPhaseWorker`): the rest of the plan per shard writes
     the same per-shard files as the embedded run into OUT (shared storage), incl. its MinHash
     sketches; the map emits one band row per (document, band).
  4. repartition(keys=["band", "bkey"]) (hash shuffle), then one vectorised group-by per partition
     -> candidate pairs; repartition(keys=["a", "b"]) -> exact verification per partition.
  5. Driver: connected components of the verified edges, then the embedded clustering and keep
     rule per group of components (`dedup.resolve_group`) -> DuplicateRows.
  6. `finish.finish(..., resolved=...)` with the engine's timings and details: corpus/,
     duplicates, rejected, stats, manifest, each written once.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.dedup import lsh_params
from pipeline.dedup.graph import connected_components
from pipeline.dedup.resolve import ResolveStats
from pipeline.engine import finish
from pipeline.engine.local import Progress
from pipeline.engine.plan import Plan
from pipeline.engine.ray import dedup as rd
from pipeline.engine.ray.connect import connect, import_ray
from pipeline.engine.ray.ops import PostPhaseWorker, PrePhaseWorker, find_pairs, read_units, verify
from pipeline.engine.ray.read import plan_reads, read_rows
from pipeline.engine.shard import ShardSummary, merge_observations
from pipeline.io.layout import RunLayout
from pipeline.io.readers import InputFile


# ---------------------------------------------------------------------------------------------
# The entry point


def execute(
    plan: Plan, layout: RunLayout, files: list[InputFile], resume: bool, progress: Progress | None, address: str | None = None
) -> tuple[list[ShardSummary], dict]:
    """The Ray engine's schedule of the plan (see the module docstring); same outputs as the
    local engine. `address`: "host:port" of a running cluster (or "auto"); None connects to
    RAY_ADDRESS if set, else starts a local Ray for this run. A Ray already initialised in this
    process is used as it is (and left running)."""
    ray = import_ray()
    t_connect = time.time()
    started = connect(ray, address)
    t_connect = time.time() - t_connect
    try:
        _configure_ray_data()
        info: dict = {"name": "ray", "ray_version": ray.__version__, "nodes": sorted(n["NodeID"] for n in ray.nodes() if n["Alive"]),
                      "connect_seconds": round(t_connect, 3)}
        t0 = time.time()
        n_shards, edges = _execute(ray, plan, files, layout, resume, info)
        summaries = [ShardSummary.load(layout.summary(i)) for i in range(n_shards)]
        if progress:
            progress("clean", sum(s.n_input for s in summaries), None)
        timings = _timings(read_units(layout.units()), edges, t0, info)
        t1 = time.time()
        dups = _resolve_edges(edges, plan, layout, summaries, info) if plan.dedup else []
        timings["dedup_resolve"] = time.time() - t1
        seconds = sum(v for k, v in timings.items() if k.startswith("dedup_"))
        resolved = finish.Resolved(dups, seconds, info)
        manifest = finish.finish(plan, layout.out, files, summaries, timings=timings, progress=progress, resolved=resolved)
    finally:
        if started:
            ray.shutdown()
    return summaries, manifest


def _configure_ray_data() -> None:
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    # repartition(keys=...) needs a hash shuffle; its reduce never splits a partition's
    # block ("all rows with the same key are in the same block", as groupby relies on),
    # which is what the per-partition group-by in find_pairs relies on too.
    if str(getattr(ctx.shuffle_strategy, "value", ctx.shuffle_strategy)).startswith("sort_"):
        ctx.shuffle_strategy = "hash_shuffle"
    # The shuffle's aggregator actors reserve a nominal share of CPU (a quarter of a node's,
    # Ray's default) while its map tasks need a whole CPU each: on a 1-CPU node the two wait for
    # each other forever. The aggregators do almost nothing until they finish; reserve none.
    if getattr(ctx, "hash_shuffle_operator_actor_num_cpus_override", None) is None:
        ctx.hash_shuffle_operator_actor_num_cpus_override = 0.0


def _execute(ray, plan: Plan, files, layout: RunLayout, resume: bool, info: dict) -> tuple[int, pa.Table]:
    """One Ray Data execution: shards -> actor pool (the plan + band rows) -> band shuffle ->
    candidate pairs -> pair shuffle -> verification. Returns (shards, verified edges).
    A single execution because each separate one waits for the previous one's actors to go."""
    config, out = plan.config, str(layout.out)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    t_read = time.time()
    # The driver only plans (read.py): the files are counted, then read, on the workers.
    reads = plan_reads(ray, files, config.decode.max_bytes, config.run.shard_size, config.run.shard_bytes, config.run.limit,
                       in_flight=2 * cpus, fields=config.input)
    sizes = reads.shard_sizes  # shard sizes map a document's seq back to its shard
    if not sizes:
        return 0, rd.EDGE_SCHEMA.empty_table()
    info["plan_seconds"] = round(time.time() - t_read, 3)
    n_shards = reads.n_shards
    bands, rows = lsh_params(config.dedup)
    n_parts = max(2, cpus)
    info.update(shards=n_shards, actors=max(1, min(n_shards, cpus)), partitions=n_parts, bands=bands, rows=rows)
    pool = dict(batch_size=None, batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=info["actors"]), num_cpus=1)
    n_files = len(reads.counts)
    shards = (
        ray.data.from_items([{"file": i} for i in range(n_files)], override_num_blocks=max(1, n_files))
        .map_batches(read_rows, batch_size=1, batch_format="pyarrow",
                     fn_kwargs=dict(files=files[:n_files], plan=reads, max_bytes=config.decode.max_bytes, resume=resume,
                                    cwd=os.getcwd(), fields=config.input))
        .repartition(n_shards, keys=["shard"])  # a shard's rows, from one file or many, in one block
        # Read and shuffled before the actor pools start: a pool holds its CPUs from the start,
        # and the read and shuffle tasks upstream of it would wait for them forever. The
        # records go to the object store (spilled to disk when full), as the driver's puts did.
        .materialize()
    )
    info["read_seconds"] = round(time.time() - t_read, 3)
    fact = None
    if plan.corpus is not None:
        # The pre phase on the cluster, then the corpus-wide merge on the driver (its
        # observations are bounded, e.g. by repeated_lines.max_keys).
        t_pre = time.time()
        pre = shards.map_batches(PrePhaseWorker, fn_constructor_args=(plan, out), **pool)
        indexes = sorted(i for t in pre.iter_batches(batch_size=None, batch_format="pyarrow") for i in t.column("shard").to_pylist())
        fact = merge_observations(plan, layout.out, [_pre_summary(layout, i) for i in indexes])
        info["phase1_seconds"] = round(time.time() - t_pre, 3)
    units = str(layout.units())
    ds = (
        shards  # a whole block = whole shards
        .map_batches(PostPhaseWorker, fn_constructor_args=(plan, out, bands, rows, fact), **pool)
        .repartition(n_parts, keys=["band", "bkey"])
        .map_batches(find_pairs, batch_size=None, batch_format="pyarrow", fn_kwargs=dict(units=units))
        .repartition(n_parts, keys=["a", "b"])
        .map_batches(verify, batch_size=None, batch_format="pyarrow",
                     fn_kwargs=dict(out=out, stages=layout.stages, n_inputs=sizes, config=config.dedup, units=units))
    )
    t_exec = time.time()
    tables = [t for t in ds.iter_batches(batch_size=None, batch_format="pyarrow")]
    info["execute_seconds"] = round(time.time() - t_exec, 3)
    if os.environ.get("PIPELINE_RAY_STATS"):  # Ray Data's per-operator report, for tuning
        print(ds.stats(), file=sys.stderr)
    return n_shards, pa.concat_tables([rd.EDGE_SCHEMA.empty_table(), *(t.select(rd.EDGE_SCHEMA.names).cast(rd.EDGE_SCHEMA) for t in tables)])


def _pre_summary(layout: RunLayout, index: int) -> ShardSummary:
    """A shard's pre-phase summary; a resumed shard that finished both phases has only the final one."""
    path = layout.pre_summary(index)
    return ShardSummary.load(path if path.exists() else layout.summary(index))


def _timings(units: list[dict], edges: pa.Table, t0: float, info: dict) -> dict[str, float]:
    """Per-phase timings and nodes from the operators' unit records. Phases overlap in a
    streaming execution: each ends when its last unit did."""
    by_phase: dict[str, list[dict]] = defaultdict(list)
    for u in units:
        by_phase[u["phase"]].append(u)
    last = {p: max((u["t"] for u in by_phase[p]), default=t0) for p in ("map", "shuffle", "verify")}
    for p in ("map", "shuffle", "verify"):
        info[f"{p}_nodes"] = sorted({u["node"] for u in by_phase[p]})
    info["band_rows"] = sum(u["count"] for u in by_phase["shuffle"])
    info["candidate_pairs"] = sum(u["count"] for u in by_phase["verify"])
    info["verified_edges"] = edges.num_rows
    return {
        "map": last["map"] - t0,
        "dedup_candidates": max(0.0, last["shuffle"] - last["map"]),
        "dedup_verify": max(0.0, last["verify"] - max(last["shuffle"], last["map"])),
    }


def _resolve_edges(edges: pa.Table, plan: Plan, layout: RunLayout, summaries: list[ShardSummary], info: dict):
    """Driver: connected components of the verified edges, then the embedded clustering and
    keep policy per group of whole components."""
    a, b = edges.column("a").to_numpy(), edges.column("b").to_numpy()
    components = connected_components(a, b)
    info["components"] = len(components)
    info["largest_component"] = max((len(c) for c in components), default=0)
    index = rd.ShardIndex([s.n_input for s in summaries])
    rows = []
    counted = dict.fromkeys(_KEEP_COUNTS, 0)
    for group in rd.group_components(components):
        mine = edges.filter(pc.is_in(edges.column("a"), value_set=pa.array(group)))
        stats = ResolveStats()
        rows.extend(rd.resolve_group(rd.load_nodes(layout, index, group), mine, plan.config.dedup, stats))
        for k in counted:
            counted[k] += getattr(stats, k)
    info.update(counted)
    return rows


# What the keep decision and the giant-cluster guard counted, summed over the groups (manifest: engine.*)
_KEEP_COUNTS = ("centre_not_policy_best", "giant_components_split", "giant_kept_pairs_checked",
                "giant_kept_pairs_over_threshold", "giant_kept_docs_unchecked")

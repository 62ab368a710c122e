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
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.config import PipelineConfig
from pipeline.document import RawDocument
from pipeline.errors import PipelineError
from pipeline.io.readers import ReadFailure, resolve_inputs
from pipeline.io.writers import write_json
from pipeline.runner import finalize
from pipeline.runner import ray_dedup as rd
from pipeline.runner.chain import stage_dir
from pipeline.runner.local import Progress, RunResult, iter_records, iter_shards, prepare_output
from pipeline.runner.shard import WORK, ShardSummary, shard_name, summary_path

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
MAP_SCHEMA = pa.schema([*rd.BAND_SCHEMA, ("shard", pa.int64()), ("node", pa.string())])


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

    def __init__(self, config: PipelineConfig, out: str, bands: int, rows: int) -> None:
        from pipeline.runner.chain import Cleaner

        self.cleaner = Cleaner(config)  # builds every stage once per actor (imports, models)
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
                process_shard(index, first_seq, table_to_records(t), self.config, str(self.out))
            if self.config.dedup.enabled:
                sk = sketches_from_table(pq.read_table(self.out / WORK / f"sketch-{shard_name(index)}.parquet"))
                kept = pq.read_table(self.out / WORK / f"kept-{shard_name(index)}.parquet", columns=["id", "seq"])
                seq_of = dict(zip(kept.column("id").to_pylist(), kept.column("seq").to_pylist()))
                seqs = np.array([seq_of[i] for i in sk.ids], dtype=np.int64)
                b = rd.band_rows(seqs, sk.signatures, self.bands, self.rows)
                parts.append(b.append_column("shard", pa.array(np.full(b.num_rows, index, np.int64))).append_column("node", pa.nulls(b.num_rows, pa.string())))
            parts.append(pa.table({"band": [-1], "bkey": [index], "seq": [-1], "shard": [index], "node": [self.node]}, schema=MAP_SCHEMA))
        return pa.concat_tables(parts)


def _find_pairs(batch: pa.Table) -> pa.Table:
    """One hash partition of band rows -> its candidate pairs (vectorised group-by), plus one
    marker row (a = -1, b = rows seen) naming the node that did it."""
    band = batch.column("band").to_numpy()
    real = band >= 0
    a, b = rd.candidate_pairs(band[real], batch.column("bkey").to_numpy()[real], batch.column("seq").to_numpy()[real])
    node = _node_id()
    return pa.table(
        {
            "a": pa.array(np.append(a, -1)),
            "b": pa.array(np.append(b, int(real.sum()))),
            "node": pa.array([None] * len(a) + [node], pa.string()),
        }
    )


def _verify(batch: pa.Table, out: str, n_inputs: list[int], config) -> pa.Table:
    """One hash partition of candidate pairs -> the pairs whose exact Jaccard passes."""
    a, b = batch.column("a").to_numpy(), batch.column("b").to_numpy()
    va, vb, sims = rd.verify_pairs(Path(out), rd.ShardIndex(n_inputs), a, b, config)
    return pa.table({"a": pa.array(va, pa.int64()), "b": pa.array(vb, pa.int64()), "similarity": pa.array(sims, pa.float64()),
                     "node": pa.array([_node_id()] * len(va), pa.string())})


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
    else reuses an initialised Ray in this process, else starts a local one for this run. OUT must
    be a path every node can read and write (shared storage on a multi-machine cluster)."""
    ray = _import_ray()
    config = config or PipelineConfig()
    out = Path(out).absolute()
    files = resolve_inputs(list(inputs))
    prepare_output(out, overwrite, resume)
    started = _connect(ray, address)
    try:
        from ray.data import DataContext

        ctx = DataContext.get_current()
        ctx.enable_progress_bars = False
        info: dict = {"name": "ray", "ray_version": ray.__version__, "nodes": sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])}
        t0 = time.perf_counter()
        bands, rows = rd.lsh_params(config.dedup)
        mapped = _map_phase(ray, files, out, config, resume, bands, rows)
        markers = mapped.filter(expr="band < 0").to_arrow_refs()
        marker_t = pa.concat_tables(ray.get(markers))
        summaries = sorted((ShardSummary.load(summary_path(out, i)) for i in marker_t.column("shard").to_pylist()), key=lambda s: s.index)
        info["map_nodes"] = sorted(set(marker_t.column("node").to_pylist()))
        if progress:
            progress("clean", sum(s.n_input for s in summaries), None)
        timings = {"map": time.perf_counter() - t0}
        dups = _dedup_phase(ray, mapped, out, config, summaries, timings, info) if config.dedup.enabled else []
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
    if ray.is_initialized() and address is None:
        return False
    if ray.is_initialized():
        ray.shutdown()
    import pipeline

    kwargs: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address is not None:
        # Ship this package's code to the cluster (its dependencies must be installed there).
        kwargs.update(address=address, runtime_env={"py_modules": [str(Path(pipeline.__file__).parent)]})
        kwargs.pop("include_dashboard")
    try:
        ray.init(**kwargs)
    except (ConnectionError, TimeoutError, RuntimeError) as exc:
        raise RayEngineError(f"cannot connect to Ray at {address or 'a new local cluster'}: {exc}") from None
    return True


def _map_phase(ray, files, out: Path, config: PipelineConfig, resume: bool, bands: int, rows: int):
    """Shards in input order -> one block each -> actor pool -> band rows (materialised)."""
    refs = [
        ray.put(records_to_table(index, seq, batch, resume))
        for index, seq, batch in iter_shards(iter_records(files, config.decode.max_bytes), config.run.shard_size)
    ]
    ds = ray.data.from_arrow_refs(refs)
    n_actors = max(1, min(len(refs), int(ray.cluster_resources().get("CPU", 1))))
    mapped = ds.map_batches(
        _ShardWorker,
        fn_constructor_args=(config, str(out), bands, rows),
        batch_size=None,  # a whole block = a whole shard
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=n_actors),
        num_cpus=1,
    )
    return mapped.materialize()


def _dedup_phase(ray, mapped, out: Path, config: PipelineConfig, summaries: list[ShardSummary], timings: dict, info: dict):
    n_parts = max(2, int(ray.cluster_resources().get("CPU", 1)))
    n_inputs = [s.n_input for s in summaries]
    t0 = time.perf_counter()
    pairs = mapped.repartition(n_parts, keys=["band", "bkey"]).map_batches(_find_pairs, batch_size=None, batch_format="pyarrow").materialize()
    marks = pairs.filter(expr="a < 0")
    mark_t = pa.concat_tables(ray.get(marks.to_arrow_refs()))
    n_band_rows = sum(mark_t.column("b").to_pylist())
    info["shuffle_nodes"] = sorted(set(mark_t.column("node").to_pylist()))
    info["band_rows"] = n_band_rows
    timings["dedup_candidates"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    verified = (
        pairs.filter(expr="a >= 0")
        .select_columns(["a", "b"])
        .repartition(n_parts, keys=["a", "b"])
        .map_batches(_verify, batch_size=None, batch_format="pyarrow", fn_kwargs=dict(out=str(out), n_inputs=n_inputs, config=config.dedup))
    )
    edges = pa.concat_tables([*ray.get(verified.to_arrow_refs()), pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64()), "similarity": pa.array([], pa.float64()), "node": pa.array([], pa.string())})])
    info["candidate_pairs"] = pairs.count() - mark_t.num_rows
    info["verified_edges"] = edges.num_rows
    info["verify_nodes"] = sorted(set(edges.column("node").to_pylist()))
    timings["dedup_verify"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    a, b = rd.unique_pairs(edges.column("a").to_numpy(), edges.column("b").to_numpy())
    components = rd.connected_components(a, b)
    info["components"] = len(components)
    info["largest_component"] = max((len(c) for c in components), default=0)
    index = rd.ShardIndex(n_inputs)
    rows = []
    for group in rd.group_components(components):
        rows.extend(rd.resolve(rd.load_nodes(out, index, group), config.dedup))
    timings["dedup_resolve"] = time.perf_counter() - t2
    return rows

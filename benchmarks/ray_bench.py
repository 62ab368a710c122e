"""Embedded engine vs Ray engine on a local 2-node Ray cluster, same corpus, same config.

    python benchmarks/ray_bench.py --data ../shared/data/corpus-news-en/wikinews --docs 3000

Prints docs/s for each engine; for Ray, the cluster start and the driver's connection are
reported apart; so is a run's fixed cost (connect, actor pool, shuffle operators), measured
as the time of a one-shard run; docs/s excluding it is the rate a long run approaches. Checks that both
engines kept the same documents. Exit 2 when --data is absent.

--data: a folder or file the pipeline reads (txt/html/jsonl[.gz]/parquet/warc), or the Wikinews
folder of corpus-news-en (`wiki_NN.gz` WikiExtractor JSON lines), which is converted to JSONL.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _prepare(data: Path, limit: int | None, work: Path) -> Path:
    """Wikinews dumps (wiki_NN.gz) become one JSONL; anything else is passed as is."""
    wikis = sorted(data.glob("wiki_*.gz")) if data.is_dir() else []
    if not wikis:
        return data
    path, n = work / "wikinews.jsonl", 0
    with open(path, "w", encoding="utf-8") as f:
        for w in wikis:
            for line in gzip.open(w, "rt", encoding="utf-8"):
                o = json.loads(line)
                text = html.unescape(o.get("text") or "")
                f.write(json.dumps({"id": f"wn-{o['id']}", "url": o.get("url"), "title": o.get("title"), "text": text}) + "\n")
                n += 1
                if limit and n >= limit:
                    return path
    return path


def _tiny(src: Path, n: int, work: Path) -> Path:
    """The first n records of a JSONL input (else samples/): a one-shard run."""
    if not (src.is_file() and src.suffix == ".jsonl"):
        return ROOT / "samples"
    tiny = work / "tiny.jsonl"
    with open(src, encoding="utf-8") as f_in, open(tiny, "w", encoding="utf-8") as f_out:
        for i, line in enumerate(f_in):
            if i >= n:
                break
            f_out.write(line)
    return tiny


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "corpus-news-en" / "wikinews")
    ap.add_argument("--docs", type=int, default=3000, help="first N Wikinews pages (Wikinews folder only; 0 = all)")
    ap.add_argument("--shard-size", type=int, default=250)
    ap.add_argument("--workers", type=int, default=2, help="embedded engine's worker processes")
    ap.add_argument("--nodes", type=int, default=2, help="local Ray nodes")
    ap.add_argument("--cpus-per-node", type=int, default=1)
    ap.add_argument("--object-store-mib", type=int, default=512)
    ap.add_argument("--keep", type=Path, help="keep outputs here instead of a temp folder")
    args = ap.parse_args()
    if not args.data.exists():
        print(f"ray_bench: data not found: {args.data} (pass --data FOLDER_OR_FILE)", file=sys.stderr)
        return 2
    try:
        import ray  # noqa: F401
    except ImportError:
        print("ray_bench: the ray extra is not installed: pip install -e '.[ray]'", file=sys.stderr)
        return 2
    os.environ.setdefault("RAY_TMPDIR", "/tmp/rt")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    Path(os.environ["RAY_TMPDIR"]).mkdir(parents=True, exist_ok=True)

    import pyarrow.parquet as pq
    from ray.cluster_utils import Cluster

    from pipeline.config import PipelineConfig
    from pipeline.engine.run import run

    work = args.keep or Path(tempfile.mkdtemp(prefix="ray_bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = _prepare(args.data, args.docs or None, work)
    config = PipelineConfig().with_overrides(run={"shard_size": args.shard_size, "workers": args.workers})

    t = time.perf_counter()
    emb = run([src], work / "embedded", config, overwrite=True)
    t_emb = time.perf_counter() - t
    n = emb.manifest["counts"]["input_documents"]

    t = time.perf_counter()
    node = dict(num_cpus=args.cpus_per_node, object_store_memory=args.object_store_mib * 1024**2)
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    try:
        for _ in range(args.nodes - 1):
            cluster.add_node(**node)
        cluster.wait_for_nodes()
        t_cluster = time.perf_counter() - t
        # The fixed cost of a run (connect, actor pool, shuffle operators): one shard's worth.
        tiny = _tiny(src, args.shard_size, work)
        t = time.perf_counter()
        run([tiny], work / "ray_tiny", config, engine="ray", address=cluster.address, overwrite=True)
        t_cold = time.perf_counter() - t  # first run on a new cluster: code upload, worker start
        t = time.perf_counter()
        res = run([src], work / "ray", config, engine="ray", address=cluster.address, overwrite=True)
        t_ray = time.perf_counter() - t
        t = time.perf_counter()
        tiny_res = run([tiny], work / "ray_tiny", config, engine="ray", address=cluster.address, overwrite=True)
        t_fixed = time.perf_counter() - t  # the same one-shard run on the warm cluster
    finally:
        cluster.shutdown()

    def ids(out: Path) -> list[str]:
        return sorted(pq.read_table(out / "corpus", columns=["id"]).column("id").to_pylist())

    same = ids(work / "embedded") == ids(work / "ray") and emb.manifest["counts"] == res.manifest["counts"]
    tm = res.manifest["timings_seconds"]
    eng = res.manifest["engine"]
    print(f"documents: {n} ({emb.manifest['counts']['kept']} kept, {emb.manifest['counts']['duplicates']} duplicates, "
          f"{emb.manifest['counts']['rejected']} rejected), shard_size {args.shard_size}, {eng['shards']} shards")
    print(f"embedded  workers={args.workers}: {t_emb:7.1f} s  {n / t_emb:7.1f} docs/s")
    print(f"ray       {args.nodes} nodes x {args.cpus_per_node} CPU: cluster start {t_cluster:.1f} s and a first one-shard run "
          f"{t_cold:.1f} s (cold; neither counted)")
    print(f"ray       fixed cost of a run = the one-shard run on the warm cluster: {t_fixed:.1f} s "
          f"(connect {tiny_res.manifest['engine']['connect_seconds']:.1f} s)")
    print(f"ray       run {t_ray:.1f} s  {n / t_ray:7.1f} docs/s;  excluding the fixed cost: "
          f"{n / max(t_ray - t_fixed, 1e-9):7.1f} docs/s")
    print(f"ray       driver read {eng.get('read_seconds')} s, execution {eng.get('execute_seconds')} s; phases (s): map {tm.get('map')}, candidates {tm.get('dedup_candidates')}, verify {tm.get('dedup_verify')}, "
          f"resolve {tm.get('dedup_resolve')}, write {tm.get('write')}; band rows {eng.get('band_rows')}, "
          f"candidate pairs {eng.get('candidate_pairs')}, verified edges {eng.get('verified_edges')}")
    print(f"same kept ids and counts: {same}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

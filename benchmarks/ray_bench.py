"""Embedded engine vs Ray engine on a local Ray cluster of 1 and 2 nodes, at two input sizes.

    python benchmarks/ray_bench.py --data ../shared/data/corpus-news-en/wikinews --docs 1500 --scale 2

For each input size (N = --docs and N x --scale first Wikinews pages): the embedded engine
(--workers processes) as the baseline, then the Ray engine on a local cluster of 1 node and of
2 nodes (--cpus-per-node each). Each Ray run's driver is its own process, so its peak RSS is
that driver's alone (the driver only plans: files are counted and read on the workers, so its
memory should not grow with the input). docs/s counts the run inside the driver (connect
included, interpreter start not); the fixed cost of a run (connect, actor pool, shuffle
operators) is the same driver on a one-shard input. Checks that every run kept the embedded
run's documents. Prints a Markdown table (docs/ray.md has the measured one). Exit 2 when --data
is absent.

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


# One Ray run in its own driver process: prints its seconds (inside the driver), counts and kept ids' hash.
DRIVER = """
import hashlib, json, sys, time
import pyarrow.parquet as pq
from pipeline.config import PipelineConfig
from pipeline.engine.run import run
src, out, shard_size, address = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
config = PipelineConfig().with_overrides(run={"shard_size": shard_size})
t = time.perf_counter()
r = run([src], out, config, engine="ray", address=address, overwrite=True)
seconds = time.perf_counter() - t
ids = sorted(pq.read_table(out + "/corpus", columns=["id"]).column("id").to_pylist())
# this process's peak RSS (VmHWM: its own memory since exec, not the forking parent's)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "rss_mib": hwm / 1024, "counts": r.manifest["counts"], "shards": r.manifest["shards"],
                  "plan_seconds": r.manifest["engine"].get("plan_seconds"),
                  "kept": hashlib.sha256("\\n".join(ids).encode()).hexdigest()}))
"""


def _ray_driver(src: Path, out: Path, shard_size: int, address: str) -> dict:
    """Run the Ray engine in a fresh driver process: its result, with that process's peak RSS in
    MiB as it reads it itself (VmHWM; a child's rusage would report the forking parent's size)."""
    import json
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(src), str(out), str(shard_size), address],
                                stdout=out_f, stderr=err_f, env=env, text=True)
        proc.wait()
        out_f.seek(0)
        err_f.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"ray_bench: the Ray driver failed:\n{err_f.read()[-3000:]}")
        result = json.loads(out_f.read().strip().splitlines()[-1])
    return result


def _kept_hash(out: Path) -> str:
    import hashlib

    import pyarrow.parquet as pq

    ids = sorted(pq.read_table(out / "corpus", columns=["id"]).column("id").to_pylist())
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "corpus-news-en" / "wikinews")
    ap.add_argument("--docs", type=int, default=1500, help="N: first N Wikinews pages (Wikinews folder only)")
    ap.add_argument("--scale", type=int, default=2, help="the second input size is N x scale")
    ap.add_argument("--shard-size", type=int, default=250)
    ap.add_argument("--workers", type=int, default=2, help="embedded engine's worker processes")
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

    from ray.cluster_utils import Cluster

    from pipeline.config import PipelineConfig
    from pipeline.engine.run import run

    work = args.keep or Path(tempfile.mkdtemp(prefix="ray_bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [args.docs, args.docs * args.scale]
    srcs = {}
    for n in sizes:
        (work / f"in-{n}").mkdir(exist_ok=True)
        srcs[n] = _prepare(args.data, n, work / f"in-{n}")
    config = PipelineConfig().with_overrides(run={"shard_size": args.shard_size, "workers": args.workers})

    rows, same = [], True
    embedded: dict[int, tuple[float, str, dict]] = {}
    for n in sizes:
        t = time.perf_counter()
        emb = run([srcs[n]], work / f"embedded-{n}", config, overwrite=True)
        secs = time.perf_counter() - t
        embedded[n] = (secs, _kept_hash(work / f"embedded-{n}"), emb.manifest["counts"])
        docs = emb.manifest["counts"]["input_documents"]
        rows.append(("embedded", f"{args.workers} processes", docs, secs, None, emb.manifest["shards"]))

    node = dict(num_cpus=args.cpus_per_node, object_store_memory=args.object_store_mib * 1024**2)
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    fixed = {}
    try:
        for nodes in (1, 2):
            if nodes == 2:
                cluster.add_node(**node)
            cluster.wait_for_nodes()
            tiny = _tiny(srcs[sizes[0]], args.shard_size, work)
            _ray_driver(tiny, work / "ray_tiny", args.shard_size, cluster.address)  # cold: code upload, worker start
            warm = _ray_driver(tiny, work / "ray_tiny", args.shard_size, cluster.address)
            fixed[nodes] = warm["seconds"]
            for n in sizes:
                res = _ray_driver(srcs[n], work / f"ray-{nodes}-{n}", args.shard_size, cluster.address)
                rss = res["rss_mib"]
                ok = res["kept"] == embedded[n][1] and res["counts"] == embedded[n][2]
                same = same and ok
                rows.append(("ray", f"{nodes} x {args.cpus_per_node} CPU", res["counts"]["input_documents"], res["seconds"], rss,
                             res["shards"]))
    finally:
        cluster.shutdown()

    emb_rate = {r[2]: r[2] / r[3] for r in rows if r[0] == "embedded"}
    print("| engine | nodes / workers | documents | shards | seconds | docs/s | vs embedded | driver peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for engine, where, docs, secs, rss, shards in rows:
        rate = docs / secs
        print(f"| {engine} | {where} | {docs:,} | {shards} | {secs:.1f} | {rate:.1f} | {rate / emb_rate[docs]:.2f}x | "
              f"{'' if rss is None else f'{rss:.0f}'} |")
    ray_rss = {(r[1], r[2]): r[4] for r in rows if r[0] == "ray"}
    for nodes in (1, 2):
        where = f"{nodes} x {args.cpus_per_node} CPU"
        small, big = ray_rss[(where, rows[0][2])], ray_rss[(where, rows[1][2])]
        print(f"ray {where}: fixed cost of a run (one-shard input, warm cluster) {fixed[nodes]:.1f} s; "
              f"driver peak RSS at {args.scale}x the input: {big / small:.2f}x")
    print(f"every Ray run kept the embedded run's documents: {same}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Near-duplicate benchmark: ours vs datasketch (and datatrove if installed), same sitting.

    PYTHONPATH=. python benchmarks/dedup_bench.py [--data /work/shared/data/corpus-news-en]
        [--workers 2] [--methods ours,ours_1proc,datasketch_batch,datasketch_bulk]
        [--scale 100000,250000,500000,1000000] [--md benchmarks/RESULTS-dedup.md]
        [--sets planted,multicopy]

Sets: `planted` (benchmarks/news_corpus.py: one edited copy per source) and `multicopy`
(benchmarks/multicopy.py: sources with 2-4 independently edited copies; recall per true-Jaccard
band over every pair inside a group and per number of copies, a pair counting as caught when
both documents end up in one cluster).

Builds the planted benchmark (benchmarks/news_corpus.py), runs every method in its own
subprocess (CPU = user+sys of the process and its pool workers, peak RSS = max of both, from
resource.getrusage), then scores each method's (removed, kept) pairs:
  recall by true-Jaccard band = planted (copy, source) pairs that end up in one cluster;
  precision = reported pairs whose true Jaccard (plain Python sets of word 5-gram strings) >= 0.8.
`--scale` also runs ours on synthetic corpora of N docs (mutated news, 10% planted near-copies)
stored as Parquet shards, to show cost vs N and peak RSS at 1M docs.
Exit code 2 with a message when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

THRESHOLD = 0.8
SHARD = 10_000


# ----------------------------------------------------------------------------- child side
def _usage() -> tuple[float, int]:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime, max(s.ru_maxrss, c.ru_maxrss)


def _load_corpus(path: str) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["id", "text"])
    return list(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))


_DOCS: list[tuple[str, str]] = []  # inherited by forked workers: they read their own slice


def _sketch_batch(args):
    from pipeline.dedup import DedupConfig, sketch

    (s0, s1), cfg = args
    return sketch(_DOCS[s0:s1], DedupConfig(**cfg))


def _warm(_=None):
    from pipeline.dedup import DedupConfig, sketch

    sketch([("w", "warm up the compiled kernels once per worker process")], DedupConfig())
    return os.getpid()


def run_ours(docs, workers: int, num_perm: int, keep_rule: str = "coverage") -> tuple[list[tuple[str, str]], dict]:
    import multiprocessing as mp

    from pipeline.dedup import DedupConfig, KeepInfo, find_duplicates_with_stats

    cfg = DedupConfig(num_perm=num_perm, keep_rule=keep_rule)
    text = dict(docs)
    keep = {i: KeepInfo(len(t), n) for n, (i, t) in enumerate(docs)}
    global _DOCS
    _DOCS = docs
    batches = [((s, s + 2000), cfg.model_dump()) for s in range(0, len(docs), 2000)]
    if workers > 1:
        _warm()  # load the compiled kernels once, before forking: the workers inherit them
        with mp.get_context("fork").Pool(workers) as pool:
            sk = pool.imap(_sketch_batch, batches)
            rows, stats = find_duplicates_with_stats(sk, keep, lambda ids: {i: text[i] for i in ids}, cfg)
    else:
        sk = (_sketch_batch(b) for b in batches)
        rows, stats = find_duplicates_with_stats(sk, keep, lambda ids: {i: text[i] for i in ids}, cfg)
    return [(r.id, r.duplicate_of) for r in rows], stats


def _ds_shingles(text: str) -> list[bytes]:
    from news_corpus import words

    w = words(text)
    if len(w) <= 5:
        return [" ".join(w).encode()] if w else []
    return list({" ".join(w[i : i + 5]).encode() for i in range(len(w) - 4)})


def run_datasketch(docs, bulk: bool, num_perm: int) -> tuple[list[tuple[str, str]], dict]:
    """Baseline as commonly written: MinHash per doc, MinHashLSH (14x8), first candidate wins,
    no verification; documents visited longest first (same keep policy as ours)."""
    from datasketch import MinHash, MinHashLSH

    order = sorted(range(len(docs)), key=lambda k: (-len(docs[k][1]), docs[k][0]))
    sh = [_ds_shingles(docs[k][1]) for k in order]
    if bulk:
        mhs = MinHash.bulk(sh, num_perm=num_perm)
    else:
        mhs = []
        for s in sh:
            m = MinHash(num_perm=num_perm)
            m.update_batch(s)
            mhs.append(m)
    lsh = MinHashLSH(num_perm=num_perm, params=(14, 8))
    rank = {}
    pairs = []
    for k, m in zip(order, mhs):
        i = docs[k][0]
        cands = lsh.query(m)
        if cands:
            pairs.append((i, min(cands, key=rank.__getitem__)))
        else:
            lsh.insert(i, m)
            rank[i] = len(rank)
    return pairs, {"bands": 14, "rows": 8}


def run_datatrove(docs, num_perm: int):  # pragma: no cover - only when datatrove is installed
    raise SystemExit("datatrove runner not implemented in this sitting")


# ----------------------------------------------------------------------------- synthetic scale corpus
def _gen_shard(args):
    """Shard k of the synthetic corpus: news docs with 30% of words substituted (so docs are
    unrelated), every 10th doc a near-copy (0-1% substitutions + footer) of the previous one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    k, base_path, out = args
    path = os.path.join(out, f"shard-{k:04d}.parquet")
    if os.path.exists(path):
        return path
    base = pq.read_table(base_path, columns=["text"]).column("text").to_pylist()
    rng = np.random.default_rng(1000 + k)
    vocab = np.array(sorted({w for t in base[:500] for w in t.split() if w.isalpha()}))
    ids, texts = [], []
    prev = None
    for j in range(SHARD):
        if j % 10 == 9 and prev is not None:
            w = prev.split(" ")
            m = rng.random(len(w)) < rng.random() * 0.01
            w = np.where(m, vocab[rng.integers(0, len(vocab), len(w))], np.array(w, dtype=object))
            t = " ".join(w.tolist()) + "\n\nCopyright Metro Wire. All rights reserved."
        else:
            w = np.array(base[rng.integers(0, len(base))].split(" "), dtype=object)
            m = rng.random(len(w)) < 0.3
            w[m] = vocab[rng.integers(0, len(vocab), int(m.sum()))]
            t = " ".join(w.tolist())
        ids.append(f"s{k:04d}-{j:05d}")
        texts.append(t)
        prev = t
    pq.write_table(pa.table({"id": ids, "text": texts}), path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def _sketch_shard(path):
    import numpy as np
    import pyarrow.parquet as pq

    from pipeline.dedup import DedupConfig, sketch

    t = pq.read_table(path)
    texts = t.column("text").to_pylist()
    s = sketch(list(zip(t.column("id").to_pylist(), texts)), DedupConfig(num_perm=_SCALE_PERM))
    return s, np.fromiter(map(len, texts), dtype=np.int32, count=len(texts))


_SCALE_PERM = 112


class _LazyKeep:
    """Mapping id -> KeepInfo without a million objects: seq from the id, length from an array."""

    def __init__(self, lengths: dict[int, "object"]) -> None:
        self.lengths = lengths

    def __getitem__(self, i: str):
        from pipeline.dedup import KeepInfo

        k, j = int(i[1:5]), int(i[6:])
        return KeepInfo(int(self.lengths[k][j]), k * SHARD + j)


def run_scale(n: int, shard_dir: str, workers: int) -> dict:
    import multiprocessing as mp

    import numpy as np
    import pyarrow.parquet as pq

    from pipeline.dedup import DedupConfig, find_duplicates_with_stats

    import pyarrow as pa

    # the system allocator hands freed Arrow buffers back to the OS (mimalloc keeps them, which
    # made peak RSS grow with the number of shards read, not with what is held)
    pa.set_memory_pool(pa.system_memory_pool())
    shards = [os.path.join(shard_dir, f"shard-{k:04d}.parquet") for k in range(n // SHARD)]
    lengths: dict[int, np.ndarray] = {}  # filled as the workers' sketches stream in

    def stream(results):
        for k, (s, lens) in enumerate(results):
            lengths[k] = lens
            yield s

    def fetch(ids):
        by = {}
        for i in ids:
            by.setdefault(int(i[1:5]), []).append(int(i[6:]))
        out = {}
        for k, js in by.items():
            col = pq.read_table(shards[k], columns=["text"], use_threads=False).column("text")
            for j, t in zip(js, col.take(js).to_pylist()):
                out[f"s{k:04d}-{j:05d}"] = t
        return out

    cfg = DedupConfig(num_perm=_SCALE_PERM)
    with mp.get_context("fork").Pool(workers, initializer=_warm) as pool:
        rows, stats = find_duplicates_with_stats(stream(pool.imap(_sketch_shard, shards)), _LazyKeep(lengths), fetch, cfg)
    planted = n // 10
    return {"removed": len(rows), "planted": planted, "stats": stats}


def child(args) -> None:
    c0, _ = _usage()
    w0 = time.perf_counter()
    if args.child == "scale":
        res = run_scale(args.n, args.shards, args.workers)
        res["docs"] = args.n
    else:
        docs = _load_corpus(args.corpus)
        c0, _ = _usage()  # loading the Parquet corpus is not part of any method
        w0 = time.perf_counter()
        if args.child == "ours":
            pairs, stats = run_ours(docs, args.workers, args.num_perm)
        elif args.child == "ours_1proc":
            pairs, stats = run_ours(docs, 1, args.num_perm)
        elif args.child == "ours_policy":  # keep_rule: policy (the rule before issue 11)
            pairs, stats = run_ours(docs, args.workers, args.num_perm, "policy")
        elif args.child == "datasketch_batch":
            pairs, stats = run_datasketch(docs, False, args.num_perm)
        elif args.child == "datasketch_bulk":
            pairs, stats = run_datasketch(docs, True, args.num_perm)
        else:
            pairs, stats = run_datatrove(docs, args.num_perm)
        res = {"pairs": pairs, "stats": stats, "docs": len(docs)}
    c1, rss = _usage()
    res.update(cpu=c1 - c0, wall=time.perf_counter() - w0, rss_mb=rss / 1024)
    res["rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["rss_workers_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    Path(args.result).write_text(json.dumps(res))


# ----------------------------------------------------------------------------- parent side
def spawn(argv: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    subprocess.run([sys.executable, str(Path(__file__).resolve()), *argv, "--result", out], check=True, env=env)
    res = json.loads(Path(out).read_text())
    os.unlink(out)
    return res


def score(pairs, planted, text) -> dict:
    from news_corpus import clustered, true_jaccard

    find = clustered(pairs)
    bands = {">=0.9": (0.9, 1.01), "0.85-0.9": (0.85, 0.9), "0.8-0.85": (0.8, 0.85), "0.7-0.8": (0.7, 0.8), "0.5-0.7": (0.5, 0.7)}
    rec = {}
    for name, (lo, hi) in bands.items():
        sel = [p for p in planted if lo <= p["jaccard"] < hi]
        rec[name] = (sum(find(p["copy"]) == find(p["source"]) for p in sel) / len(sel) if sel else float("nan"), len(sel))
    high = [p for p in planted if p["jaccard"] >= 0.85]
    rec[">=0.85"] = (sum(find(p["copy"]) == find(p["source"]) for p in high) / len(high), len(high))
    good = sum(true_jaccard(text[a], text[b]) >= THRESHOLD for a, b in pairs)
    return {"recall": rec, "precision": good / len(pairs) if pairs else float("nan"), "removed": len(pairs)}


def multicopy_table(args, work: Path, data: Path) -> list[str]:
    """Multi-copy set: every method in its own subprocess, recall by band and by copies."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import multicopy

    t0 = time.perf_counter()
    docs, groups, pairs = multicopy.build(str(data), n_sources=args.sources)
    corpus = work / "multicopy.parquet"
    pq.write_table(pa.table({"id": [d[0] for d in docs], "text": [d[1] for d in docs]}), corpus)
    text = {d[0]: d[1] for d in docs}
    n_copies = sum(len(g["copies"]) for g in groups)
    lines = [
        f"Multi-copy set: {len(docs)} docs ({len(docs) - n_copies} originals with >= 50 words; {len(groups)} sources with >= 120 words "
        f"got 2-4 copies each, {n_copies} copies, each edited independently: headline, dropped/added paragraph, footer, word "
        f"substitutions and swaps, reordered paragraphs), {len(pairs)} within-group pairs; {args.num_perm} perms, threshold {THRESHOLD}; "
        f"built in {time.perf_counter() - t0:.1f}s; load average at start {os.getloadavg()[0]:.1f}",
        "",
        "| method | LSH | docs/s (wall) | CPU s | docs/CPU-s | peak RSS MB | recall >=0.9 | 0.85-0.9 | 0.8-0.85 | 0.7-0.8 | 0.5-0.7 | "
        "J>=0.85 | J>=0.8, 2 copies | 3 copies | 4 copies | precision | removed | CPU x ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    methods = [m for m in args.methods.split(",") if m and m != "datatrove"]
    results = {}
    for m in methods:
        print(f"multicopy: running {m} ...", file=sys.stderr, flush=True)
        res = spawn(["--child", m, "--corpus", str(corpus), "--workers", str(args.workers), "--num-perm", str(args.num_perm)])
        res["score"] = multicopy.score([tuple(p) for p in res["pairs"]], pairs, text, THRESHOLD)
        results[m] = res
    base_cpu = results.get("ours", next(iter(results.values())))["cpu"] if results else 1
    for m, res in results.items():
        sc, st, r = res["score"], res["stats"], res["score"]["recall"]
        lines.append(
            f"| {m} | {st.get('bands')}x{st.get('rows')} | {res['docs'] / res['wall']:,.0f} | {res['cpu']:.1f} | {res['docs'] / res['cpu']:,.0f} | "
            f"{res['rss_mb']:.0f} | " + " | ".join(f"{r[b][0]:.3f}" for b in multicopy.BANDS) + f" | {r['>=0.85'][0]:.4f} | "
            + " | ".join(f"{sc['by_copies'][c][0]:.4f}" for c in (2, 3, 4))
            + f" | {sc['precision']:.4f} | {sc['removed']} | {res['cpu'] / base_cpu:.1f} |"
        )
    if results:
        first = next(iter(results.values()))["score"]
        lines += ["", f"Pairs per true-Jaccard band: { {b: first['recall'][b][1] for b in multicopy.BANDS} }; pairs with J >= 0.8 by copies: "
                  f"{ {c: first['by_copies'][c][1] for c in (2, 3, 4)} }"]
        for m, res in results.items():
            r = res["score"]["recall"]
            missed = round((1 - r[">=0.85"][0]) * r[">=0.85"][1]), round((1 - r["0.8-0.85"][0]) * r["0.8-0.85"][1])
            lines.append(f"- {m}: pairs not in one cluster: {missed[0]} of {r['>=0.85'][1]} at J >= 0.85, "
                         f"{missed[1]} of {r['0.8-0.85'][1]} at 0.8-0.85")
    if "ours" in results:
        st = results["ours"]["stats"]
        lines += ["", "ours stats: " + json.dumps({k: v for k, v in st.items() if not k.startswith("giant_component_sizes")})]
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/shared/data/corpus-news-en")
    ap.add_argument("--copies", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--num-perm", type=int, default=112)
    ap.add_argument("--methods", default="ours,ours_1proc,datasketch_batch,datasketch_bulk")
    ap.add_argument("--scale", default="", help="comma-separated corpus sizes for the synthetic scale run")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "dedup-bench"))
    ap.add_argument("--md", default=None, help="also write the tables as Markdown to this file")
    ap.add_argument("--sets", default="planted,multicopy", help="benchmark sets: planted, multicopy")
    ap.add_argument("--sources", type=int, default=1500, help="multicopy: sources with 2-4 copies each")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--shards", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return 0

    data = Path(args.data)
    if not (data / "reuters21578").is_dir() or not (data / "wikinews").is_dir():
        print(f"dedup_bench: news data not found at {data} (expected reuters21578/ and wikinews/; see --data)", file=sys.stderr)
        return 2
    import pyarrow as pa
    import pyarrow.parquet as pq

    import news_corpus

    try:
        import datasketch  # noqa: F401
    except ImportError:
        print("dedup_bench: datasketch not installed (pip install '.[datasketch]'), skipping its baselines", file=sys.stderr)
        args.methods = ",".join(m for m in args.methods.split(",") if not m.startswith("datasketch"))
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sets = [x for x in args.sets.split(",") if x]
    head = f"machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}"
    mc_lines = multicopy_table(args, work, data) if "multicopy" in sets else []
    if "planted" not in sets:
        out = "\n".join([head, "", *mc_lines])
        print(out)
        if args.md:
            Path(args.md).write_text(out + "\n", encoding="utf-8")
        return 0
    t0 = time.perf_counter()
    docs, planted = news_corpus.build(str(data), n_copies=args.copies)
    corpus = work / "news.parquet"
    pq.write_table(pa.table({"id": [d[0] for d in docs], "text": [d[1] for d in docs]}), corpus)
    text = {d[0]: d[1] for d in docs}
    mb = sum(len(t.encode()) for t in text.values()) / 1e6
    lines = [
        f"Benchmark: {len(docs)} docs, {mb:.1f} MB ({len(docs) - args.copies} originals with >= 50 words + {args.copies} planted copies), "
        f"word 5-grams, {args.num_perm} perms, threshold {THRESHOLD}; built in {time.perf_counter() - t0:.1f}s; "
        f"machine: {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}",
        "",
        "| method | LSH | docs/s (wall) | CPU s | docs/CPU-s | peak RSS MB | recall >=0.9 | 0.85-0.9 | 0.8-0.85 | 0.7-0.8 | 0.5-0.7 | precision | removed | CPU x ours |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    methods = [m for m in args.methods.split(",") if m]
    if "datatrove" in methods:
        try:
            import datatrove  # noqa: F401
        except ImportError:
            print("dedup_bench: datatrove not installed, skipping it", file=sys.stderr)
            methods.remove("datatrove")
    for m in methods:
        print(f"running {m} ...", file=sys.stderr, flush=True)
        res = spawn(["--child", m, "--corpus", str(corpus), "--workers", str(args.workers), "--num-perm", str(args.num_perm)])
        res["score"] = score([tuple(p) for p in res["pairs"]], planted, text)
        results[m] = res
    base_cpu = results.get("ours", next(iter(results.values())))["cpu"] if results else 1
    for m, res in results.items():
        sc, st = res["score"], res["stats"]
        r = sc["recall"]
        lines.append(
            f"| {m} | {st.get('bands')}x{st.get('rows')} | {res['docs'] / res['wall']:,.0f} | {res['cpu']:.1f} | {res['docs'] / res['cpu']:,.0f} | "
            f"{res['rss_mb']:.0f} | " + " | ".join(f"{r[b][0]:.3f}" for b in (">=0.9", "0.85-0.9", "0.8-0.85", "0.7-0.8", "0.5-0.7"))
            + f" | {sc['precision']:.4f} | {sc['removed']} | {res['cpu'] / base_cpu:.1f} |"
        )
    n_by_band = {b: results[next(iter(results))]["score"]["recall"][b][1] for b in (">=0.9", "0.85-0.9", "0.8-0.85", "0.7-0.8", "0.5-0.7")} if results else {}
    lines += ["", f"Planted pairs per true-Jaccard band: {n_by_band}; recall on pairs with J >= 0.85: "
              + ", ".join(f"{m} {res['score']['recall']['>=0.85'][0]:.4f}" for m, res in results.items())]
    if "ours" in results:
        st = results["ours"]["stats"]
        lines += ["", "ours stats: " + json.dumps({k: v for k, v in st.items() if not k.startswith("giant_component_sizes")})]

    if args.scale:
        sizes = [int(x) for x in args.scale.split(",")]
        shard_dir = work / "scale"
        shard_dir.mkdir(exist_ok=True)
        need = max(sizes) // SHARD
        print(f"generating {need} synthetic shards ...", file=sys.stderr, flush=True)
        import multiprocessing as mp

        with mp.get_context("fork").Pool(args.workers) as pool:
            list(pool.imap(_gen_shard, [(k, str(corpus), str(shard_dir)) for k in range(need)]))
        lines += ["", "Scale (synthetic mutated news, 10% planted near-copies, ours with a pool of "
                  f"{args.workers}, {_SCALE_PERM} perms):", "",
                  "| docs | wall s | CPU s | docs/CPU-s | CPU us/doc | peak RSS MB (main / worker) | candidates | verified | removed | planted | spilled MB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for n in sizes:
            print(f"scale {n} ...", file=sys.stderr, flush=True)
            res = spawn(["--child", "scale", "--n", str(n), "--shards", str(shard_dir), "--workers", str(args.workers)])
            st = res["stats"]
            lines.append(
                f"| {n:,} | {res['wall']:.1f} | {res['cpu']:.1f} | {n / res['cpu']:,.0f} | {res['cpu'] / n * 1e6:.0f} | {res['rss_mb']:.0f} ({res['rss_self_mb']:.0f} / {res['rss_workers_mb']:.0f}) | "
                f"{st['candidate_pairs']:,} | {st['verified_pairs']:,} | {res['removed']:,} | {res['planted']:,} | {st.get('band_store_spilled_mb', 0)} |"
            )
    out = "\n".join(lines + ([""] + mc_lines if mc_lines else []))
    print(out)
    if args.md:
        Path(args.md).write_text(out + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

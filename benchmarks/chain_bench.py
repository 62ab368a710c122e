"""Throughput of the whole chain (issue 13): plain-text news and real HTML pages, with the
references measured in the same run.

    python benchmarks/chain_bench.py [--data ../shared/data] [--docs N] [--profile FILE]

Rows:
  - plain text: the news benchmark of the dedup bench (about 38,800 Wikinews and Reuters
    articles with 3,000 planted near-copies) as one Parquet file, `pipeline run --workers 1`
    and `--workers 2` in a subprocess: CPU of the whole process tree (start-up included),
    docs per CPU second, peak RSS; per-stage seconds from the run's manifest. Reference: one
    Python pass of `lower()` + `\\w+` over the same texts (the cost of reading every word once).
  - HTML: the 181 AEB pages, the whole run against trafilatura alone (`trafilatura.extract`
    on each page, also in a fresh process, start-up included).
  - datatrove's Gopher + C4 + FineWeb filter stack on the same texts, when datatrove is
    installed (an optional column: it is not a dependency).
Targets: plain text >= 2,000 docs per CPU second; HTML <= 1.10x trafilatura's CPU;
`--workers 2` <= 1.15x the CPU of `--workers 1`. `--profile FILE` also runs the plain-text
chain in-process under cProfile and writes the stats (read with `python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from news_corpus import build  # noqa: E402
from scale_bench import run_measured  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_WORD = re.compile(r"\w+")


def pipeline_run(inp: Path, out: Path, workers: int) -> tuple[float, int, dict]:
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(inp), "--out", str(out), "--workers", str(workers),
           "-q", "--overwrite"]
    _wall, cpu, peak = run_measured(cmd)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return cpu, peak, manifest


def news_parquet(data: Path, path: Path, limit: int | None) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs, _planted = build(str(data / "corpus-news-en"))
    docs = docs[:limit] if limit else docs
    pq.write_table(pa.table({"id": [d[0] for d in docs], "text": [d[1] for d in docs]}), path)
    return [d[1] for d in docs]


def tokenise_pass(texts: list[str]) -> float:
    t0 = time.process_time()
    for t in texts:
        _WORD.findall(t.lower())
    return time.process_time() - t0


_TRAFILATURA_ALONE = """
import gzip, sys, trafilatura
from pathlib import Path
for p in sorted(Path(sys.argv[1]).glob("*.html.gz")):
    trafilatura.extract(gzip.decompress(p.read_bytes()), output_format="txt", deduplicate=False)
"""


def datatrove_cpu(texts: list[str]) -> float | None:  # pragma: no cover - only with datatrove installed
    try:
        from datatrove.data import Document as DTDocument
        from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
    except ImportError:
        return None
    filters = [GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    t0 = time.process_time()
    for i, t in enumerate(texts):
        doc = DTDocument(text=t, id=str(i))
        for f in filters:
            if f.filter(doc) is not True:
                break
    return time.process_time() - t0


def profile(inp: Path, path: str) -> None:
    """The plain-text chain in this process under cProfile (both phases with the corpus-wide
    repeated-lines pass between them, shards of 2,000 as the engine cuts them, no files written)."""
    import cProfile

    import pyarrow.parquet as pq

    from pipeline.core.document import RawDocument
    from pipeline.core.stage import Bound
    from pipeline.engine.chain import Cleaner, run_chain_batch

    table = pq.read_table(inp)
    raws = [RawDocument(id=i, source=str(inp), data=t) for i, t in zip(table["id"].to_pylist(), table["text"].to_pylist())]
    cleaner = Cleaner()
    corpus = cleaner.plan.corpus_stage()

    def chain() -> None:
        shards = [[r for r in cleaner.clean_pre_batch(raws[k:k + 2000]) if r.doc is not None] for k in range(0, len(raws), 2000)]
        noted = [corpus.observe_noting([r.doc for r in alive]) for alive in shards]  # as the engine: keys noted once
        fact = corpus.merge([observation for observation, _ in noted])
        for alive, (_, notes) in zip(shards, noted):
            docs = [r.doc for r in alive]
            bound = Bound(corpus, fact, notes, {d.id: i for i, d in enumerate(docs)})
            run_chain_batch(alive, docs, [bound, *cleaner.post], None, cleaner.budget)

    cProfile.runctx("chain()", globals(), {"chain": chain}, path)
    print(f"profile written to {path} (python -m pstats {path})")


def stage_seconds(manifest: dict) -> str:
    stages = manifest.get("stages", {})
    return ", ".join(f"{k} {v.get('seconds', 0):.1f}" for k, v in stages.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--docs", type=int, default=None, help="only the first N news documents (default: all)")
    ap.add_argument("--profile", metavar="FILE", help="also write a cProfile of the plain-text chain to FILE")
    args = ap.parse_args()
    aeb = args.data / "scrapinghub-aeb" / "html"
    if not (args.data / "corpus-news-en").is_dir() or not aeb.is_dir():
        print(f"error: {args.data} lacks corpus-news-en/ or scrapinghub-aeb/html/; pass --data DIR", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inp = work / "news.parquet"
        texts = news_parquet(args.data, inp, args.docs)
        n = len(texts)
        tok = tokenise_pass(texts)
        cpu1, rss1, man1 = pipeline_run(inp, work / "w1", 1)
        cpu2, rss2, _ = pipeline_run(inp, work / "w2", 2)
        html_cpu, html_rss, _ = pipeline_run(aeb, work / "html", 1)
        _wall, traf_cpu, _ = run_measured([sys.executable, "-c", _TRAFILATURA_ALONE, str(aeb)])
        dt = datatrove_cpu(texts)
        if args.profile:
            profile(inp, args.profile)
    pages = len(list(aeb.glob("*.html.gz")))
    print(f"plain text: {n:,} news documents (one Parquet file)")
    print(f"{'':34} {'CPU s':>8} {'docs/CPU s':>11} {'peak RSS MB':>12} {'ratio':>7}")
    label = "tokenise pass (lower + \\w+)"
    print(f"{label:34} {tok:>8.1f} {n / tok:>11,.0f} {'':>12} {'':>7}")
    print(f"{'pipeline run --workers 1':34} {cpu1:>8.1f} {n / cpu1:>11,.0f} {rss1 / 1e6:>12.0f} {cpu1 / tok:>6.1f}x")
    print(f"{'pipeline run --workers 2':34} {cpu2:>8.1f} {n / cpu2:>11,.0f} {rss2 / 1e6:>12.0f} {cpu2 / cpu1:>6.2f}x")
    if dt is not None:
        print(f"{'datatrove Gopher+C4+FineWeb':34} {dt:>8.1f} {n / dt:>11,.0f} {'':>12} {dt / cpu1:>6.1f}x")
    print(f"  (ratio: workers 1 vs the tokenise pass; workers 2 vs workers 1, target <= 1.15; "
          f"target >= 2,000 docs/CPU s)\n  stage seconds (workers 1): {stage_seconds(man1)}")
    print(f"\nHTML: {pages} AEB pages")
    print(f"{'trafilatura alone (fresh process)':34} {traf_cpu:>8.1f} {pages / traf_cpu:>11,.0f}")
    print(f"{'pipeline run --workers 1':34} {html_cpu:>8.1f} {pages / html_cpu:>11,.0f} {html_rss / 1e6:>12.0f} "
          f"{html_cpu / traf_cpu:>6.2f}x  (target <= 1.10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

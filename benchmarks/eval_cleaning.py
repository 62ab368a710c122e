"""Evaluate the default cleaning chain against the shared benchmarks and print one table.

    python benchmarks/eval_cleaning.py [--data ../shared/data] [--limit N] [--json out.json]
                                       [--workers 2] [--compare-extract] [--content-only]

Chain: decode -> extract -> fix_encoding -> boilerplate -> spam -> quality, built from
`PipelineConfig()` defaults. Each HTML page is also run through trafilatura alone with the same
options in the same worker, so the CPU ratio is measured side by side. Columns: the published
anchor, trafilatura alone (this run), ours without the line stages (decode+extract+fix), ours
before the quality filter (all cleaning), ours (a page the quality filter drops scores as empty).
Then the held-out real-page table (`benchmarks/content_eval.py`): whole-page text and the HTML
path on the sets the content model never saw, with the raw text, the C4 line rule, jusText and
trafilatura as baselines in the same run (the labelled lines are built first when missing).
Last, the cost of boilerplate + spam on 10,000 plain-text news articles beside the tokenise pass
(`benchmarks/line_cost.py`). Exit 2 when the data folder is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from collections import Counter

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import content_data, content_eval, datasets, injection, line_cost, scores  # noqa: E402
from benchmarks.chain import chain_for, run_page  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
ANCHORS = {
    "aeb": {"f1": 0.960, "precision": 0.942, "recall": 0.978},
    "wcxb": {"f1": 0.863, "precision": 0.892, "recall": 0.873, "kept": 0.789, "leaked": 0.073,
             "article": 0.953, "documentation": 0.933, "service": 0.817, "forum": 0.739, "listing": 0.729,
             "product": 0.725, "collection": 0.632},
    "traf": {"f1": 0.919, "precision": 0.909, "recall": 0.929},
}


def run_pages(pages: list[dict], workers: int, overrides: dict | None = None) -> list[dict]:
    args = [(p, overrides) for p in pages]
    if workers <= 1:
        return [run_page(a) for a in args]
    with ProcessPoolExecutor(workers) as ex:
        return list(ex.map(run_page, args, chunksize=4))


def score_html(results: list[dict]) -> dict:
    by_set: dict[str, list[dict]] = {}
    for r in results:
        by_set.setdefault(r["set"], []).append(r)
    out: dict = {}
    for name, rows in by_set.items():
        variants = {"traf": "traf", "nolines": "fixed", "noquality": "cleaned", "ours": "final"}
        out[name] = {}
        for label, key in variants.items():
            if name == "aeb":
                out[name][label] = scores.aeb_score([(r[key], r["truth"]) for r in rows])
            elif name == "wcxb":
                out[name][label] = scores.wcxb_score([{**r, "pred": r[key], "ref": r["truth"]} for r in rows])
            else:
                out[name][label] = scores.segments_score([{**r, "pred": r[key]} for r in rows])
        t_cpu, o_cpu = sum(r["traf_cpu"] for r in rows), sum(r["ours_cpu"] for r in rows)
        out[name]["cpu_ratio"] = o_cpu / t_cpu if t_cpu else 0.0
        out[name]["dropped_by_quality"] = sum(1 for r in rows if (r["dropped"] or "").startswith("quality"))
        out[name]["drop_reasons"] = dict(Counter(f"{r.get('type', name)}: {r['dropped'].split(' | ')[0]}" for r in rows if r["dropped"]))
    traf_cpu = sum(r["traf_cpu"] for r in results)
    ours_cpu = sum(r["ours_cpu"] for r in results)
    out["cpu"] = {
        "pages": len(results),
        "traf_s_per_page": traf_cpu / len(results) if results else 0.0,
        "ours_s_per_page": ours_cpu / len(results) if results else 0.0,
        "ratio": ours_cpu / traf_cpu if traf_cpu else 0.0,
    }
    return out


def text_sets(data: Path, limit: int | None) -> dict:
    aeb = [injection.clean_article(p["truth"]) for p in datasets.aeb_pages(data, limit)]
    wc = [injection.clean_article(p["truth"]) for p in datasets.wcxb_pages(data) if p["type"] == "article"][:limit]
    articles = [t for t in aeb + wc if len(t.split()) >= 50]
    inj = injection.eval_injection(chain_for(), injection.build_injected_all(articles))
    enc = injection.eval_encoded(chain_for(), injection.build_encoded(aeb, per_encoding=20 if limit is None else 8))
    qual = injection.eval_quality_rejects(chain_for(), articles)
    ftfy = injection.eval_ftfy(chain_for(), datasets.ftfy_cases(data))
    return {"injection": inj, "encodings": enc, "quality": qual, "ftfy": ftfy}


def gate_metrics(data: Path, pages: int = 30, articles: int = 36, workers: int = 1) -> dict:
    """The fast CI subset: first `pages` AEB pages, both injection rounds on `articles` articles,
    a few re-encoded texts per encoding, every ftfy case. Flat metrics for benchmarks/floors.json."""
    aeb = datasets.aeb_pages(data, pages)
    html = score_html(run_pages(aeb, workers))
    truths = [injection.clean_article(p["truth"]) for p in datasets.aeb_pages(data, articles)]
    truths = [t for t in truths if len(t.split()) >= 50]
    chain = chain_for()
    inj = injection.eval_injection(chain, injection.build_injected_all(truths))
    enc = injection.eval_encoded(chain, injection.build_encoded(truths, per_encoding=4))
    ftfy = injection.eval_ftfy(chain, datasets.ftfy_cases(data))
    qual = injection.eval_quality_rejects(chain, truths)
    return {
        "aeb_f1": html["aeb"]["ours"]["f1"],
        "aeb_precision": html["aeb"]["ours"]["precision"],
        "aeb_recall": html["aeb"]["ours"]["recall"],
        "injected_removed_tune": inj["tune"]["removed"],
        "injected_removed_holdout": inj["holdout"]["removed"],
        "injected_removed_blind": inj["blind"]["removed"],
        "injected_removed_tune2": inj["tune2"]["removed"],
        "injected_removed_blind2": inj["blind2"]["removed"],
        "injected_removed_blind3": inj["blind3"]["removed"],
        "gt_words_deleted": max(inj[g]["gt_words_deleted"] for g in injection.GROUPS),
        "encodings_restored": enc["restored"],
        "ftfy_pass_fixed": ftfy["pass_fixed"] / ftfy["pass_cases"],
        "ftfy_negatives_changed": ftfy["negatives_changed"],
        "clean_rejected": qual["rejected"],
        "cpu_ratio": html["cpu"]["ratio"],
    }


def fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def print_table(html: dict, text: dict, wall: float) -> None:
    rows: list[tuple] = []
    for name, label, target in (("aeb", "AEB shingle", ">= 0.965"), ("wcxb", "WCXB word", ">= 0.88"), ("traf", "traf-eval segment", ">= 0.93")):
        if name not in html:
            continue
        h = html[name]
        for m in ("f1", "precision", "recall"):
            rows.append((f"{label} {m.upper() if m == 'f1' else m[0].upper()}", ANCHORS[name].get(m), h["traf"][m],
                         h["nolines"][m], h["noquality"][m], h["ours"][m], target if m == "f1" else ""))
        if name == "wcxb":
            for m, target in (("kept", ""), ("leaked", "<= 0.05")):
                rows.append((f"WCXB must-{'keep found' if m == 'kept' else 'drop leaked'}", ANCHORS[name][m],
                             *(h[v][m] for v in ("traf", "nolines", "noquality", "ours")), target))
            for t in h["ours"]["per_type"]:
                rows.append((f"WCXB F1 {t}", ANCHORS[name].get(t), *(h[v]["per_type"][t] for v in ("traf", "nolines", "noquality", "ours")),
                             ">= 0.75"))
        rows.append((f"{label} pages dropped by quality", None, None, None, None, h["dropped_by_quality"], ""))
    if "cpu" in html:
        c = html["cpu"]
        rows.append(("CPU s/page (HTML)", 0.072, c["traf_s_per_page"], None, None, c["ours_s_per_page"], ""))
        rows.append(("CPU ratio ours / trafilatura", None, 1.0, None, None, c["ratio"], "<= 1.25 (aim 1.10)"))
    inj = text["injection"]
    for g in injection.GROUPS:
        rows.append((f"injected lines removed ({g})", None, None, None, None, inj[g]["removed"], ">= 0.98"))
        rows.append((f"ground-truth words deleted ({g})", None, None, None, None, inj[g]["gt_words_deleted"], "<= 0.01"))
    enc = text["encodings"]
    rows.append((f"re-encoded restored byte-exact ({enc['cases']})", None, None, None, None, enc["restored"], ">= 0.99"))
    q = text["quality"]
    rows.append((f"clean articles rejected ({q['docs']})", None, None, None, None, q["rejected"], "<= 0.01"))
    f = text["ftfy"]
    rows.append(("ftfy expected-pass fixed", 151 / 151, None, None, None, f["pass_fixed"] / f["pass_cases"], "1.000"))
    rows.append(("ftfy negatives changed", 0, None, None, None, f["negatives_changed"], "0"))
    head = ("metric", "anchor", "traf alone", "ours -lines", "ours -qual", "ours", "target")
    w = [max(len(head[0]), max(len(r[0]) for r in rows)), 7, 10, 11, 10, 7, 18]
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print("  ".join(fmt(v).ljust(w[i]) for i, v in enumerate(r)))
    print(f"\nwall {wall:.0f} s. per injected family (removed share):")
    print("  " + ", ".join(f"{k} {v:.2f}" for k, v in inj["per_family"].items()))
    for s in inj["missed_examples"][:12]:
        print(f"  missed {s}")
    for s in enc["failures"][:5]:
        print(f"  encoding failure {s}")
    for s in f["failures"][:5]:
        print(f"  ftfy failure {s}")


def _print_line_cost(data: Path, docs: int = 10000) -> None:
    """The line stages' cost on plain-text news beside the quality table (issue 17's target)."""
    if (data / "corpus-news-en").is_dir():
        texts = line_cost.news_texts(data, docs)
        line_cost.print_table(len(texts), line_cost.measure(texts))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=None, help="first N pages of each HTML set (and N articles per text set)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--content", type=Path, default=content_data.DEFAULT_OUT,
                    help="labelled real-page lines (built by benchmarks/content_data.py when missing)")
    ap.add_argument("--content-only", action="store_true", help="only the held-out real-page table")
    ap.add_argument("--compare-extract", action="store_true",
                    help="also score trafilatura option variants (precision / recall / no fallback)")
    args = ap.parse_args(argv)
    if not (args.data / "scrapinghub-aeb").is_dir():
        print(f"evaluation data not found at {args.data} (expected scrapinghub-aeb/, wcxb/, trafilatura-eval/, "
              f"ftfy-cases/); pass --data", file=sys.stderr)
        return 2
    t0 = time.time()
    if not all((args.content / f"{n}.parquet").exists() for n in content_eval.HELD_OUT):
        content_data.build(args.data, args.content, args.workers)
    content = content_eval.evaluate(args.content, args.data)
    if args.content_only:
        content_eval.print_table(content)
        _print_line_cost(args.data)
        return 0
    pages = (datasets.aeb_pages(args.data, args.limit) + datasets.wcxb_pages(args.data, args.limit)
             + datasets.trafilatura_pages(args.data, args.limit))
    results = run_pages(pages, args.workers)
    html = score_html(results)
    text = text_sets(args.data, args.limit)
    report = {"html": html, "text": text, "content": content}
    if args.compare_extract:
        report["extract_variants"] = {}
        for name, ov in (("favor_precision", {"favor_precision": True}), ("favor_recall", {"favor_recall": True}),
                         ("no_fallback", {"no_fallback": True})):
            s = score_html(run_pages(pages, args.workers, {"extract": ov}))
            report["extract_variants"][name] = {k: s[k]["ours"]["f1"] for k in ("aeb", "wcxb", "traf") if k in s}
            report["extract_variants"][name]["cpu_s_per_page"] = s["cpu"]["ours_s_per_page"]
    print_table(html, text, time.time() - t0)
    content_eval.print_table(content)
    _print_line_cost(args.data)
    if "extract_variants" in report:
        print("\ntrafilatura option variants (ours F1 per set):")
        base = {k: html[k]["ours"]["f1"] for k in ("aeb", "wcxb", "traf") if k in html}
        print(f"  default {json.dumps({k: round(v, 4) for k, v in base.items()})} cpu {html['cpu']['ours_s_per_page']:.3f}")
        for name, v in report["extract_variants"].items():
            print(f"  {name} {json.dumps({k: round(x, 4) for k, x in v.items()})}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
